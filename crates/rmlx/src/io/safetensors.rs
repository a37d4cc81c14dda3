//! `.safetensors` files: an 8-byte header length, a JSON header (tensor
//! dtype, shape and byte range, plus an optional `__metadata__` map of
//! strings) and the tensors' little-endian bytes.
//!
//! The header is parsed by a small JSON reader of our own so that only the
//! header is read up front; each tensor then maps the file's bytes (see the
//! `io` module doc) or goes straight from the file into its buffer. MLX's dtype names are used (`C64` for complex64, `F8_E4M3`
//! loads as raw uint8 bytes as in MLX); float64 (`F64`) is also supported.

use std::io::Write;
use std::path::Path;

use super::json::{self, Json};
use super::{row_major_bytes, write_atomically, write_err, Ctx, Named, Source};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::{Error, Result};

/// String metadata of a `.safetensors` file, in file order.
pub type Metadata = Vec<(String, String)>;

/// The longest header accepted (the limit of the reference implementation).
const MAX_HEADER: u64 = 100_000_000;

/// Loads the arrays and metadata of the `.safetensors` file `path`.
pub fn load_safetensors(path: impl AsRef<Path>) -> Result<(Vec<Named>, Metadata)> {
    let path = path.as_ref();
    let src = Source::open(path, "load_safetensors", Error::runtime)?;
    read(&src, &path.display().to_string())
}

/// Loads a `.safetensors` image held in memory; `label` names it in errors.
pub fn load_safetensors_bytes(bytes: &[u8], label: &str) -> Result<(Vec<Named>, Metadata)> {
    read(&Source::Bytes(bytes), label)
}

fn dtype_from_str(s: &str) -> Option<Dtype> {
    Some(match s {
        "BOOL" => Dtype::Bool,
        "U8" | "F8_E4M3" => Dtype::Uint8,
        "U16" => Dtype::Uint16,
        "U32" => Dtype::Uint32,
        "U64" => Dtype::Uint64,
        "I8" => Dtype::Int8,
        "I16" => Dtype::Int16,
        "I32" => Dtype::Int32,
        "I64" => Dtype::Int64,
        "F16" => Dtype::Float16,
        "BF16" => Dtype::Bfloat16,
        "F32" => Dtype::Float32,
        "F64" => Dtype::Float64,
        "C64" => Dtype::Complex64,
        _ => return None,
    })
}

fn dtype_to_str(d: Dtype) -> &'static str {
    match d {
        Dtype::Bool => "BOOL",
        Dtype::Uint8 => "U8",
        Dtype::Uint16 => "U16",
        Dtype::Uint32 => "U32",
        Dtype::Uint64 => "U64",
        Dtype::Int8 => "I8",
        Dtype::Int16 => "I16",
        Dtype::Int32 => "I32",
        Dtype::Int64 => "I64",
        Dtype::Float16 => "F16",
        Dtype::Bfloat16 => "BF16",
        Dtype::Float32 => "F32",
        Dtype::Float64 => "F64",
        Dtype::Complex64 => "C64",
    }
}

fn read(src: &Source<'_>, label: &str) -> Result<(Vec<Named>, Metadata)> {
    let ctx = Ctx {
        op: "load_safetensors",
        label,
    };
    let len = src.len();
    if len < 8 {
        return Err(ctx.err("Invalid json header length (the file is too short)"));
    }
    let pre = src.bytes(0, 8, &ctx, "the header length")?;
    let n = u64::from_le_bytes(pre.try_into().unwrap_or_default());
    if n == 0 || n >= MAX_HEADER {
        return Err(ctx.err(format!("Invalid json header length {n}")));
    }
    let header = src.bytes(8, n, &ctx, "the json header")?;
    let text =
        std::str::from_utf8(&header).map_err(|_| ctx.err("Invalid json header (not UTF-8)"))?;
    let Json::Obj(items) =
        json::parse(text).map_err(|e| ctx.err(format!("Invalid json header ({e})")))?
    else {
        return Err(ctx.err("Invalid json metadata (the header is not an object)"));
    };
    let data_start = 8 + n;
    let mut arrays: Vec<Named> = Vec::new();
    let mut meta = Metadata::new();
    for (key, v) in items {
        if key == "__metadata__" {
            match v {
                Json::Null => {}
                Json::Obj(kv) => {
                    for (k, v) in kv {
                        let Json::Str(s) = v else {
                            return Err(
                                ctx.err(format!("Metadata value for key '{k}' is not a string"))
                            );
                        };
                        meta.push((k, s));
                    }
                }
                _ => return Err(ctx.err("Invalid json metadata ('__metadata__' is not an object)")),
            }
            continue;
        }
        let (dtype, shape, (start, end)) = tensor_info(&v)
            .map_err(|m| ctx.err(format!("Invalid entry for tensor '{key}' ({m})")))?;
        let what = format!("tensor '{key}'");
        let nbytes = super::checked_nbytes(&shape, dtype, &ctx, &what)?;
        if end < start || end - start != nbytes {
            return Err(ctx.err(format!(
                "Tensor '{key}' invalid data offsets ({start}, {end}). Expecting {nbytes} bytes"
            )));
        }
        if data_start + end > len {
            return Err(ctx.truncated(&what, data_start + end));
        }
        let a = src.array(data_start + start, &shape, dtype, &ctx, &what, None)?;
        arrays.push((key, a));
    }
    Ok((arrays, meta))
}

