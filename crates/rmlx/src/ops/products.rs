//! Matrix and tensor products: `matmul`, `addmm`, `inner`, `outer`,
//! `tensordot`, `vecdot`, `kron`, `block_masked_mm`, `gather_mm`,
//! `segmented_mm` and `hadamard_transform` (`einsum` lives in
//! `einsum.rs`). Validation, promotion and messages follow MLX 0.32.4:
//! matrix products need inexact dtypes (integer operands are refused as
//! MLX refuses them), 1-D operands gain a unit axis that is squeezed from
//! the result, and batch axes broadcast.

use std::sync::Arc;

use super::{
    arange, astype, broadcast_arrays, broadcast_shapes, broadcast_to, conjugate, equal,
    expand_dims, flatten, fmt_shape, greater_equal, less, logical_and, multiply, reshape,
    slice_strided, squeeze, sum, unflatten, where_,
};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::{promote_types, result_type, Dtype};
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::primitives::matmul::{AddMM, GatherMM, Hadamard, Matmul, SegmentedMM};

/// A 0-d array of `v` in dtype `dt`.
fn scalar(v: f64, dt: Dtype) -> Result<Array> {
    Array::from_scalar(Scalar::Float(v), dt)
}

/// Inserts MLX's unit axes for 1-D operands: `a` becomes `(1, k)`, `b`
/// becomes `(k, 1)`; errors on 0-d inputs.
fn expand_operands(op: &str, a: &Array, b: &Array, s: Stream) -> Result<(Array, Array)> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(Error::value(format!(
            "[{op}] Got 0 dimension input. Inputs must have at least one dimension."
        )));
    }
    let a = if a.ndim() == 1 {
        expand_dims(a, &[0], Some(s))?
    } else {
        a.clone()
    };
    let b = if b.ndim() == 1 {
        expand_dims(b, &[1], Some(s))?
    } else {
        b.clone()
    };
    let (ka, kb) = (a.shape()[a.ndim() - 1], b.shape()[b.ndim() - 2]);
    if ka != kb {
        return Err(Error::value(format!(
            "[{op}] Last dimension of first input with shape {} must match second to last dimension of second input with shape {}.",
            fmt_shape(a.shape()),
            fmt_shape(b.shape())
        )));
    }
    Ok((a, b))
}

/// Removes the unit axes `expand_operands` inserted.
fn squeeze_inserted(out: Array, in_a: usize, in_b: usize, s: Stream) -> Result<Array> {
    let nd = out.ndim() as i64;
    let mut axes = Vec::new();
    if in_a == 1 {
        axes.push(nd - 2);
    }
    if in_b == 1 {
        axes.push(nd - 1);
    }
    if axes.is_empty() {
        Ok(out)
    } else {
        squeeze(&out, Some(&axes), Some(s))
    }
}

/// Broadcasts the batch axes (all but the last two) of `a` and `b`.
fn broadcast_batch(a: &Array, b: &Array, s: Stream) -> Result<(Array, Array)> {
    let (na, nb) = (a.ndim(), b.ndim());
    let batch = broadcast_shapes(&a.shape()[..na - 2], &b.shape()[..nb - 2])?;
    let mut sa = batch.clone();
    sa.extend_from_slice(&a.shape()[na - 2..]);
    let mut sb = batch;
    sb.extend_from_slice(&b.shape()[nb - 2..]);
    Ok((
        broadcast_to(a, &sa, Some(s))?,
        broadcast_to(b, &sb, Some(s))?,
    ))
}

/// The `Matmul` node of operands with equal batch shapes.
fn matmul_node(a: Array, b: Array, s: Stream) -> Array {
    let mut shape = a.shape().to_vec();
    let nd = shape.len();
    shape[nd - 1] = b.shape()[b.ndim() - 1];
    let dt = a.dtype();
    Array::from_op(shape, dt, s, Arc::new(Matmul), vec![a, b])
}

