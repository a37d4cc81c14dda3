//! NumPy `.npy` files (format versions 1, 2 and 3).
//!
//! Reading accepts what NumPy writes: little- and big-endian data (swapped
//! to native), C and Fortran order (Fortran data loads as a transposed
//! view, as in MLX), 0-d and empty arrays. `complex128` data is narrowed to
//! complex64 (MLX has no complex128; its array constructor does the same
//! with NumPy data) and `V2` is bfloat16, MLX's convention for saving it.
//! Writing produces version 1.0 headers (2.0 past 64 KiB of header), padded
//! to NumPy's 64-byte alignment, always in C order.

use std::io::Write;
use std::path::Path;

use super::zip::Crc32;
use super::{row_major_bytes, write_atomically, write_err, Ctx, Source};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::{Error, Result};

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Loads the array in the `.npy` file `path`.
pub fn load_npy(path: impl AsRef<Path>) -> Result<Array> {
    let path = path.as_ref();
    let src = Source::open(path, "load", Error::runtime)?;
    let label = path.display().to_string();
    let ctx = Ctx {
        op: "load",
        label: &label,
    };
    read_npy(&src, 0, src.len(), &ctx, None)
}

/// Loads a `.npy` image held in memory; `label` names it in errors.
pub fn load_npy_bytes(bytes: &[u8], label: &str) -> Result<Array> {
    let src = Source::Bytes(bytes);
    let ctx = Ctx { op: "load", label };
    read_npy(&src, 0, src.len(), &ctx, None)
}

/// Saves `a` to `path` in `.npy` format (the path is used as given).
pub fn save_npy(path: impl AsRef<Path>, a: &Array) -> Result<()> {
    let path = path.as_ref();
    let header = header_for(a)?;
    let data = row_major_bytes(a)?;
    let label = path.display().to_string();
    write_atomically(path, "save", |w| {
        let err = write_err("save", &label);
        w.write_all(&header).map_err(&err)?;
        w.write_all(&data).map_err(&err)
    })
}

/// Writes `a` in `.npy` format to `w`.
pub fn write_npy(w: &mut dyn Write, a: &Array) -> Result<()> {
    let header = header_for(a)?;
    let data = row_major_bytes(a)?;
    let err = write_err("save", "the stream");
    w.write_all(&header).map_err(&err)?;
    w.write_all(&data).map_err(&err)
}

/// NumPy's type string for `dtype` (MLX writes bfloat16 as `<V2`).
fn descr_of(dtype: Dtype) -> &'static str {
    match dtype {
        Dtype::Bool => "|b1",
        Dtype::Uint8 => "|u1",
        Dtype::Uint16 => "<u2",
        Dtype::Uint32 => "<u4",
        Dtype::Uint64 => "<u8",
        Dtype::Int8 => "|i1",
        Dtype::Int16 => "<i2",
        Dtype::Int32 => "<i4",
        Dtype::Int64 => "<i8",
        Dtype::Float16 => "<f2",
        Dtype::Float32 => "<f4",
        Dtype::Float64 => "<f8",
        Dtype::Bfloat16 => "<V2",
        Dtype::Complex64 => "<c8",
    }
}

