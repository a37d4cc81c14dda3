//! File I/O through the Rust API: round trips of every format (every dtype,
//! 0-d, empty and strided arrays, metadata), in-memory images, the GGUF
//! quantized layout, and the errors for corrupt, truncated and foreign
//! files (which name the file and never panic), plus failed saves leaving
//! nothing behind.

use std::path::PathBuf;

use rmlx::dtype::ALL_DTYPES;
use rmlx::io::{self, GgufMeta};
use rmlx::{ops, Array, Dtype, ErrorKind};

/// A fresh empty directory for one test.
fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rmlx-io-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every array of a sample: each dtype, 0-d, empty and a transposed view.
fn samples() -> Vec<(String, Array)> {
    let mut out = Vec::new();
    let base = ops::arange(0.0, 24.0, 1.0, Dtype::Float32, None).unwrap();
    let base = ops::reshape(&base, &[2, 3, 4], None).unwrap();
    for d in ALL_DTYPES {
        out.push((format!("{d}"), ops::astype(&base, d, None).unwrap()));
    }
    out.push(("scalar".into(), Array::scalar(2.5f64)));
    out.push((
        "empty".into(),
        ops::zeros(&[0, 3], Dtype::Int16, None).unwrap(),
    ));
    out.push((
        "transposed".into(),
        ops::transpose(&base, None, None).unwrap(),
    ));
    out
}

fn same(a: &Array, b: &Array) {
    assert_eq!(a.shape(), b.shape());
    assert_eq!(a.dtype(), b.dtype());
    assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
}

