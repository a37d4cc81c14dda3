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