/// Matrix product with NumPy's rules for 1-D operands and broadcast batch
/// axes. Inexact dtypes only (MLX refuses integer products).
pub fn matmul(a: &Array, b: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "matmul")?;
    let (in_a, in_b) = (a.ndim(), b.ndim());
    let (a, b) = expand_operands("matmul", a, b, s)?;
    let dt = promote_types(a.dtype(), b.dtype());
    if !dt.is_inexact() {
        return Err(Error::value(format!(
            "[matmul] Only inexact types are supported but {} and {} were provided which results in {dt}, which is not a floating point type.",
            a.dtype(),
            b.dtype()
        )));
    }
    let (a, b) = (astype(&a, dt, Some(s))?, astype(&b, dt, Some(s))?);
    let out = if in_a > 2 && in_b <= 2 {
        // One tall product instead of a batch sharing its right operand.
        let lead = a.shape()[..a.ndim() - 1].to_vec();
        let flat = flatten(&a, 0, -2, Some(s))?;
        unflatten(&matmul_node(flat, b, s), 0, &lead, Some(s))?
    } else if in_b > 2 {
        let (a, b) = broadcast_batch(&a, &b, s)?;
        matmul_node(a, b, s)
    } else {
        matmul_node(a, b, s)
    };
    squeeze_inserted(out, in_a, in_b, s)
}

/// `alpha * (a @ b) + beta * c`, with `c` broadcast to the product's shape.
pub fn addmm(
    c: &Array,
    a: &Array,
    b: &Array,
    alpha: f64,
    beta: f64,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "addmm")?;
    let (in_a, in_b) = (a.ndim(), b.ndim());
    if in_a == 0 || in_b == 0 {
        return Err(Error::value(
            "[addmm] Got 0 dimension input. Inputs must have at least one dimension.",
        ));
    }
    let dt = result_type(&[a.dtype(), b.dtype(), c.dtype()]);
    if dt == Dtype::Complex64 {
        let p = multiply(
            &matmul(a, b, Some(s))?,
            &scalar(alpha, Dtype::Float32)?,
            Some(s),
        )?;
        let q = multiply(&scalar(beta, Dtype::Float32)?, c, Some(s))?;
        return super::add(&p, &q, Some(s));
    }
    let (a, b) = expand_operands("addmm", a, b, s)?;
    if !dt.is_floating() {
        return Err(Error::value(format!(
            "[addmm] Only real floating point types are supported but {}, {} and {} were provided which results in {dt}, which is not a real floating point type.",
            c.dtype(),
            a.dtype(),
            b.dtype()
        )));
    }
    let a = astype(&a, dt, Some(s))?;
    let b = astype(&b, dt, Some(s))?;
    let c = astype(c, dt, Some(s))?;
    let prim = Arc::new(AddMM { alpha, beta });
    if a.ndim() > 2 && b.ndim() == 2 && c.ndim() <= 1 {
        let mut out_shape = a.shape().to_vec();
        let k = out_shape[out_shape.len() - 1];
        let a2 = reshape(&a, &[-1, k], Some(s))?;
        let n = b.shape()[1];
        *out_shape.last_mut().unwrap() = n;
        if in_b == 1 {
            out_shape.pop();
        }
        let rows = a2.shape()[0];
        let c2 = broadcast_to(&c, &[rows, n], Some(s))?;
        let out = Array::from_op(vec![rows, n], dt, s, prim, vec![a2, b, c2]);
        return reshape(&out, &out_shape, Some(s));
    }
    let (a, b) = if a.ndim() > 2 || b.ndim() > 2 {
        broadcast_batch(&a, &b, s)?
    } else {
        (a, b)
    };
    let mut out_shape = a.shape().to_vec();
    let nd = out_shape.len();
    out_shape[nd - 1] = b.shape()[b.ndim() - 1];
    let mut adjusted = out_shape.clone();
    if in_a == 1 || in_b == 1 {
        let lo = nd - if in_a == 1 { 2 } else { 1 };
        let hi = nd - if in_b == 1 { 0 } else { 1 };
        adjusted.drain(lo..hi);
    }
    let cshape = broadcast_shapes(c.shape(), &adjusted)?;
    let mut c = broadcast_to(&c, &cshape, Some(s))?;
    if in_a == 1 || in_b == 1 {
        let mut r = c.shape().to_vec();
        if in_b == 1 {
            r.push(1);
        }
        if in_a == 1 {
            let last = *r.last().unwrap_or(&1);
            r.push(last);
            let l = r.len();
            r[l - 2] = 1;
        }
        c = reshape(&c, &r, Some(s))?;
    }
    if c.shape() != out_shape.as_slice() {
        return Err(Error::value(
            "[addmm] input c must broadcast to the output shape",
        ));
    }
    let out = Array::from_op(out_shape, dt, s, prim, vec![a, b, c]);
    squeeze_inserted(out, in_a, in_b, s)
}