#[test]
fn npy_round_trip_every_dtype() {
    let dir = tmpdir("npy");
    for (name, a) in samples() {
        let p = dir.join(format!("{name}.npy"));
        io::save_npy(&p, &a).unwrap();
        same(&io::load_npy(&p).unwrap(), &a);
        let mut mem = Vec::new();
        io::write_npy(&mut mem, &a).unwrap();
        assert_eq!(mem, std::fs::read(&p).unwrap());
        same(&io::load_npy_bytes(&mem, "mem").unwrap(), &a);
        // The data starts 64-byte aligned, as NumPy writes it.
        let hlen = u16::from_le_bytes([mem[8], mem[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
    }
}

#[test]
fn npz_round_trip_stored_and_compressed() {
    let dir = tmpdir("npz");
    let arrays = samples();
    for compressed in [false, true] {
        let p = dir.join(format!("a{compressed}.npz"));
        io::save_npz(&p, &arrays, compressed).unwrap();
        let back = io::load_npz(&p).unwrap();
        assert_eq!(back.len(), arrays.len());
        for ((n1, a), (n2, b)) in arrays.iter().zip(&back) {
            assert_eq!(n1, n2);
            same(a, b);
        }
        let mut mem = Vec::new();
        io::write_npz(&mut mem, &arrays, compressed).unwrap();
        assert_eq!(io::load_npz_bytes(&mem, "mem").unwrap().len(), arrays.len());
    }
    // Compression works on compressible data.
    let z = vec![(
        "z".to_string(),
        ops::zeros(&[1000], Dtype::Float32, None).unwrap(),
    )];
    let (mut s, mut c) = (Vec::new(), Vec::new());
    io::write_npz(&mut s, &z, false).unwrap();
    io::write_npz(&mut c, &z, true).unwrap();
    assert!(c.len() * 4 < s.len());
}

#[test]
fn safetensors_and_gguf_round_trip() {
    let dir = tmpdir("st");
    let arrays = samples();
    let meta = vec![("k".to_string(), "v \"quoted\" \u{e9}".to_string())];
    let p = dir.join("a.safetensors");
    io::save_safetensors(&p, &arrays, &meta).unwrap();
    let (back, m) = io::load_safetensors(&p).unwrap();
    assert_eq!(m, meta);
    for ((n1, a), (n2, b)) in arrays.iter().zip(&back) {
        assert_eq!(n1, n2);
        same(a, b);
    }

    let g: Vec<_> = arrays
        .iter()
        .filter(|(_, a)| {
            matches!(
                a.dtype(),
                Dtype::Float32
                    | Dtype::Float16
                    | Dtype::Int8
                    | Dtype::Int16
                    | Dtype::Int32
                    | Dtype::Bfloat16
            )
        })
        .cloned()
        .collect();
    let gm = vec![
        ("s".to_string(), GgufMeta::String("text".into())),
        (
            "l".to_string(),
            GgufMeta::Strings(vec!["a".into(), "".into()]),
        ),
        ("x".to_string(), GgufMeta::Array(Array::scalar(7u32))),
        (
            "v".to_string(),
            GgufMeta::Array(Array::from_slice(&[1i64, -2], &[2]).unwrap()),
        ),
    ];
    let p = dir.join("a.gguf");
    io::save_gguf(&p, &g, &gm).unwrap();
    let (back, m) = io::load_gguf(&p).unwrap();
    for ((n1, a), (n2, b)) in g.iter().zip(&back) {
        assert_eq!(n1, n2);
        same(a, b);
    }
    assert!(matches!(&m[0].1, GgufMeta::String(s) if s == "text"));
    assert!(matches!(&m[1].1, GgufMeta::Strings(v) if v.len() == 2));
    assert!(matches!(&m[2].1, GgufMeta::Array(a) if a.item::<u32>().unwrap() == 7));
    assert!(matches!(&m[3].1, GgufMeta::Array(a) if a.to_vec::<i64>().unwrap() == vec![1, -2]));
}

/// A Q8_0 tensor loads as MLX's (weights, scales, biases) triple.
#[test]
fn gguf_q8_0_layout() {
    // Header by hand: one tensor "w.weight" of shape [1, 32], type Q8_0.
    let mut f = Vec::new();
    f.extend_from_slice(b"GGUF");
    f.extend_from_slice(&3u32.to_le_bytes());
    f.extend_from_slice(&1u64.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes());
    f.extend_from_slice(&8u64.to_le_bytes());
    f.extend_from_slice(b"w.weight");
    f.extend_from_slice(&2u32.to_le_bytes());
    f.extend_from_slice(&32u64.to_le_bytes());
    f.extend_from_slice(&1u64.to_le_bytes());
    f.extend_from_slice(&8u32.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes());
    while f.len() % 32 != 0 {
        f.push(0);
    }
    f.extend_from_slice(&half::f16::from_f32(0.5).to_bits().to_le_bytes());
    for j in 0..32i8 {
        f.push((j - 16) as u8);
    }
    let (arrays, _) = io::load_gguf_bytes(&f, "q8").unwrap();
    let names: Vec<_> = arrays.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["w.weight", "w.scales", "w.biases"]);
    let w = &arrays[0].1;
    assert_eq!((w.shape(), w.dtype()), (&[1i64, 8][..], Dtype::Uint32));
    let bytes = w.to_bytes().unwrap();
    for (j, &b) in bytes.iter().take(32).enumerate() {
        // Value q is stored as q + 128; dequantized: scale * u + bias.
        let u = b as f32;
        assert_eq!(0.5 * u - 64.0, 0.5 * (j as f32 - 16.0));
    }
    assert_eq!(arrays[1].1.to_vec::<half::f16>().unwrap()[0].to_f32(), 0.5);
    assert_eq!(
        arrays[2].1.to_vec::<half::f16>().unwrap()[0].to_f32(),
        -64.0
    );
    // Truncating the data is reported, not a crash.
    let e = io::load_gguf_bytes(&f[..f.len() - 3], "q8").unwrap_err();
    assert!(e.message.contains("truncated"), "{}", e.message);
}

#[test]
fn corrupt_files_are_clear_errors() {
    let dir = tmpdir("corrupt");
    let a = ops::arange(0.0, 10.0, 1.0, Dtype::Float32, None).unwrap();
    let named = vec![("a".to_string(), a.clone())];
    let p = dir.join("good.npy");
    io::save_npy(&p, &a).unwrap();
    let npy = std::fs::read(&p).unwrap();
    let mut npz = Vec::new();
    io::write_npz(&mut npz, &named, true).unwrap();
    let mut st = Vec::new();
    io::write_safetensors(&mut st, &named, &[]).unwrap();
    let mut gg = Vec::new();
    io::write_gguf(&mut gg, &named, &[]).unwrap();

    type Loader = fn(&[u8], &str) -> rmlx::Result<()>;
    let loaders: [(&str, &[u8], Loader); 4] = [
        ("npy", &npy, |b, l| io::load_npy_bytes(b, l).map(|_| ())),
        ("npz", &npz, |b, l| io::load_npz_bytes(b, l).map(|_| ())),
        ("safetensors", &st, |b, l| {
            io::load_safetensors_bytes(b, l).map(|_| ())
        }),
        ("gguf", &gg, |b, l| io::load_gguf_bytes(b, l).map(|_| ())),
    ];
    for (fmt, good, load) in loaders {
        let label = format!("f.{fmt}");
        load(good, &label).unwrap();
        // Every truncation and some byte flips: errors naming the file.
        for cut in (0..good.len()).step_by(7) {
            let e = load(&good[..cut], &label).unwrap_err();
            assert!(e.message.contains(&label), "{fmt} cut {cut}: {}", e.message);
        }
        for pos in (0..good.len()).step_by(5) {
            let mut bad = good.to_vec();
            bad[pos] ^= 0x5A;
            if let Err(e) = load(&bad, &label) {
                assert!(
                    e.message.contains(&label),
                    "{fmt} flip {pos}: {}",
                    e.message
                );
            }
        }
        let e = load(b"this is not an array file at all", &label).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Runtime | ErrorKind::Value));
    }
    // A flipped byte in deflated data fails the CRC or the inflate.
    let mut bad = npz.clone();
    let mid = bad.len() / 3;
    bad[mid] ^= 0xFF;
    assert!(io::load_npz_bytes(&bad, "z.npz").is_err());
    let e = io::load_npy(dir.join("missing.npy")).unwrap_err();
    assert!(e.message.contains("missing.npy"), "{}", e.message);
}

