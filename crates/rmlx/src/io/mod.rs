//! File I/O: NumPy `.npy` / `.npz`, `.safetensors` and `.gguf`, read and
//! written as MLX does (same layouts, names and dtype conventions).
//!
//! Loading is eager: the header is parsed and validated, then each tensor's
//! bytes are read straight from the file into a fresh array buffer (large
//! tensors in parallel chunks). There is no memory map: the crate depends on
//! `std` only for file access, and reading into the buffer cache's memory
//! costs one copy while keeping every array an ordinary owned buffer. A
//! corrupt, truncated or foreign file is reported as an error that names the
//! file and what is wrong; nothing in here panics on bad input.
//!
//! Saving writes to a temporary file beside the target and renames it into
//! place once everything is written, so a save that fails part-way leaves
//! no truncated file behind (and an existing file untouched).
//!
//! Every format also reads from and writes to memory (`*_bytes` /
//! `write_*` functions) for file-like objects in the Python bindings.

pub mod gguf;
mod gguf_quants;
mod json;
pub mod npy;
pub mod npz;
pub mod safetensors;
mod zip;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::array::{Array, Data};
use crate::dtype::Dtype;
use crate::error::{Error, Result};

pub use gguf::{load_gguf, load_gguf_bytes, save_gguf, write_gguf, GgufMeta};
pub use npy::{load_npy, load_npy_bytes, save_npy, write_npy};
pub use npz::{load_npz, load_npz_bytes, save_npz, write_npz};
pub use safetensors::{
    load_safetensors, load_safetensors_bytes, save_safetensors, write_safetensors,
};

/// A file format `load` understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// NumPy `.npy`: one array.
    Npy,
    /// NumPy `.npz`: a zip archive of `.npy` members.
    Npz,
    /// Hugging Face `.safetensors`: named arrays and string metadata.
    Safetensors,
    /// GGML `.gguf`: named arrays (some quantized) and typed metadata.
    Gguf,
}

impl Format {
    /// The format called `name` (`"npy"`, `"npz"`, `"safetensors"`, `"gguf"`).
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "npy" => Format::Npy,
            "npz" => Format::Npz,
            "safetensors" => Format::Safetensors,
            "gguf" => Format::Gguf,
            _ => return None,
        })
    }

    /// The format's name, which is also its file extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::Npy => "npy",
            Format::Npz => "npz",
            Format::Safetensors => "safetensors",
            Format::Gguf => "gguf",
        }
    }
}

/// The text after the last `.` of a file name, as MLX infers formats (the
/// whole path is searched, as MLX does, so `dir.v2/file` gives `v2/file`).
pub fn extension_of(name: &str) -> Option<&str> {
    name.rfind('.').map(|i| &name[i + 1..])
}

/// `path` with `.ext` appended unless it already ends with it: MLX's rule
/// for the names given to its save functions.
pub fn with_extension(path: &str, ext: &str) -> String {
    let suffix = format!(".{ext}");
    if path.len() >= suffix.len() && path.ends_with(&suffix) {
        path.to_string()
    } else {
        path.to_string() + &suffix
    }
}

/// A named array, as loaded or saved (files keep their order).
pub type Named = (String, Array);

// ---------------------------------------------------------------------------
// Reading

/// Where bytes are read from: an open file (read with positioned reads) or
/// memory (a file-like object's contents).
pub(crate) enum Source<'a> {
    File { file: File, len: u64 },
    Bytes(&'a [u8]),
}