/// Contracts `axes_a` of `a` with `axes_b` of `b` (pairwise).
pub fn tensordot(
    a: &Array,
    b: &Array,
    axes_a: &[i64],
    axes_b: &[i64],
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "tensordot")?;
    if axes_a.len() != axes_b.len() {
        return Err(Error::value("[tensordot] axes must have the same size."));
    }
    let ax_a: Vec<usize> = axes_a
        .iter()
        .map(|&x| super::normalize_axis("tensordot", x, a.ndim()))
        .collect::<Result<_>>()?;
    let ax_b: Vec<usize> = axes_b
        .iter()
        .map(|&x| super::normalize_axis("tensordot", x, b.ndim()))
        .collect::<Result<_>>()?;
    let mut csize = 1i64;
    for (&i, &j) in ax_a.iter().zip(&ax_b) {
        if a.shape()[i] != b.shape()[j] {
            return Err(Error::value(
                "[tensordot] a and b must have the same shape on the contracted axes.",
            ));
        }
        csize *= a.shape()[i];
    }
    let mut t1: Vec<i64> = Vec::new();
    let mut t2: Vec<i64> = Vec::new();
    let mut rshape = Vec::new();
    let (mut size1, mut size2) = (1i64, 1i64);
    for i in 0..a.ndim() {
        if !ax_a.contains(&i) {
            t1.push(i as i64);
            size1 *= a.shape()[i];
            rshape.push(a.shape()[i]);
        }
    }
    t1.extend(ax_a.iter().map(|&x| x as i64));
    t2.extend(ax_b.iter().map(|&x| x as i64));
    for i in 0..b.ndim() {
        if !ax_b.contains(&i) {
            t2.push(i as i64);
            size2 *= b.shape()[i];
            rshape.push(b.shape()[i]);
        }
    }
    let x = reshape(
        &super::transpose(a, Some(&t1), Some(s))?,
        &[size1, csize],
        Some(s),
    )?;
    let y = reshape(
        &super::transpose(b, Some(&t2), Some(s))?,
        &[csize, size2],
        Some(s),
    )?;
    reshape(&matmul(&x, &y, Some(s))?, &rshape, Some(s))
}

/// `tensordot` over the last `axis` axes of `a` and the first of `b`.
pub fn tensordot_n(a: &Array, b: &Array, axis: i64, s: Option<Stream>) -> Result<Array> {
    if axis < 0 {
        return Err(Error::value(
            "[tensordot] axis must be greater or equal to 0.",
        ));
    }
    if axis > a.ndim().min(b.ndim()) as i64 {
        return Err(Error::value(
            "[tensordot] axis must be less than the number of dimensions of a and b.",
        ));
    }
    let adims: Vec<i64> = (0..axis).map(|i| i - axis).collect();
    let bdims: Vec<i64> = (0..axis).collect();
    tensordot(a, b, &adims, &bdims, s)
}