#[test]
fn failed_saves_leave_nothing_behind() {
    let dir = tmpdir("failed");
    let p = dir.join("x.gguf");
    let bad = vec![(
        "b".to_string(),
        ops::zeros(&[3], Dtype::Bool, None).unwrap(),
    )];
    assert!(io::save_gguf(&p, &bad, &[]).is_err());
    // An existing file is kept intact when a save fails.
    let good = vec![(
        "f".to_string(),
        ops::ones(&[3], Dtype::Float32, None).unwrap(),
    )];
    io::save_gguf(&p, &good, &[]).unwrap();
    let before = std::fs::read(&p).unwrap();
    assert!(io::save_gguf(&p, &bad, &[]).is_err());
    assert_eq!(std::fs::read(&p).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["x.gguf"]);
    // Saving into a missing directory fails cleanly.
    assert!(io::save_npy(dir.join("no/such/dir.npy"), &good[0].1).is_err());
}

// ---------------------------------------------------------------------------
// Memory-mapped loading

/// Whether the loaded array's buffer points into a file mapping.
fn mapped(a: &Array) -> bool {
    a.evaluated().unwrap().buf.is_mapped()
}

/// `n` float32 values `seed, seed + 1, ...` (64K of them pass the mapping
/// threshold on their own).
fn ramp(n: usize, seed: f32) -> Array {
    let v: Vec<f32> = (0..n).map(|i| seed + i as f32).collect();
    Array::from_slice(&v, &[n as i64]).unwrap()
}