/// The magic string, version, header length and header dict of `a`,
/// padded so that the data starts at a multiple of 64 bytes.
pub(crate) fn header_for(a: &Array) -> Result<Vec<u8>> {
    let shape = match a.shape() {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        s => format!(
            "({})",
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        descr_of(a.dtype())
    );
    // Version 1 stores the header length in 2 bytes, version 2 in 4.
    let v1 = dict.len() + 1 + 10 < 65536;
    let prefix = if v1 { 10 } else { 12 };
    let total = (prefix + dict.len() + 1).div_ceil(64) * 64;
    dict.push_str(&" ".repeat(total - prefix - dict.len() - 1));
    dict.push('\n');
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    if v1 {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    Ok(out)
}

/// How the file stores the elements, when that differs from the loaded
/// dtype's native layout.
#[derive(Clone, Copy, PartialEq)]
enum Stored {
    Native,
    Swapped,
    Complex128 { swapped: bool },
}

/// Reads the `.npy` image occupying `len` bytes from `base` in `src`.
/// With `crc`, every byte of the image is fed to it (for zip members).
pub(crate) fn read_npy(
    src: &Source<'_>,
    base: u64,
    len: u64,
    ctx: &Ctx<'_>,
    mut crc: Option<&mut Crc32>,
) -> Result<Array> {
    let bad = |msg: &str| ctx.err(format!("Invalid header ({msg})"));
    if len < 10 {
        return Err(bad("too short to be a .npy file"));
    }
    let pre = src.bytes(base, 12.min(len), ctx, "the .npy header")?;
    if &pre[..6] != MAGIC {
        return Err(bad("no NumPy magic string: not a .npy file"));
    }
    let (hlen, prefix) = match pre[6] {
        1 => (u16::from_le_bytes([pre[8], pre[9]]) as u64, 10u64),
        2 | 3 if pre.len() >= 12 => (
            u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]) as u64,
            12,
        ),
        v => {
            return Err(ctx.err(format!("Unsupported npy format version {v}.{}", pre[7])));
        }
    };
    if prefix + hlen > len {
        return Err(ctx.truncated("the .npy header", base + prefix + hlen));
    }
    let header = src.bytes(base + prefix, hlen, ctx, "the .npy header")?;
    if let Some(c) = crc.as_deref_mut() {
        c.update(&pre[..prefix as usize]);
        c.update(&header);
    }
    let text = std::str::from_utf8(&header).map_err(|_| bad("header is not text"))?;
    let (dtype, stored, shape, fortran) = parse_header(text).map_err(|m| bad(&m))?;

    let data_off = base + prefix + hlen;
    let what = "the array data";
    let elems = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| bad("shape too large"))?;
    let stored_size: u64 = match stored {
        Stored::Complex128 { .. } => 16,
        _ => dtype.size() as u64,
    };
    let nbytes = elems
        .checked_mul(stored_size)
        .ok_or_else(|| bad("shape too large"))?;
    if data_off
        .checked_add(nbytes)
        .is_none_or(|end| end > base + len)
    {
        return Err(ctx.truncated(what, (data_off - base).saturating_add(nbytes)));
    }
    let file_shape: Vec<i64> = if fortran {
        shape.iter().rev().copied().collect()
    } else {
        shape.clone()
    };
    let a = match stored {
        Stored::Native => src.array(data_off, &file_shape, dtype, ctx, what, crc)?,
        _ => {
            let mut raw = src.bytes(data_off, nbytes, ctx, what)?;
            if let Some(c) = crc {
                c.update(&raw);
            }
            convert_stored(&mut raw, stored, dtype);
            Array::from_bytes(&raw, &file_shape, dtype)?
        }
    };
    if fortran && shape.len() > 1 {
        return crate::ops::transpose(&a, None, None);
    }
    Ok(a)
}

/// Turns stored bytes into native little-endian elements of `dtype`.
fn convert_stored(raw: &mut Vec<u8>, stored: Stored, dtype: Dtype) {
    let swap = |raw: &mut [u8], w: usize| {
        for c in raw.chunks_exact_mut(w) {
            c.reverse();
        }
    };
    match stored {
        Stored::Native => {}
        Stored::Swapped => {
            // Complex numbers swap each part on its own.
            let w = if dtype == Dtype::Complex64 {
                4
            } else {
                dtype.size()
            };
            swap(raw, w);
        }
        Stored::Complex128 { swapped } => {
            if swapped {
                swap(raw, 8);
            }
            let out: Vec<u8> = raw
                .chunks_exact(8)
                .flat_map(|c| {
                    (f64::from_le_bytes(c.try_into().unwrap_or_default()) as f32).to_le_bytes()
                })
                .collect();
            *raw = out;
        }
    }
}

type Header = (Dtype, Stored, Vec<i64>, bool);

