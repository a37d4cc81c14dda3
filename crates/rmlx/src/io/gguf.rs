//! GGUF files (versions 2 and 3): typed metadata and tensors, read and
//! written as MLX does.
//!
//! Loading: F32, F16, I8, I16, I32 tensors keep their dtype (and, beyond
//! MLX, I64, F64 and BF16 do too); Q4_0, Q4_1 and Q8_0 tensors named
//! `<p>.weight` become `<p>.weight` (packed uint32), `<p>.scales` and
//! `<p>.biases` (float16, group size 32) for `mx.dequantize`; Q4_K and Q6_K
//! are dequantized to float16. Other quantized types are refused by name. Metadata scalars become 0-d arrays (float64 as
//! float32, as in MLX), numeric arrays 1-d arrays, strings and string
//! arrays stay strings. Dimensions are stored innermost first in GGUF and
//! reversed on the way in and out.

use std::io::Write;
use std::path::Path;

use super::gguf_quants::{dequantize_q4k, dequantize_q6k, unpack, GgmlType};
use super::{row_major_bytes, write_atomically, write_err, Ctx, Named, Source};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::{Error, Result};

/// A GGUF metadata value.
#[derive(Clone, Debug)]
pub enum GgufMeta {
    /// A number or bool (0-d array) or a 1-d array of them.
    Array(Array),
    /// A string.
    String(String),
    /// An array of strings.
    Strings(Vec<String>),
}

/// Tensors and metadata of a GGUF file, in file order.
pub type GgufLoad = (Vec<Named>, Vec<(String, GgufMeta)>);

const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;

// Metadata value types.
const T_U8: u32 = 0;
const T_I8: u32 = 1;
const T_U16: u32 = 2;
const T_I16: u32 = 3;
const T_U32: u32 = 4;
const T_I32: u32 = 5;
const T_F32: u32 = 6;
const T_BOOL: u32 = 7;
const T_STRING: u32 = 8;
const T_ARRAY: u32 = 9;
const T_U64: u32 = 10;
const T_I64: u32 = 11;
const T_F64: u32 = 12;

/// Loads the tensors and metadata of the `.gguf` file `path`.
pub fn load_gguf(path: impl AsRef<Path>) -> Result<GgufLoad> {
    let path = path.as_ref();
    let src = Source::open(path, "load_gguf", Error::value)?;
    read(&src, &path.display().to_string())
}

/// Loads a `.gguf` image held in memory; `label` names it in errors.
pub fn load_gguf_bytes(bytes: &[u8], label: &str) -> Result<GgufLoad> {
    read(&Source::Bytes(bytes), label)
}

/// Sequential reads of the header through a window over the source.
struct HeaderReader<'s, 'c> {
    src: &'s Source<'s>,
    ctx: &'c Ctx<'c>,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl HeaderReader<'_, '_> {
    fn take(&mut self, n: u64, what: &str) -> Result<&[u8]> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or_else(|| self.ctx.truncated(what, u64::MAX))?;
        if end > self.src.len() {
            return Err(self.ctx.truncated(what, end));
        }
        if self.pos < self.buf_start || end > self.buf_start + self.buf.len() as u64 {
            let want = n.max(1 << 20).min(self.src.len() - self.pos);
            self.buf = self.src.bytes(self.pos, want, self.ctx, what)?;
            self.buf_start = self.pos;
        }
        let s = (self.pos - self.buf_start) as usize;
        self.pos = end;
        Ok(&self.buf[s..s + n as usize])
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }
    fn string(&mut self, what: &str) -> Result<String> {
        let n = self.u64(what)?;
        let b = self.take(n, what)?;
        Ok(String::from_utf8_lossy(b).into_owned())
    }
}

fn meta_dtype(t: u32) -> Option<Dtype> {
    Some(match t {
        T_U8 => Dtype::Uint8,
        T_I8 => Dtype::Int8,
        T_U16 => Dtype::Uint16,
        T_I16 => Dtype::Int16,
        T_U32 => Dtype::Uint32,
        T_I32 => Dtype::Int32,
        T_F32 => Dtype::Float32,
        T_BOOL => Dtype::Bool,
        T_U64 => Dtype::Uint64,
        T_I64 => Dtype::Int64,
        T_F64 => Dtype::Float64,
        _ => return None,
    })
}