/// A `.safetensors` image written by hand: `(name, dtype, shape, start,
/// end)` entries over `data`, the JSON header padded with spaces to
/// `hlen` bytes (so that the data section may start anywhere).
fn raw_safetensors(
    entries: &[(&str, &str, &[i64], usize, usize)],
    data: &[u8],
    hlen: usize,
) -> Vec<u8> {
    let parts: Vec<String> = entries
        .iter()
        .map(|(n, d, s, a, b)| {
            let s: Vec<String> = s.iter().map(|x| x.to_string()).collect();
            format!(
                "\"{n}\":{{\"dtype\":\"{d}\",\"shape\":[{}],\"data_offsets\":[{a},{b}]}}",
                s.join(",")
            )
        })
        .collect();
    let mut h = format!("{{{}}}", parts.join(","));
    assert!(h.len() <= hlen);
    while h.len() < hlen {
        h.push(' ');
    }
    let mut f = (hlen as u64).to_le_bytes().to_vec();
    f.extend_from_slice(h.as_bytes());
    f.extend_from_slice(data);
    f
}

#[test]
fn large_files_load_mapped_in_every_format() {
    let dir = tmpdir("mapped");
    let a = ramp(40_000, 0.5);
    let named = vec![("a".to_string(), a.clone())];
    let p = dir.join("a.npy");
    io::save_npy(&p, &a).unwrap();
    let b = io::load_npy(&p).unwrap();
    assert!(mapped(&b));
    same(&a, &b);
    let p = dir.join("a.safetensors");
    io::save_safetensors(&p, &named, &[]).unwrap();
    let b = io::load_safetensors(&p).unwrap().0.remove(0).1;
    assert!(mapped(&b));
    same(&a, &b);
    let p = dir.join("a.gguf");
    io::save_gguf(&p, &named, &[]).unwrap();
    let b = io::load_gguf(&p).unwrap().0.remove(0).1;
    assert!(mapped(&b));
    same(&a, &b);
    // A Fortran-order .npy maps too (as a transposed view of the map).
    let m = ops::reshape(&a, &[200, 200], None).unwrap();
    let t = ops::transpose(&m, None, None).unwrap();
    let mut f = std::fs::read(dir.join("a.npy")).unwrap();
    let end = 10 + u16::from_le_bytes([f[8], f[9]]) as usize;
    let text = String::from_utf8_lossy(&f[10..end]).replace(
        "'fortran_order': False, 'shape': (40000,), ",
        "'fortran_order': True, 'shape': (200, 200),",
    );
    assert!(text.contains("True") && text.len() == end - 10);
    f[10..end].copy_from_slice(text.as_bytes());
    let p = dir.join("f.npy");
    std::fs::write(&p, &f).unwrap();
    let b = io::load_npy(&p).unwrap();
    same(&t, &b);
    assert!(b.evaluated().unwrap().buf.is_mapped());
    // Stored .npz members map when their data happens to be aligned: a
    // uint8 member always is.
    let u = ops::astype(&ramp(100_000, 0.0), Dtype::Uint8, None).unwrap();
    let p = dir.join("u.npz");
    io::save_npz(&p, &[("u".to_string(), u.clone())], false).unwrap();
    let b = io::load_npz(&p).unwrap().remove(0).1;
    assert!(mapped(&b));
    same(&u, &b);
    // Compressed members, small files and in-memory images are read.
    let p = dir.join("c.npz");
    io::save_npz(&p, &[("u".to_string(), u.clone())], true).unwrap();
    assert!(!mapped(&io::load_npz(&p).unwrap()[0].1));
    let small = ramp(1000, 0.0);
    let p = dir.join("small.npy");
    io::save_npy(&p, &small).unwrap();
    assert!(!mapped(&io::load_npy(&p).unwrap()));
    let bytes = std::fs::read(dir.join("a.npy")).unwrap();
    assert!(!mapped(&io::load_npy_bytes(&bytes, "mem").unwrap()));
}