/// Outer product of the flattened inputs.
pub fn outer(a: &Array, b: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "outer")?;
    let col = reshape(a, &[a.size() as i64, 1], Some(s))?;
    multiply(&col, &flatten(b, 0, -1, Some(s))?, Some(s))
}

/// Inner product over the last axes (a product for 0-d inputs).
pub fn inner(a: &Array, b: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "inner")?;
    if a.ndim() == 0 || b.ndim() == 0 {
        return multiply(a, b, Some(s));
    }
    if a.shape()[a.ndim() - 1] != b.shape()[b.ndim() - 1] {
        return Err(Error::value(
            "[inner] a and b must have the same last dimension.",
        ));
    }
    tensordot(a, b, &[-1], &[-1], Some(s))
}

/// `sum(conj(a) * b, axis)` (MLX's checks: equal ranks, equal extents on
/// `axis`; the other axes broadcast).
pub fn vecdot(a: &Array, b: &Array, axis: i64, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "vecdot")?;
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(Error::value("[vecdot] inputs must be at least 1D."));
    }
    let oob = "[vecdot] axis is out of bounds.";
    let (na, nb) = (a.ndim() as i64, b.ndim() as i64);
    if axis < -na || axis >= na {
        return Err(Error::index(oob));
    }
    if axis < -nb || axis >= nb {
        return Err(Error::value(oob));
    }
    let ia = if axis < 0 { axis + na } else { axis } as usize;
    let ib = if axis < 0 { axis + nb } else { axis } as usize;
    if a.shape()[ia] != b.shape()[ib] {
        return Err(Error::value(
            "[vecdot] a and b must have the same size along axis.",
        ));
    }
    if na != nb {
        return Err(Error::value(oob));
    }
    let p = multiply(&conjugate(a, Some(s))?, b, Some(s))?;
    sum(&p, Some(&[axis]), false, Some(s))
}

/// Kronecker product.
pub fn kron(a: &Array, b: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "kron")?;
    if a.size() == 0 || b.size() == 0 {
        return Err(Error::value("[kron] Input arrays cannot be empty."));
    }
    let nd = a.ndim().max(b.ndim());
    let mut sa = vec![1i64; 2 * nd];
    let mut sb = vec![1i64; 2 * nd];
    let mut out = vec![1i64; nd];
    for (j, &d) in a.shape().iter().rev().enumerate() {
        let i = nd - 1 - j;
        sa[2 * i] = d;
        out[i] *= d;
    }
    for (j, &d) in b.shape().iter().rev().enumerate() {
        let i = nd - 1 - j;
        sb[2 * i + 1] = d;
        out[i] *= d;
    }
    let p = multiply(
        &reshape(a, &sa, Some(s))?,
        &reshape(b, &sb, Some(s))?,
        Some(s),
    )?;
    reshape(&p, &out, Some(s))
}

/// The real-floating check of the masked / gathered / segmented products.
fn floating_type(op: &str, a: &Array, b: &Array) -> Result<Dtype> {
    let dt = promote_types(a.dtype(), b.dtype());
    if !dt.is_floating() {
        return Err(Error::value(format!(
            "[{op}] Only real floating point types are supported but {} and {} were provided which results in {dt}, which is not a real floating point type.",
            a.dtype(),
            b.dtype()
        )));
    }
    Ok(dt)
}

/// A block mask `(..., t1, t2)` expanded to the elements of a
/// `(..., rows, cols)` matrix (each entry covers a `bs x bs` block).
fn expand_mask(mask: &Array, bs: i64, rows: i64, cols: i64, s: Stream) -> Result<Array> {
    let nd = mask.ndim();
    let (t1, t2) = (mask.shape()[nd - 2], mask.shape()[nd - 1]);
    let lead = &mask.shape()[..nd - 2];
    let x = expand_dims(mask, &[nd as i64 - 1, nd as i64 + 1], Some(s))?;
    let mut full = lead.to_vec();
    full.extend_from_slice(&[t1, bs, t2, bs]);
    let x = broadcast_to(&x, &full, Some(s))?;
    let mut flat = lead.to_vec();
    flat.extend_from_slice(&[t1 * bs, t2 * bs]);
    let x = reshape(&x, &flat, Some(s))?;
    let n = flat.len();
    let mut count = flat.clone();
    count[n - 2] = rows;
    count[n - 1] = cols;
    slice_strided(&x, &vec![0; n], &vec![1; n], &count, Some(s))
}