type Info = (Dtype, Vec<i64>, (u64, u64));

fn tensor_info(v: &Json) -> std::result::Result<Info, String> {
    let Json::Obj(fields) = v else {
        return Err("not an object".into());
    };
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
    let dtype = match get("dtype") {
        Some(Json::Str(s)) => dtype_from_str(s).ok_or_else(|| format!("unsupported dtype {s}"))?,
        _ => return Err("no dtype".into()),
    };
    let ints = |v: Option<&Json>, what: &str| -> std::result::Result<Vec<i64>, String> {
        match v {
            Some(Json::Arr(xs)) => xs
                .iter()
                .map(|x| match x {
                    Json::Int(i) if *i >= 0 && *i <= i64::MAX as i128 => Ok(*i as i64),
                    _ => Err(format!("{what} must hold non-negative integers")),
                })
                .collect(),
            _ => Err(format!("no {what}")),
        }
    };
    let shape = ints(get("shape"), "shape")?;
    let offs = ints(get("data_offsets"), "data_offsets")?;
    if offs.len() != 2 {
        return Err("data_offsets must hold two integers".into());
    }
    Ok((dtype, shape, (offs[0] as u64, offs[1] as u64)))
}

/// Saves `arrays` and string `metadata` to `path` in `.safetensors`
/// format (the path is used as given).
pub fn save_safetensors(
    path: impl AsRef<Path>,
    arrays: &[Named],
    metadata: &[(String, String)],
) -> Result<()> {
    let path = path.as_ref();
    let header = header(arrays, metadata)?;
    let label = path.display().to_string();
    write_atomically(path, "save_safetensors", |w| {
        write_body(w, &header, arrays, &label)
    })
}

/// Writes `arrays` and `metadata` in `.safetensors` format to `w`.
pub fn write_safetensors(
    w: &mut dyn Write,
    arrays: &[Named],
    metadata: &[(String, String)],
) -> Result<()> {
    let header = header(arrays, metadata)?;
    write_body(w, &header, arrays, "the stream")
}

fn write_body(w: &mut dyn Write, header: &[u8], arrays: &[Named], label: &str) -> Result<()> {
    let err = write_err("save_safetensors", label);
    w.write_all(header).map_err(&err)?;
    for (_, a) in arrays {
        w.write_all(&row_major_bytes(a)?).map_err(&err)?;
    }
    Ok(())
}

/// The length prefix and JSON header, padded with spaces so that the data
/// starts 8-byte aligned (as the reference writer does).
fn header(arrays: &[Named], metadata: &[(String, String)]) -> Result<Vec<u8>> {
    let all: Vec<Array> = arrays.iter().map(|(_, a)| a.clone()).collect();
    crate::eval::eval(&all)?;
    let mut parts = Vec::new();
    if !metadata.is_empty() {
        let kv: Vec<String> = metadata
            .iter()
            .map(|(k, v)| format!("{}:{}", json::quote(k), json::quote(v)))
            .collect();
        parts.push(format!("\"__metadata__\":{{{}}}", kv.join(",")));
    }
    let mut off = 0u64;
    for (i, (name, a)) in arrays.iter().enumerate() {
        if name == "__metadata__" {
            return Err(Error::value(
                "[save_safetensors] '__metadata__' cannot name an array",
            ));
        }
        if arrays[..i].iter().any(|(n, _)| n == name) {
            return Err(Error::value(format!(
                "[save_safetensors] Duplicate array name '{name}'"
            )));
        }
        let end = off + a.nbytes() as u64;
        let shape: Vec<String> = a.shape().iter().map(|d| d.to_string()).collect();
        parts.push(format!(
            "{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{off},{end}]}}",
            json::quote(name),
            dtype_to_str(a.dtype()),
            shape.join(",")
        ));
        off = end;
    }
    let mut text = format!("{{{}}}", parts.join(","));
    while text.len() % 8 != 0 {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len());
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    Ok(out)
}