#[test]
fn writes_into_a_loaded_buffer_never_reach_the_file() {
    let dir = tmpdir("cow");
    let a = ramp(50_000, 1.0);
    let p = dir.join("a.npy");
    io::save_npy(&p, &a).unwrap();
    let before = std::fs::read(&p).unwrap();
    let loaded = io::load_npy(&p).unwrap();
    assert!(mapped(&loaded));
    let ptr = loaded.evaluated().unwrap().buf.as_ptr();
    let y = ops::add(&loaded, &Array::scalar(1.0f32), None).unwrap();
    drop(loaded);
    rmlx::eval(std::slice::from_ref(&y)).unwrap();
    // The add took over the loaded (mapped) buffer as its output...
    assert_eq!(y.evaluated().unwrap().buf.as_ptr(), ptr);
    assert!(mapped(&y));
    same(&y, &ramp(50_000, 2.0));
    // ...and wrote it privately: the file is unchanged.
    assert_eq!(std::fs::read(&p).unwrap(), before);
    same(&io::load_npy(&p).unwrap(), &a);
}

#[test]
fn mapped_arrays_outlive_siblings_and_the_file() {
    let dir = tmpdir("outlive");
    let arrays: Vec<(String, Array)> = (0..12)
        .map(|i| (format!("t{i}"), ramp(10_000 + i, i as f32 * 1e5)))
        .collect();
    let p = dir.join("m.safetensors");
    io::save_safetensors(&p, &arrays, &[]).unwrap();
    let (mut back, _) = io::load_safetensors(&p).unwrap();
    assert!(back.iter().all(|(_, a)| mapped(a)));
    // Drop every other array: the rest stay valid.
    let mut i = 0;
    back.retain(|_| {
        i += 1;
        i % 2 == 0
    });
    // Replace the file by a save (rename: a new inode), then delete it.
    let other = vec![("x".to_string(), ramp(30_000, -7.0))];
    io::save_safetensors(&p, &other, &[]).unwrap();
    for (n, a) in &back {
        let orig = &arrays.iter().find(|(m, _)| m == n).unwrap().1;
        same(a, orig);
    }
    std::fs::remove_file(&p).unwrap();
    for (n, a) in &back {
        let orig = &arrays.iter().find(|(m, _)| m == n).unwrap().1;
        same(a, orig);
        let s = ops::sum(a, None, false, None).unwrap();
        let o = ops::sum(orig, None, false, None).unwrap();
        assert_eq!(s.item::<f32>().unwrap(), o.item::<f32>().unwrap());
    }
}

#[test]
fn misaligned_or_aliased_tensors_are_read() {
    let dir = tmpdir("misaligned");
    let n = 20_000usize;
    let f: Vec<u8> = (0..n)
        .flat_map(|i| (i as f32 * 0.25).to_le_bytes())
        .collect();
    let g: Vec<u8> = (0..n).flat_map(|i| (-(i as f32)).to_le_bytes()).collect();
    let mut data = f.clone();
    data.extend_from_slice(&[1, 2, 3, 4, 5, 0, 0]); // "u": 5 bytes, 2 spare
    data.extend_from_slice(&g);
    let (fe, ue, ge) = (4 * n, 4 * n + 5, 8 * n + 7);
    // 8 + 401 = 409: the data section starts at an odd offset, so "f" is
    // misaligned, "u" (bytes) is fine and "g" (at 409 + 4n + 7) is aligned.
    let file = raw_safetensors(
        &[
            ("f", "F32", &[n as i64], 0, fe),
            ("u", "U8", &[5], fe, ue),
            ("g", "F32", &[n as i64], fe + 7, ge),
            ("g2", "F32", &[n as i64], fe + 7, ge),
        ],
        &data,
        401,
    );
    assert_eq!((8 + 401 + fe + 7) % 4, 0);
    let p = dir.join("odd.safetensors");
    std::fs::write(&p, &file).unwrap();
    let (back, _) = io::load_safetensors(&p).unwrap();
    let get = |k: &str| back.iter().find(|(m, _)| m == k).unwrap().1.clone();
    let (fa, ua, ga, g2) = (get("f"), get("u"), get("g"), get("g2"));
    assert!(!mapped(&fa) && mapped(&ua) && mapped(&ga));
    assert_eq!(fa.to_bytes().unwrap(), f);
    assert_eq!(ua.to_bytes().unwrap(), [1, 2, 3, 4, 5]);
    assert_eq!(ga.to_bytes().unwrap(), g);
    // "g2" aliases "g"'s bytes: it gets its own copy, so that a write into
    // one (a donated buffer) cannot show through the other.
    assert!(!mapped(&g2));
    drop(back);
    let y = ops::multiply(&ga, &Array::scalar(2.0f32), None).unwrap();
    drop(ga);
    rmlx::eval(std::slice::from_ref(&y)).unwrap();
    assert_eq!(g2.to_bytes().unwrap(), g);
    assert_eq!(std::fs::read(&p).unwrap(), file);
}