impl Source<'_> {
    /// Opens `path` for reading; `op` names the function in the error.
    pub(crate) fn open(
        path: &Path,
        op: &str,
        kind: fn(String) -> Error,
    ) -> Result<Source<'static>> {
        let fail = |e: std::io::Error| {
            kind(format!(
                "[{op}] Failed to open file {}: {e}",
                path.display()
            ))
        };
        let file = File::open(path).map_err(fail)?;
        let meta = file.metadata().map_err(fail)?;
        if meta.is_dir() {
            return Err(kind(format!(
                "[{op}] Failed to open file {}: it is a directory",
                path.display()
            )));
        }
        Ok(Source::File {
            file,
            len: meta.len(),
        })
    }

    /// Total size in bytes.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Source::File { len, .. } => *len,
            Source::Bytes(b) => b.len() as u64,
        }
    }

    /// Fills `buf` from byte `off`; false if the source ends first.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> std::io::Result<bool> {
        if off
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.len())
        {
            return Ok(false);
        }
        match self {
            Source::Bytes(b) => {
                let o = off as usize;
                buf.copy_from_slice(&b[o..o + buf.len()]);
                Ok(true)
            }
            Source::File { file, .. } => {
                read_exact_at(file, off, buf)?;
                Ok(true)
            }
        }
    }

    /// `n` bytes from `off` as a vector, or an error naming `what` (the part
    /// of the file being read) when the file ends first.
    pub(crate) fn bytes(&self, off: u64, n: u64, ctx: &Ctx<'_>, what: &str) -> Result<Vec<u8>> {
        if off.checked_add(n).is_none_or(|end| end > self.len()) {
            return Err(ctx.truncated(what, off.saturating_add(n)));
        }
        let mut v = vec![0u8; n as usize];
        self.fill(off, &mut v, ctx, what)?;
        Ok(v)
    }

    /// Fills `buf` from `off`, in parallel chunks for large file reads.
    pub(crate) fn fill(&self, off: u64, buf: &mut [u8], ctx: &Ctx<'_>, what: &str) -> Result<()> {
        const CHUNK: usize = 8 << 20;
        let io_err = |e: std::io::Error| ctx.err(format!("could not read {what}: {e}"));
        if let Source::File { .. } = self {
            if buf.len() > 2 * CHUNK && off + buf.len() as u64 <= self.len() {
                use rayon::prelude::*;
                return buf
                    .par_chunks_mut(CHUNK)
                    .enumerate()
                    .try_for_each(|(i, c)| {
                        self.read_at(off + (i * CHUNK) as u64, c)
                            .map_err(io_err)
                            .map(|_| ())
                    });
            }
        }
        match self.read_at(off, buf) {
            Ok(true) => Ok(()),
            Ok(false) => Err(ctx.truncated(what, off.saturating_add(buf.len() as u64))),
            Err(e) => Err(io_err(e)),
        }
    }

    /// A row-major array of `shape` and `dtype` whose bytes start at `off`
    /// (fed to `crc` as read, before bools are normalised).
    pub(crate) fn array(
        &self,
        off: u64,
        shape: &[i64],
        dtype: Dtype,
        ctx: &Ctx<'_>,
        what: &str,
        crc: Option<&mut zip::Crc32>,
    ) -> Result<Array> {
        let nbytes = checked_nbytes(shape, dtype, ctx, what)?;
        if off.checked_add(nbytes).is_none_or(|end| end > self.len()) {
            return Err(ctx.truncated(what, off.saturating_add(nbytes)));
        }
        let data = Data::alloc(shape, dtype)?;
        if nbytes > 0 {
            // SAFETY: the fresh buffer holds exactly `nbytes` bytes and
            // nothing else refers to it yet.
            let buf =
                unsafe { std::slice::from_raw_parts_mut(data.byte_ptr(dtype), nbytes as usize) };
            self.fill(off, buf, ctx, what)?;
            if let Some(c) = crc {
                c.update(buf);
            }
            if dtype == Dtype::Bool {
                sanitize_bools(buf);
            }
        }
        Ok(Array::from_data(
            shape,
            dtype,
            data,
            crate::device::current_stream(),
        ))
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, off: u64, buf: &mut [u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, off)
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, off: u64, buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    // Without positioned reads, a cloned handle keeps seeks of parallel
    // chunks apart.
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(off))?;
    f.read_exact(buf)
}

/// Bytes other than 0 and 1 are not valid `bool`s: files written by other
/// tools may hold them, so every loaded bool is normalised.
pub(crate) fn sanitize_bools(buf: &mut [u8]) {
    for b in buf.iter_mut() {
        *b = (*b != 0) as u8;
    }
}