/// Applies an element mask: zeroes where a boolean mask is false,
/// multiplies by a float mask.
fn apply_mask(x: &Array, mask: &Array, s: Stream) -> Result<Array> {
    if mask.dtype() == Dtype::Bool {
        where_(mask, x, &scalar(0.0, x.dtype())?, Some(s))
    } else {
        multiply(x, mask, Some(s))
    }
}

/// Matrix product with block masks: `mask_lhs` / `mask_rhs` scale the
/// `block_size`-square blocks of the operands, `mask_out` those of the
/// result (boolean masks select, float masks multiply).
pub fn block_masked_mm(
    a: &Array,
    b: &Array,
    block_size: i64,
    mask_out: Option<&Array>,
    mask_lhs: Option<&Array>,
    mask_rhs: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    if mask_out.is_none() && mask_lhs.is_none() && mask_rhs.is_none() {
        return matmul(a, b, s);
    }
    let s = resolve_stream(s, "block_masked_mm")?;
    if block_size != 32 && block_size != 64 {
        return Err(Error::value(format!(
            "[block_masked_mm] Only block_sizes 32, 64 are supported.Got block size {block_size}."
        )));
    }
    let (in_a, in_b) = (a.ndim(), b.ndim());
    let (a, b) = expand_operands("block_masked_mm", a, b, s)?;
    let dt = floating_type("block_masked_mm", &a, &b)?;
    let (a, b) = (astype(&a, dt, Some(s))?, astype(&b, dt, Some(s))?);
    let (a, b) = broadcast_batch(&a, &b, s)?;
    let nd = a.ndim();
    let (m, k, n) = (a.shape()[nd - 2], a.shape()[nd - 1], b.shape()[nd - 1]);
    let tiles = |x: i64| (x + block_size - 1) / block_size;
    let (tm, tk, tn) = (tiles(m), tiles(k), tiles(n));
    let batch = a.shape()[..nd - 2].to_vec();
    let shaped = |mask: &Array, y: i64, x: i64, mdt: Dtype| -> Result<Array> {
        let mut sh = batch.clone();
        sh.extend_from_slice(&[y, x]);
        broadcast_to(&astype(mask, mdt, Some(s))?, &sh, Some(s))
    };
    let true_mask = || Array::from_slice(&[true], &[1]);
    let (mut a, mut b) = (a, b);
    if mask_lhs.is_some() || mask_rhs.is_some() {
        let lhs = mask_lhs.cloned().map_or_else(true_mask, Ok)?;
        let rhs = mask_rhs.cloned().map_or_else(true_mask, Ok)?;
        let mdt = if lhs.dtype() == Dtype::Bool && rhs.dtype() == Dtype::Bool {
            Dtype::Bool
        } else {
            dt
        };
        let lhs = if in_a == 1 {
            expand_dims(&lhs, &[-2], Some(s))?
        } else {
            lhs
        };
        let rhs = if in_b == 1 {
            expand_dims(&rhs, &[-1], Some(s))?
        } else {
            rhs
        };
        let lhs = shaped(&lhs, tm, tk, mdt)?;
        let rhs = shaped(&rhs, tk, tn, mdt)?;
        a = apply_mask(&a, &expand_mask(&lhs, block_size, m, k, s)?, s)?;
        b = apply_mask(&b, &expand_mask(&rhs, block_size, k, n, s)?, s)?;
    }
    let mut out = matmul(&a, &b, Some(s))?;
    if let Some(mo) = mask_out {
        let mut ex = Vec::new();
        if in_a == 1 {
            ex.push(-2);
        }
        if in_b == 1 {
            ex.push(-1);
        }
        let mo = if ex.is_empty() {
            mo.clone()
        } else {
            expand_dims(mo, &ex, Some(s))?
        };
        let mdt = if mo.dtype() == Dtype::Bool {
            Dtype::Bool
        } else {
            dt
        };
        let mo = shaped(&mo, tm, tn, mdt)?;
        out = apply_mask(&out, &expand_mask(&mo, block_size, m, n, s)?, s)?;
    }
    squeeze_inserted(out, in_a, in_b, s)
}