/// `n` numbers of metadata type `t` as an array (float64 narrowed to
/// float32 as MLX does).
fn meta_numbers(r: &mut HeaderReader<'_, '_>, t: u32, shape: &[i64], key: &str) -> Result<Array> {
    let d = meta_dtype(t).ok_or_else(|| {
        r.ctx
            .err(format!("Metadata key '{key}' has unknown value type {t}"))
    })?;
    let n = shape.iter().product::<i64>() as u64;
    let what = format!("metadata value '{key}'");
    let bytes = n
        .checked_mul(d.size() as u64)
        .ok_or_else(|| r.ctx.err(format!("{what} is impossibly large")))?;
    let mut raw = r.take(bytes, &what)?.to_vec();
    if d == Dtype::Float64 {
        let f: Vec<f32> = raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()) as f32)
            .collect();
        return Array::from_slice(&f, shape);
    }
    if d == Dtype::Bool {
        super::sanitize_bools(&mut raw);
    }
    Array::from_bytes(&raw, shape, d)
}

fn read(src: &Source<'_>, label: &str) -> Result<GgufLoad> {
    let ctx = Ctx {
        op: "load_gguf",
        label,
    };
    let mut r = HeaderReader {
        src,
        ctx: &ctx,
        pos: 0,
        buf: Vec::new(),
        buf_start: 0,
    };
    if src.len() < 4 || r.take(4, "the header")? != MAGIC {
        return Err(ctx.err("Invalid header (not a GGUF file: no GGUF magic)"));
    }
    let version = r.u32("the header")?;
    if !(2..=3).contains(&version) {
        return Err(ctx.err(format!(
            "Unsupported GGUF version {version} (2 and 3 are supported)"
        )));
    }
    let n_tensors = r.u64("the header")?;
    let n_kv = r.u64("the header")?;

    let mut meta = Vec::new();
    let mut alignment = DEFAULT_ALIGNMENT;
    for _ in 0..n_kv {
        let key = r.string("a metadata key")?;
        let t = r.u32("a metadata type")?;
        let value = match t {
            T_STRING => GgufMeta::String(r.string("a metadata string")?),
            T_ARRAY => {
                let et = r.u32("a metadata array")?;
                let n = r.u64("a metadata array")?;
                match et {
                    T_STRING => {
                        let mut v = Vec::new();
                        for _ in 0..n {
                            v.push(r.string("a metadata string")?);
                        }
                        GgufMeta::Strings(v)
                    }
                    T_ARRAY => {
                        return Err(Error::value(format!(
                            "[load_gguf] Only supports loading 1-layer of nested arrays (key '{key}' in file {label})"
                        )))
                    }
                    _ => {
                        let n = i64::try_from(n).map_err(|_| ctx.err("Metadata array too long"))?;
                        GgufMeta::Array(meta_numbers(&mut r, et, &[n], &key)?)
                    }
                }
            }
            _ => {
                let a = meta_numbers(&mut r, t, &[], &key)?;
                if key == "general.alignment" && t == T_U32 {
                    alignment = a.item::<u32>()? as u64;
                    if alignment == 0 {
                        return Err(ctx.err("general.alignment is 0"));
                    }
                }
                GgufMeta::Array(a)
            }
        };
        meta.push((key, value));
    }

    struct Info {
        name: String,
        shape: Vec<i64>,
        ty: u32,
        offset: u64,
    }
    let mut infos = Vec::new();
    for _ in 0..n_tensors {
        let name = r.string("a tensor name")?;
        let nd = r.u32("a tensor header")?;
        if nd > 16 {
            return Err(ctx.err(format!("Tensor '{name}' has {nd} dimensions")));
        }
        let mut dims = Vec::new();
        for _ in 0..nd {
            let d = r.u64("a tensor header")?;
            dims.push(
                i64::try_from(d).map_err(|_| {
                    ctx.err(format!("Tensor '{name}' has an impossibly large shape"))
                })?,
            );
        }
        dims.reverse();
        let ty = r.u32("a tensor header")?;
        let offset = r.u64("a tensor header")?;
        infos.push(Info {
            name,
            shape: dims,
            ty,
            offset,
        });
    }
    let data_start = r.pos.div_ceil(alignment) * alignment;

    let mut arrays: Vec<Named> = Vec::new();
    let mut insert = |name: String, a: Array| -> Result<()> {
        if arrays.iter().any(|(n, _)| *n == name) {
            return Err(ctx.err(format!(
                "Duplicate parameter name {name}; this can happen when loading quantized tensors"
            )));
        }
        arrays.push((name, a));
        Ok(())
    };
    for info in infos {
        let Info {
            name,
            shape,
            ty,
            offset,
        } = info;
        let t = GgmlType::from_id(ty).ok_or_else(|| {
            ctx.err(format!(
                "Tensor '{name}' has unsupported GGUF type {} ({ty})",
                GgmlType::name_of(ty)
            ))
        })?;
        let what = format!("tensor '{name}'");
        let off = data_start
            .checked_add(offset)
            .ok_or_else(|| ctx.truncated(&what, u64::MAX))?;
        if let Some(d) = t.plain_dtype() {
            insert(name, src.array(off, &shape, d, &ctx, &what, None)?)?;
            continue;
        }
        let n = super::checked_nbytes(&shape, Dtype::Uint8, &ctx, &what)?;
        let (per, bytes) = t.block();
        let last = shape.last().copied().unwrap_or(1);
        if last % per as i64 != 0 {
            return Err(ctx.err(format!(
                "Tensor '{name}' has incompatible last dim shape: {last} (type {} needs a multiple of {per})",
                GgmlType::name_of(ty)
            )));
        }
        let data = src.bytes(off, n / per * bytes, &ctx, &what)?;
        if matches!(t, GgmlType::Q4K | GgmlType::Q6K) {
            let v = if t == GgmlType::Q4K {
                dequantize_q4k(&data, n as usize)
            } else {
                dequantize_q6k(&data, n as usize)
            };
            insert(name, Array::from_slice(&v, &shape)?)?;
            continue;
        }
        let bits = t.quantized_bits().unwrap_or(4) as i64;
        let (w, s, b) = unpack(t, &data, n as usize);
        let mut wshape = shape.clone();
        let mut sshape = shape.clone();
        if let (Some(wl), Some(sl)) = (wshape.last_mut(), sshape.last_mut()) {
            *wl = last * bits / 32;
            *sl = last / 32;
        }
        // MLX names the companions by dropping the last 7 characters
        // (".weight") of the tensor's name.
        let prefix = if name.len() >= 7 {
            String::from_utf8_lossy(&name.as_bytes()[..name.len() - 7]).into_owned()
        } else {
            name.clone()
        };
        insert(name, Array::from_bytes(&w, &wshape, Dtype::Uint32)?)?;
        insert(format!("{prefix}.scales"), Array::from_slice(&s, &sshape)?)?;
        insert(format!("{prefix}.biases"), Array::from_slice(&b, &sshape)?)?;
    }
    Ok((arrays, meta))
}