/// Bytes of `shape` x `dtype`, refusing negative extents and overflow.
pub(crate) fn checked_nbytes(
    shape: &[i64],
    dtype: Dtype,
    ctx: &Ctx<'_>,
    what: &str,
) -> Result<u64> {
    let mut n: u64 = dtype.size() as u64;
    for &d in shape {
        if d < 0 {
            return Err(ctx.err(format!(
                "{what} has a negative dimension in shape {shape:?}"
            )));
        }
        n = n
            .checked_mul(d as u64)
            .ok_or_else(|| ctx.err(format!("{what} has an impossibly large shape {shape:?}")))?;
    }
    if n > isize::MAX as u64 {
        return Err(ctx.err(format!("{what} has an impossibly large shape {shape:?}")));
    }
    Ok(n)
}

/// What an error message needs: the function (`load_npy`, ...), the file's
/// name and the error kind MLX raises for a malformed file.
pub(crate) struct Ctx<'a> {
    pub op: &'a str,
    pub label: &'a str,
}

impl Ctx<'_> {
    /// A RuntimeError `[op] <msg> (file <label>)`.
    pub(crate) fn err(&self, msg: impl std::fmt::Display) -> Error {
        Error::runtime(format!("[{}] {msg} in file {}", self.op, self.label))
    }
    /// The file ended before `what` did.
    pub(crate) fn truncated(&self, what: &str, needed: u64) -> Error {
        Error::runtime(format!(
            "[{}] File {} is truncated: {what} needs {needed} bytes. \
             Perhaps an incomplete download or a corrupt file?",
            self.op, self.label
        ))
    }
}

/// A bounds-checked little-endian reader over a header held in memory.
pub(crate) struct Cursor<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
    }
    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }
}

// ---------------------------------------------------------------------------
// Writing

/// The array's elements in row-major order: the buffer itself when the
/// array is already row-contiguous, else a contiguous copy.
pub(crate) fn row_major_bytes(a: &Array) -> Result<std::borrow::Cow<'_, [u8]>> {
    let d = a.evaluated()?;
    if a.size() == 0 {
        return Ok(std::borrow::Cow::Borrowed(&[]));
    }
    if d.is_row_contiguous(a.shape()) {
        // SAFETY: a row-contiguous view covers `nbytes` bytes from its
        // origin; the array keeps the buffer alive for the borrow.
        let s =
            unsafe { std::slice::from_raw_parts(d.byte_ptr(a.dtype()) as *const u8, a.nbytes()) };
        return Ok(std::borrow::Cow::Borrowed(s));
    }
    Ok(std::borrow::Cow::Owned(a.to_bytes()?))
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `path` through `write`: the bytes go to a temporary file in the
/// same directory, which replaces `path` only when `write` succeeded. On
/// any failure the temporary file is removed.
pub(crate) fn write_atomically(
    path: &Path,
    op: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let name = path.file_name().ok_or_else(|| {
        Error::runtime(format!(
            "[{op}] Failed to open file {}: not a file name",
            path.display()
        ))
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp: PathBuf = path.with_file_name(tmp_name);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| {
            Error::runtime(format!(
                "[{op}] Failed to open file {}: {e}",
                path.display()
            ))
        })?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let result = write(&mut w)
        .and_then(|_| {
            w.flush().map_err(|e| {
                Error::runtime(format!(
                    "[{op}] Failed to write file {}: {e}",
                    path.display()
                ))
            })
        })
        .and_then(|_| {
            drop(w);
            std::fs::rename(&tmp, path).map_err(|e| {
                Error::runtime(format!(
                    "[{op}] Failed to write file {}: {e}",
                    path.display()
                ))
            })
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Maps an I/O error while writing to the op's RuntimeError.
pub(crate) fn write_err(op: &str, label: &str) -> impl Fn(std::io::Error) -> Error {
    let (op, label) = (op.to_string(), label.to_string());
    move |e| Error::runtime(format!("[{op}] Failed to write {label}: {e}"))
}