#[test]
fn mapped_bools_are_normalised_privately() {
    let dir = tmpdir("bools");
    let n = 100_000usize;
    let b = ops::astype(&ramp(n, 0.0), Dtype::Bool, None).unwrap();
    let p = dir.join("b.npy");
    io::save_npy(&p, &b).unwrap();
    let mut f = std::fs::read(&p).unwrap();
    f[128 + 5] = 7; // a byte NumPy would never write for a bool
    std::fs::write(&p, &f).unwrap();
    let back = io::load_npy(&p).unwrap();
    assert!(mapped(&back));
    same(&back, &b);
    assert_eq!(std::fs::read(&p).unwrap(), f);
}

#[test]
fn truncated_large_files_are_clear_errors() {
    let dir = tmpdir("trunc-large");
    let arrays = vec![
        ("a".to_string(), ramp(30_000, 0.0)),
        ("b".to_string(), ramp(30_000, 1.0)),
    ];
    let p = dir.join("t.safetensors");
    io::save_safetensors(&p, &arrays, &[]).unwrap();
    let st = std::fs::read(&p).unwrap();
    io::save_gguf(&p, &arrays, &[]).unwrap();
    let gg = std::fs::read(&p).unwrap();
    io::save_npy(&p, &arrays[0].1).unwrap();
    let npy = std::fs::read(&p).unwrap();
    io::save_npz(&p, &arrays, false).unwrap();
    let npz = std::fs::read(&p).unwrap();
    type Loader = fn(&std::path::Path) -> rmlx::Result<()>;
    let loaders: [(&str, &[u8], Loader); 4] = [
        ("safetensors", &st, |p| io::load_safetensors(p).map(|_| ())),
        ("gguf", &gg, |p| io::load_gguf(p).map(|_| ())),
        ("npy", &npy, |p| io::load_npy(p).map(|_| ())),
        ("npz", &npz, |p| io::load_npz(p).map(|_| ())),
    ];
    for (fmt, good, load) in loaders {
        let p = dir.join(format!("cut.{fmt}"));
        std::fs::write(&p, good).unwrap();
        load(&p).unwrap();
        for cut in [
            good.len() - 1,
            good.len() - 4096,
            good.len() / 2 + 3,
            70_000,
        ] {
            std::fs::write(&p, &good[..cut]).unwrap();
            let e = load(&p).unwrap_err();
            assert!(
                e.message.contains(&format!("cut.{fmt}")),
                "{fmt} cut {cut}: {}",
                e.message
            );
            if fmt != "npz" {
                assert!(
                    e.message.contains("truncated"),
                    "{fmt} cut {cut}: {}",
                    e.message
                );
            }
        }
    }
}