// ---------------------------------------------------------------------------
// Writing

/// Saves `arrays` and `metadata` to `path` in `.gguf` format (the path is
/// used as given).
pub fn save_gguf(
    path: impl AsRef<Path>,
    arrays: &[Named],
    metadata: &[(String, GgufMeta)],
) -> Result<()> {
    let path = path.as_ref();
    let (header, alignment) = header(arrays, metadata)?;
    let label = path.display().to_string();
    write_atomically(path, "save_gguf", |w| {
        write_body(w, &header, alignment, arrays, &label)
    })
}

/// Writes `arrays` and `metadata` in `.gguf` format to `w`.
pub fn write_gguf(
    w: &mut dyn Write,
    arrays: &[Named],
    metadata: &[(String, GgufMeta)],
) -> Result<()> {
    let (header, alignment) = header(arrays, metadata)?;
    write_body(w, &header, alignment, arrays, "the stream")
}

fn write_body(
    w: &mut dyn Write,
    header: &[u8],
    alignment: u64,
    arrays: &[Named],
    label: &str,
) -> Result<()> {
    let err = write_err("save_gguf", label);
    w.write_all(header).map_err(&err)?;
    let mut pos = header.len() as u64;
    let zeros = vec![0u8; alignment as usize];
    for (_, a) in arrays {
        let pad = pos.next_multiple_of(alignment) - pos;
        w.write_all(&zeros[..pad as usize]).map_err(&err)?;
        w.write_all(&row_major_bytes(a)?).map_err(&err)?;
        pos += pad + a.nbytes() as u64;
    }
    Ok(())
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn meta_type_of(d: Dtype) -> Option<u32> {
    Some(match d {
        Dtype::Uint8 => T_U8,
        Dtype::Int8 => T_I8,
        Dtype::Uint16 => T_U16,
        Dtype::Int16 => T_I16,
        Dtype::Uint32 => T_U32,
        Dtype::Int32 => T_I32,
        Dtype::Float32 => T_F32,
        Dtype::Bool => T_BOOL,
        Dtype::Uint64 => T_U64,
        Dtype::Int64 => T_I64,
        Dtype::Float64 => T_F64,
        _ => return None,
    })
}

/// Everything before the tensor data (header, metadata, tensor infos and
/// the padding up to the data section), and the alignment used.
fn header(arrays: &[Named], metadata: &[(String, GgufMeta)]) -> Result<(Vec<u8>, u64)> {
    let mut all: Vec<Array> = arrays.iter().map(|(_, a)| a.clone()).collect();
    for (_, m) in metadata {
        if let GgufMeta::Array(a) = m {
            all.push(a.clone());
        }
    }
    crate::eval::eval(&all)?;
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(arrays.len() as u64).to_le_bytes());
    out.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    let mut alignment = DEFAULT_ALIGNMENT;
    for (key, m) in metadata {
        put_str(&mut out, key);
        match m {
            GgufMeta::String(s) => {
                out.extend_from_slice(&T_STRING.to_le_bytes());
                put_str(&mut out, s);
            }
            GgufMeta::Strings(v) => {
                out.extend_from_slice(&T_ARRAY.to_le_bytes());
                out.extend_from_slice(&T_STRING.to_le_bytes());
                out.extend_from_slice(&(v.len() as u64).to_le_bytes());
                for s in v {
                    put_str(&mut out, s);
                }
            }
            GgufMeta::Array(a) => {
                if a.ndim() > 1 {
                    bail_value!("[save_gguf] Cannot save arrays with more than one dimension (metadata key '{key}').");
                }
                if a.size() == 0 {
                    bail_value!("[save_gguf] Cannot save empty arrays (metadata key '{key}').");
                }
                let t = meta_type_of(a.dtype()).ok_or_else(|| {
                    Error::value(format!(
                        "[save_gguf] array type {} not support for metadata (key '{key}').",
                        a.dtype()
                    ))
                })?;
                if a.ndim() == 1 {
                    out.extend_from_slice(&T_ARRAY.to_le_bytes());
                    out.extend_from_slice(&t.to_le_bytes());
                    out.extend_from_slice(&(a.size() as u64).to_le_bytes());
                } else {
                    out.extend_from_slice(&t.to_le_bytes());
                    if key == "general.alignment" && a.dtype() == Dtype::Uint32 {
                        alignment = (a.item::<u32>()? as u64).max(1);
                    }
                }
                out.extend_from_slice(&row_major_bytes(a)?);
            }
        }
    }
    let mut offset = 0u64;
    for (name, a) in arrays {
        let t = GgmlType::for_dtype(a.dtype()).ok_or_else(|| {
            Error::runtime(format!(
                "[save_gguf] dtype {} is not supported (array '{name}')",
                a.dtype()
            ))
        })?;
        put_str(&mut out, name);
        out.extend_from_slice(&(a.ndim() as u32).to_le_bytes());
        for &d in a.shape().iter().rev() {
            out.extend_from_slice(&(d as u64).to_le_bytes());
        }
        out.extend_from_slice(&t.id().to_le_bytes());
        offset = offset.next_multiple_of(alignment);
        out.extend_from_slice(&offset.to_le_bytes());
        offset += a.nbytes() as u64;
    }
    let pad = (out.len() as u64).next_multiple_of(alignment) - out.len() as u64;
    out.resize(out.len() + pad as usize, 0);
    Ok((out, alignment))
}
