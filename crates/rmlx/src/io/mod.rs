//! File I/O: NumPy `.npy` / `.npz`, `.safetensors` and `.gguf`, read and
//! written as MLX does (same layouts, names and dtype conventions).
//!
//! Loading parses and validates the whole header first (every tensor's
//! byte range must lie within the file), then builds each array without
//! reading its bytes where possible: a file given by path and at least
//! [`MAP_MIN_FILE`] bytes long is memory-mapped once (a private,
//! copy-on-write map, see [`crate::memory::Mapping`]) and every tensor
//! stored exactly as the array holds it (native little-endian, row-major
//! or NumPy Fortran order, no decompression or conversion; `.npz` members
//! only when stored uncompressed) becomes a buffer pointing into the map.
//! Pages are then read by the kernel on first touch and shared with the
//! page cache. A tensor is read eagerly into a fresh buffer (large ones in
//! parallel chunks) instead when it is empty, converted (byte-swapped,
//! complex128, quantized GGUF), compressed, not aligned to its element size
//! in the file (kernels read typed slices), overlapping a tensor already
//! mapped (crafted files can alias bytes, and a write into one must not
//! show in the other), when the file or stream cannot be mapped, and for
//! in-memory images. The map keeps the file's contents alive: a save over
//! the same path (which writes a new file and renames it into place) or a
//! deletion leaves loaded arrays intact. Limitation, as for every mmap-based
//! loader: a file truncated or rewritten *in place* by another program
//! while arrays loaded from it are alive may change their contents, or
//! fault (SIGBUS) when a page past its new end is touched.
//!
//! A corrupt, truncated or foreign file is reported as an error that names
//! the file and what is wrong; nothing in here panics on bad input.
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

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::array::{row_strides, Array, Data};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::memory::{Buffer, Mapping};

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

/// Files shorter than this are read, not mapped: a map costs an `mmap` and
/// `munmap` call plus a page fault per touched page (a few microseconds
/// each), which is more than copying a file this small out of the page
/// cache, while the copy's extra memory is negligible.
pub const MAP_MIN_FILE: u64 = 64 << 10;

/// Where bytes are read from: an open file (read with positioned reads, or
/// mapped) or memory (a file-like object's contents).
pub(crate) enum Source<'a> {
    File {
        file: File,
        len: u64,
        map: Mutex<MapState>,
    },
    Bytes(&'a [u8]),
}

/// The file's memory map, made on the first tensor that can use it, and
/// the byte ranges already handed out from it.
pub(crate) struct MapState {
    /// `None` until tried; `Some(None)` when the file is not to be (or could
    /// not be) mapped.
    mapping: Option<Option<Arc<Mapping>>>,
    /// Mapped tensors' byte ranges, start -> end (never overlapping).
    taken: BTreeMap<u64, u64>,
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
        let len = meta.len();
        let map = MapState {
            // Regular files only: devices and pipes report no usable length.
            mapping: (len < MAP_MIN_FILE || !meta.is_file()).then_some(None),
            taken: BTreeMap::new(),
        };
        Ok(Source::File {
            file,
            len,
            map: Mutex::new(map),
        })
    }

    /// A buffer over the `n > 0` file bytes at `off` (already checked to lie
    /// within the file) from the file's map, or `None` when they must be
    /// read instead: not a mapped file, misaligned for elements of `align`
    /// bytes, or overlapping bytes that another array already maps.
    fn mapped(&self, off: u64, n: u64, align: usize) -> Option<Buffer> {
        let Source::File { file, len, map } = self else {
            return None;
        };
        // The map starts page-aligned, so a pointer into it is as aligned
        // as the offset.
        if !off.is_multiple_of(align as u64) {
            return None;
        }
        let mut st = map.lock().unwrap_or_else(|e| e.into_inner());
        let end = off.checked_add(n)?;
        // Ranges never overlap, so the one starting last before `end` is
        // the only one that can reach past `off`.
        if st
            .taken
            .range(..end)
            .next_back()
            .is_some_and(|(_, &e)| e > off)
        {
            return None;
        }
        let m = st
            .mapping
            .get_or_insert_with(|| {
                let len = usize::try_from(*len).ok()?;
                Mapping::map_file(file, len).ok()
            })
            .clone()?;
        let buf = Buffer::mapped(&m, usize::try_from(off).ok()?, usize::try_from(n).ok()?).ok()?;
        st.taken.insert(off, end);
        Some(buf)
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

    /// A row-major array of `shape` and `dtype` whose bytes, stored as the
    /// array holds them, start at `off`: a window of the file's map where
    /// possible, else read into a fresh buffer (fed to `crc` either way,
    /// before bools are normalised).
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
        if nbytes > 0 {
            if let Some(buf) = self.mapped(off, nbytes, dtype.size()) {
                // SAFETY: the window holds exactly `nbytes` bytes, which no
                // other array maps; writes stay private to this process.
                let bytes =
                    unsafe { std::slice::from_raw_parts_mut(buf.as_ptr(), nbytes as usize) };
                if let Some(c) = crc {
                    c.update(bytes);
                }
                if dtype == Dtype::Bool {
                    sanitize_bools(bytes);
                }
                let data = Data {
                    buf: Arc::new(buf),
                    offset: 0,
                    strides: row_strides(shape),
                };
                return Ok(Array::from_data(
                    shape,
                    dtype,
                    data,
                    crate::device::current_stream(),
                ));
            }
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
/// tools may hold them, so every loaded bool is normalised. Only invalid
/// bytes are written, so that valid mapped pages are never copied.
pub(crate) fn sanitize_bools(buf: &mut [u8]) {
    for b in buf.iter_mut() {
        if *b > 1 {
            *b = 1;
        }
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