/// `arange(batch size)` shaped like the batch axes of `x` (MLX's default
/// gather indices).
fn default_indices(x: &Array, s: Stream) -> Result<Array> {
    let batch = &x.shape()[..x.ndim() - 2];
    let total: i64 = batch.iter().product();
    reshape(
        &arange(0.0, total as f64, 1.0, Dtype::Uint32, Some(s))?,
        batch,
        Some(s),
    )
}

/// Products of matrices picked from the batch axes of `a` and `b` by
/// `lhs_indices` and `rhs_indices` (flattened batch positions; `None`
/// means every matrix in order). `sorted_indices` is a performance hint.
pub fn gather_mm(
    a: &Array,
    b: &Array,
    lhs_indices: Option<&Array>,
    rhs_indices: Option<&Array>,
    sorted_indices: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let _ = sorted_indices;
    if lhs_indices.is_none() && rhs_indices.is_none() {
        return matmul(a, b, s);
    }
    let s = resolve_stream(s, "gather_mm")?;
    let (in_a, in_b) = (a.ndim(), b.ndim());
    let (a, b) = expand_operands("gather_mm", a, b, s)?;
    let dt = floating_type("gather_mm", &a, &b)?;
    let (a, b) = (astype(&a, dt, Some(s))?, astype(&b, dt, Some(s))?);
    let li = lhs_indices
        .cloned()
        .map_or_else(|| default_indices(&a, s), Ok)?;
    let ri = rhs_indices
        .cloned()
        .map_or_else(|| default_indices(&b, s), Ok)?;
    if !li.dtype().is_integer() || !ri.dtype().is_integer() {
        return Err(Error::value(
            "[gather_mm] Got indices with invalid dtype. Indices must be integral.",
        ));
    }
    let li = astype(&li, Dtype::Uint32, Some(s))?;
    let ri = astype(&ri, Dtype::Uint32, Some(s))?;
    let idx = broadcast_arrays(&[li, ri], Some(s))?;
    let mut shape = idx[0].shape().to_vec();
    shape.push(a.shape()[a.ndim() - 2]);
    shape.push(b.shape()[b.ndim() - 1]);
    let mut inputs = vec![a, b];
    inputs.extend(idx);
    let out = Array::from_op(shape, dt, s, Arc::new(GatherMM), inputs);
    squeeze_inserted(out, in_a, in_b, s)
}

