//! NumPy `.npz` archives: a zip of `.npy` members, stored (`savez`) or
//! deflated (`savez_compressed`). Stored members map the file's bytes (see
//! the `io` module doc; only where the data happens to be aligned, as zip
//! does not align members) or are read straight from the file into the
//! arrays' buffers; deflated ones are inflated in memory first. Every
//! member's CRC-32 is checked (which touches every mapped page).

use std::io::Write;
use std::path::Path;

use super::npy::{header_for, read_npy};
use super::zip::{self, Crc32, ZipWriter};
use super::{row_major_bytes, write_atomically, write_err, Ctx, Named, Source};
use crate::error::{Error, Result};

/// Loads every array of the `.npz` file `path`, in archive order (member
/// names lose their `.npy` suffix).
pub fn load_npz(path: impl AsRef<Path>) -> Result<Vec<Named>> {
    let path = path.as_ref();
    let src = Source::open(path, "load_npz", Error::value)?;
    read_npz(&src, &path.display().to_string())
}

/// Loads a `.npz` image held in memory; `label` names it in errors.
pub fn load_npz_bytes(bytes: &[u8], label: &str) -> Result<Vec<Named>> {
    read_npz(&Source::Bytes(bytes), label)
}

fn read_npz(src: &Source<'_>, label: &str) -> Result<Vec<Named>> {
    let ctx = Ctx {
        op: "load_npz",
        label,
    };
    if !zip::looks_like_zip(src) {
        return Err(Error::value(format!(
            "[load_npz] File {label} is not a zip archive (an .npz file must be one)"
        )));
    }
    let mut out: Vec<Named> = Vec::new();
    for e in zip::entries(src, &ctx)? {
        let member = format!("{label} (member '{}')", e.name);
        let mctx = Ctx {
            op: "load_npz",
            label: &member,
        };
        let a = if e.method == 0 {
            if e.csize != e.usize {
                return Err(mctx.err("Stored zip member sizes disagree"));
            }
            let off = zip::data_offset(src, &e, &ctx)?;
            let mut crc = Crc32::new();
            let a = read_npy(src, off, e.csize, &mctx, Some(&mut crc))?;
            // Bytes after the array data (never written by NumPy) are not
            // read, so only a fully read member can be checked.
            if crc.len() == e.usize {
                zip::check_crc(&e, crc, &ctx)?;
            }
            a
        } else {
            let data = zip::read_entry(src, &e, &ctx)?;
            let inner = Source::Bytes(&data);
            read_npy(&inner, 0, data.len() as u64, &mctx, None)?
        };
        let key = match e.name.strip_suffix(".npy") {
            Some(k) if !k.is_empty() => k.to_string(),
            _ => e.name.clone(),
        };
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = a,
            None => out.push((key, a)),
        }
    }
    Ok(out)
}

/// Saves `arrays` to `path` as an `.npz` archive (members `<name>.npy`),
/// deflated when `compressed` (the path is used as given).
pub fn save_npz(path: impl AsRef<Path>, arrays: &[Named], compressed: bool) -> Result<()> {
    let path = path.as_ref();
    let op = op_name(compressed);
    let label = path.display().to_string();
    eval_all(arrays)?;
    write_atomically(path, op, |w| {
        write_members(w, arrays, compressed, op, &label)
    })
}

/// Writes `arrays` as an `.npz` archive to `w`.
pub fn write_npz(w: &mut dyn Write, arrays: &[Named], compressed: bool) -> Result<()> {
    eval_all(arrays)?;
    write_members(w, arrays, compressed, op_name(compressed), "the stream")
}

fn op_name(compressed: bool) -> &'static str {
    if compressed {
        "savez_compressed"
    } else {
        "savez"
    }
}

fn eval_all(arrays: &[Named]) -> Result<()> {
    let v: Vec<_> = arrays.iter().map(|(_, a)| a.clone()).collect();
    crate::eval::eval(&v)
}

fn write_members(
    w: &mut dyn Write,
    arrays: &[Named],
    compressed: bool,
    op: &str,
    label: &str,
) -> Result<()> {
    let mut zw = ZipWriter::new(w, Box::new(write_err(op, label)));
    for (name, a) in arrays {
        let header = header_for(a)?;
        let data = row_major_bytes(a)?;
        zw.add(&format!("{name}.npy"), &[&header, &data], compressed)?;
    }
    zw.finish()
}