/// Reads the header dict: dtype, storage, shape and Fortran order.
fn parse_header(text: &str) -> std::result::Result<Header, String> {
    let mut p = LitParser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let Some(Lit::Dict(items)) = p.value() else {
        return Err("the header is not a Python dict".into());
    };
    let get = |k: &str| {
        items
            .iter()
            .find(|(key, _)| matches!(key, Lit::Str(s) if s == k))
            .map(|(_, v)| v)
    };
    let descr = match get("descr") {
        Some(Lit::Str(s)) => s.clone(),
        Some(_) => return Err("structured dtypes are not supported".into()),
        None => return Err("no 'descr' key".into()),
    };
    let fortran = match get("fortran_order") {
        Some(Lit::Bool(b)) => *b,
        _ => return Err("no boolean 'fortran_order' key".into()),
    };
    let shape = match get("shape") {
        Some(Lit::Seq(v)) => v
            .iter()
            .map(|d| match d {
                Lit::Int(i) if *i >= 0 => Ok(*i),
                _ => Err("'shape' must hold non-negative integers".to_string()),
            })
            .collect::<std::result::Result<Vec<i64>, String>>()?,
        _ => return Err("no 'shape' tuple".into()),
    };
    let (dtype, stored) = dtype_of_descr(&descr)?;
    Ok((dtype, stored, shape, fortran))
}

/// The dtype for a NumPy type string (`<f4`, `|b1`, `>i8` ...).
fn dtype_of_descr(descr: &str) -> std::result::Result<(Dtype, Stored), String> {
    let unsupported = || format!("unsupported dtype '{descr}'");
    let (order, code) = match descr.as_bytes().first() {
        Some(b'<' | b'>' | b'|' | b'=') => (descr.as_bytes()[0], &descr[1..]),
        _ => (b'=', descr),
    };
    let big = order == b'>';
    let dtype = match code {
        "b1" | "?" => Dtype::Bool,
        "u1" | "B" => Dtype::Uint8,
        "u2" => Dtype::Uint16,
        "u4" => Dtype::Uint32,
        "u8" => Dtype::Uint64,
        "i1" | "b" => Dtype::Int8,
        "i2" => Dtype::Int16,
        "i4" => Dtype::Int32,
        "i8" => Dtype::Int64,
        "f2" | "e" => Dtype::Float16,
        "f4" => Dtype::Float32,
        "f8" => Dtype::Float64,
        "c8" => Dtype::Complex64,
        "V2" => Dtype::Bfloat16,
        "c16" => {
            return Ok((Dtype::Complex64, Stored::Complex128 { swapped: big }));
        }
        _ => return Err(unsupported()),
    };
    let stored = if big && dtype.size() > 1 && dtype != Dtype::Bfloat16 {
        Stored::Swapped
    } else {
        Stored::Native
    };
    Ok((dtype, stored))
}

/// A Python literal, as found in `.npy` headers.
enum Lit {
    Str(String),
    Bool(bool),
    Int(i64),
    None,
    Seq(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
}

/// A parser for the small subset of Python literals NumPy writes.
struct LitParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl LitParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self, w: &str) -> bool {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Lit> {
        self.depth += 1;
        if self.depth > 32 {
            return None;
        }
        let c = self.peek()?;
        let v = match c {
            b'{' => {
                self.i += 1;
                let mut items = Vec::new();
                while !self.eat(b'}') {
                    let k = self.value()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value()?;
                    items.push((k, v));
                    if !self.eat(b',') && self.peek() != Some(b'}') {
                        return None;
                    }
                }
                Lit::Dict(items)
            }
            b'(' | b'[' => {
                let close = if c == b'(' { b')' } else { b']' };
                self.i += 1;
                let mut items = Vec::new();
                while !self.eat(close) {
                    items.push(self.value()?);
                    if !self.eat(b',') && self.peek() != Some(close) {
                        return None;
                    }
                }
                Lit::Seq(items)
            }
            b'\'' | b'"' => {
                self.i += 1;
                let start = self.i;
                while *self.s.get(self.i)? != c {
                    if self.s[self.i] == b'\\' {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                let s = std::str::from_utf8(&self.s[start..self.i])
                    .ok()?
                    .to_string();
                self.i += 1;
                Lit::Str(s)
            }
            b'0'..=b'9' | b'-' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    self.i += 1;
                }
                let v = std::str::from_utf8(&self.s[start..self.i])
                    .ok()?
                    .parse()
                    .ok()?;
                // Python 2 headers may write longs as `3L`.
                if self.s.get(self.i) == Some(&b'L') {
                    self.i += 1;
                }
                Lit::Int(v)
            }
            _ if self.word("True") => Lit::Bool(true),
            _ if self.word("False") => Lit::Bool(false),
            _ if self.word("None") => Lit::None,
            _ => return None,
        };
        self.depth -= 1;
        Some(v)
    }
}