/// Products over segments of the contracted axis: `out[i] =
/// a[:, k0..k1] @ b[k0..k1, :]` for `segments[i] = (k0, k1)`.
pub fn segmented_mm(a: &Array, b: &Array, segments: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "segmented_mm")?;
    if a.ndim() != 2 || b.ndim() != 2 {
        return Err(Error::value("[segmented_mm] Batched matmul not supported"));
    }
    if segments.ndim() < 1 || segments.shape()[segments.ndim() - 1] != 2 {
        return Err(Error::value(format!(
            "[segmented_mm] The segments should have shape (..., 2) but {} was provided.",
            fmt_shape(segments.shape())
        )));
    }
    let dt = floating_type("segmented_mm", a, b)?;
    if !segments.dtype().is_integer() {
        return Err(Error::value(
            "[segmented_mm] Got segments with invalid dtype. Segments must be integral.",
        ));
    }
    if a.shape()[1] != b.shape()[0] {
        return Err(Error::value(format!(
            "[segmented_mm] Last dimension of first input with shape {} must match first dimension of second input with shape {}.",
            fmt_shape(a.shape()),
            fmt_shape(b.shape())
        )));
    }
    let a = astype(a, dt, Some(s))?;
    let b = astype(b, dt, Some(s))?;
    let seg = astype(segments, Dtype::Uint32, Some(s))?;
    let mut shape = seg.shape()[..seg.ndim() - 1].to_vec();
    shape.push(a.shape()[0]);
    shape.push(b.shape()[1]);
    Ok(Array::from_op(
        shape,
        dt,
        s,
        Arc::new(SegmentedMM),
        vec![a, b, seg],
    ))
}

/// The `(..., k)` float mask of the contracted positions each segment of
/// `seg` (`(..., 2)`, uint32) covers.
pub fn segment_mask(seg: &Array, k: i64, dt: Dtype, s: Option<Stream>) -> Result<Array> {
    let nd = seg.ndim();
    let mut count = seg.shape().to_vec();
    count[nd - 1] = 1;
    let step = vec![1i64; nd];
    let mut start = vec![0i64; nd];
    let lo = slice_strided(seg, &start, &step, &count, s)?;
    start[nd - 1] = 1;
    let hi = slice_strided(seg, &start, &step, &count, s)?;
    let pos = arange(0.0, k as f64, 1.0, Dtype::Uint32, s)?;
    let inside = logical_and(&greater_equal(&pos, &lo, s)?, &less(&pos, &hi, s)?, s)?;
    astype(&inside, dt, s)
}

/// The Walsh-Hadamard transform along the last axis, times `scale`
/// (default `1/sqrt(n)`: orthonormal). Axis lengths `m * 2^k` with `m` in
/// 1, 12, 20, 28.
pub fn hadamard_transform(a: &Array, scale: Option<f64>, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "hadamard_transform")?;
    if a.size() == 0 {
        return Err(Error::value(
            "[hadamard_transform] Does not support empty arrays.",
        ));
    }
    let n = if a.ndim() > 0 {
        a.shape()[a.ndim() - 1]
    } else {
        1
    };
    let dt = if a.dtype().is_floating() {
        a.dtype()
    } else {
        Dtype::Float32
    };
    // MLX computes the default in float32 (exact 1/sqrt(n) for float64,
    // which MLX's kernel does not support).
    let scale = scale.unwrap_or(if dt == Dtype::Float64 {
        1.0 / (n as f64).sqrt()
    } else {
        (1.0f32 / (n as f32).sqrt()) as f64
    });
    if n == 1 {
        if scale == 1.0 {
            return Ok(a.clone());
        }
        return multiply(a, &scalar(scale, dt)?, Some(s));
    }
    crate::backend::cpu::hadamard::decompose(n as usize)?;
    hadamard_node(&astype(a, dt, Some(s))?, scale, false, s)
}

/// The `Hadamard` node over `x` (floating, last axis a supported length).
pub fn hadamard_node(x: &Array, scale: f64, transpose: bool, s: Stream) -> Result<Array> {
    Ok(Array::from_op(
        x.shape().to_vec(),
        x.dtype(),
        s,
        Arc::new(Hadamard { scale, transpose }),
        vec![x.clone()],
    ))
}

/// A one-hot `(idx..., count)` matrix of `idx` in dtype `dt`.
pub fn one_hot(idx: &Array, count: i64, dt: Dtype, s: Option<Stream>) -> Result<Array> {
    let pos = arange(0.0, count as f64, 1.0, Dtype::Uint32, s)?;
    let e = equal(&expand_dims(idx, &[-1], s)?, &pos, s)?;
    astype(&e, dt, s)
}
