//! `einsum` and `einsum_path`: MLX's implementation (after NumPy and
//! opt_einsum). Subscripts are parsed (implicit outputs, ellipses),
//! a greedy pairwise contraction order is chosen when there are more than
//! two operands, and each step either runs as one batched matrix product
//! (batch / free / contracted axes transposed into place) or, when nothing
//! is contracted, as a broadcast multiply and sum. Repeated subscripts
//! take diagonals; subscripts of a single operand are summed first.
//! Everything is composed of differentiable ops, so `einsum` needs no
//! rules of its own.

use std::collections::{BTreeSet, HashMap};

use super::{broadcast_to, diagonal, fmt_shape, matmul, multiply, reshape, sum, transpose};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::error::{Error, Result};

type CharSet = BTreeSet<u8>;

#[derive(Clone, Debug)]
struct Sub {
    s: Vec<u8>,
    set: CharSet,
}

impl Sub {
    fn new(s: Vec<u8>) -> Sub {
        let set = s.iter().copied().collect();
        Sub { s, set }
    }
}

#[derive(Clone, Debug)]
struct PathNode {
    inputs: Vec<Sub>,
    output: Sub,
    positions: Vec<usize>,
}

#[derive(Default)]
struct PathInfo {
    naive_cost: u64,
    naive_scaling: usize,
    optimized_cost: u64,
    optimized_scaling: usize,
}

type DimMap = HashMap<u8, i64>;

fn err(fname: &str, msg: impl std::fmt::Display) -> Error {
    Error::value(format!("[{fname}] {msg}"))
}

/// Splits the subscripts into input terms and the output term (inferred
/// in implicit mode: letters seen once, sorted, ellipsis first).
fn parse(subscripts: &str) -> (Vec<Vec<u8>>, Vec<u8>) {
    let s: Vec<u8> = subscripts.bytes().filter(|&c| c != b' ').collect();
    let arrow = s.windows(2).position(|w| w == b"->");
    let (lhs, rhs) = match arrow {
        Some(p) => (s[..p].to_vec(), s[p + 2..].to_vec()),
        None => {
            let mut rhs: Vec<u8> = Vec::new();
            let mut counts: HashMap<u8, usize> = HashMap::new();
            for &c in &s {
                if c == b',' {
                    continue;
                }
                if c == b'.' && rhs.is_empty() {
                    rhs.extend_from_slice(b"...");
                    continue;
                }
                *counts.entry(c).or_default() += 1;
            }
            rhs.extend(counts.iter().filter(|(_, &n)| n == 1).map(|(&c, _)| c));
            rhs.sort_unstable();
            (s.clone(), rhs)
        }
    };
    let inputs = lhs.split(|&c| c == b',').map(<[u8]>::to_vec).collect();
    (inputs, rhs)
}

fn term_size<'a>(term: impl IntoIterator<Item = &'a u8>, dims: &DimMap) -> u64 {
    term.into_iter()
        .map(|c| dims.get(c).copied().unwrap_or(0).max(0) as u64)
        .product()
}

fn flop_count(term: &CharSet, inner: bool, num_terms: usize, dims: &DimMap) -> u64 {
    let mut factor = 1u64.max(num_terms as u64 - 1);
    if inner {
        factor += 1;
    }
    term_size(term, dims) * factor
}

fn cost_and_scaling(inputs: &[Sub], output: &Sub, dims: &DimMap) -> (u64, usize) {
    let all: CharSet = inputs.iter().flat_map(|i| i.set.iter().copied()).collect();
    let inner = all.iter().any(|c| !output.set.contains(c));
    (flop_count(&all, inner, inputs.len(), dims), all.len())
}

struct Contraction {
    size: i64,
    cost: u64,
    output: CharSet,
    dims: usize,
    x: usize,
    y: usize,
}

/// The greedy contraction order (largest reduction in size first, then
/// cheapest), as MLX computes it.
fn greedy_path(
    mut inputs: Vec<Sub>,
    output: &Sub,
    dims: &DimMap,
    cost_limit: u64,
    memory_limit: u64,
) -> (Vec<PathNode>, u64, usize) {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for i in 0..inputs.len() {
        for j in i + 1..inputs.len() {
            pairs.push((i, j));
        }
    }
    let mut path = Vec::new();
    let mut possible: Vec<Contraction> = Vec::new();
    let (mut path_cost, mut path_scaling) = (0u64, 0usize);
    let num_in = inputs.len();
    for _ in 0..num_in.saturating_sub(1) {
        let add = |p1: usize,
                   p2: usize,
                   inputs: &[Sub],
                   possible: &mut Vec<Contraction>,
                   path_cost: u64| {
            let contractions: CharSet = inputs[p1].set.union(&inputs[p2].set).copied().collect();
            let mut new_term = CharSet::new();
            for (i, inp) in inputs.iter().enumerate() {
                if i != p1 && i != p2 {
                    new_term.extend(inp.set.iter().filter(|c| contractions.contains(c)));
                }
            }
            new_term.extend(output.set.iter().filter(|c| contractions.contains(c)));
            let new_size = term_size(&new_term, dims);
            if new_size > memory_limit {
                return;
            }
            let removed = term_size(&inputs[p1].set, dims) as i64
                + term_size(&inputs[p2].set, dims) as i64
                - new_size as i64;
            let inner = contractions.len() > new_term.len();
            let cost = flop_count(&contractions, inner, 2, dims);
            if path_cost + cost > cost_limit {
                return;
            }
            possible.push(Contraction {
                size: removed,
                cost,
                output: new_term,
                dims: contractions.len(),
                x: p1,
                y: p2,
            });
        };
        for &(p1, p2) in &pairs {
            if !inputs[p1].set.is_disjoint(&inputs[p2].set) {
                add(p1, p2, &inputs, &mut possible, path_cost);
            }
        }
        if possible.is_empty() {
            for &(p1, p2) in &pairs {
                add(p1, p2, &inputs, &mut possible, path_cost);
            }
        }
        if possible.is_empty() {
            let positions: Vec<usize> = (0..inputs.len()).collect();
            let (cost, scale) = cost_and_scaling(&inputs, output, dims);
            path.push(PathNode {
                inputs: std::mem::take(&mut inputs),
                output: output.clone(),
                positions,
            });
            path_cost += cost;
            path_scaling = path_scaling.max(scale);
            break;
        }
        let mut best = 0;
        for (i, c) in possible.iter().enumerate() {
            let b = &possible[best];
            if c.size > b.size || (c.size == b.size && c.cost < b.cost) {
                best = i;
            }
        }
        let b = &possible[best];
        let (bx, by, b_dims, b_cost) = (b.x, b.y, b.dims, b.cost);
        let b_out = b.output.clone();
        path_scaling = path_scaling.max(b_dims);
        let mut out_str: Vec<u8> = b_out.iter().copied().collect();
        out_str.sort_by_key(|c| (dims.get(c).copied().unwrap_or(0), *c));
        let new_output = Sub {
            s: out_str,
            set: b_out,
        };
        path.push(PathNode {
            inputs: vec![inputs[bx].clone(), inputs[by].clone()],
            output: new_output.clone(),
            positions: vec![bx, by],
        });
        inputs.remove(by);
        inputs.remove(bx);
        inputs.push(new_output);
        // Drop the contractions that used either term (the chosen one
        // included), keeping the others in order with shifted positions.
        possible = possible
            .into_iter()
            .filter(|c| c.x != bx && c.x != by && c.y != bx && c.y != by)
            .map(|mut c| {
                c.x -= usize::from(c.x > bx) + usize::from(c.x > by);
                c.y -= usize::from(c.y > bx) + usize::from(c.y > by);
                c
            })
            .collect();
        let last = inputs.len() - 1;
        pairs = (0..last).map(|i| (i, last)).collect();
        path_cost += b_cost;
    }
    (path, path_cost, path_scaling)
}

/// Validates the subscripts against the operands and computes the path.
fn path_helper(
    subscripts: &str,
    operands: &[Array],
    fname: &str,
) -> Result<(Vec<PathNode>, PathInfo)> {
    if operands.is_empty() {
        return Err(err(fname, "At least one operand is required."));
    }
    let (mut ins, mut out) = parse(subscripts);
    if operands.len() != ins.len() {
        return Err(err(
            fname,
            format!(
                "Number of operands, {}, does not match number of input subscripts, {}",
                operands.len(),
                ins.len()
            ),
        ));
    }
    let used: CharSet = subscripts.bytes().collect();
    let remaining: Vec<u8> = (b'a'..=b'z')
        .chain(b'A'..=b'Z')
        .filter(|c| !used.contains(c))
        .collect();
    let mut max_ellipsis = 0usize;
    let mut expand = |sub: &mut Vec<u8>, operand: Option<(usize, &Array)>| -> Result<()> {
        let (mut have, mut before, mut after) = (false, 0usize, 0usize);
        let mut i = 0;
        while i < sub.len() {
            if !sub[i].is_ascii_alphabetic() {
                if i + 2 >= sub.len() || sub[i] != b'.' || sub[i + 1] != b'.' || sub[i + 2] != b'.'
                {
                    return Err(err(
                        fname,
                        format!("Subscripts must be letters, but got '{}'.", sub[i] as char),
                    ));
                }
                if have {
                    return Err(err(
                        fname,
                        format!(
                            "Only one ellipsis per subscript is allowed but found more in '{}'.",
                            String::from_utf8_lossy(sub)
                        ),
                    ));
                }
                have = true;
                i += 3;
                continue;
            }
            if have {
                after += 1;
            } else {
                before += 1;
            }
            i += 1;
        }
        if have {
            let len = match operand {
                Some((idx, x)) => {
                    let n = x.ndim() as i64 - (before + after) as i64;
                    if n < 0 {
                        return Err(err(
                            fname,
                            format!(
                                "Operand {idx} with shape {} has insufficient dimensions for subscript '{}'. The ellipsis requires at least {} dimensions but the operand has {} dimensions.",
                                fmt_shape(x.shape()),
                                String::from_utf8_lossy(sub),
                                before + after,
                                x.ndim()
                            ),
                        ));
                    }
                    max_ellipsis = max_ellipsis.max(n as usize);
                    n as usize
                }
                None => max_ellipsis,
            };
            let fill = &remaining[remaining.len().saturating_sub(len)..];
            sub.splice(before..before + 3, fill.iter().copied());
        }
        Ok(())
    };
    for (i, sub) in ins.iter_mut().enumerate() {
        expand(sub, Some((i, &operands[i])))?;
    }
    expand(&mut out, None)?;
    let output = Sub::new(out);
    if output.set.len() != output.s.len() {
        return Err(err(fname, "Repeat indices not allowed in output."));
    }
    let mut dims: DimMap = HashMap::new();
    let mut inputs = Vec::new();
    for (i, sub) in ins.iter().enumerate() {
        let x = &operands[i];
        if sub.len() != x.ndim() {
            return Err(err(
                fname,
                format!(
                    "Invalid number of subscripts {} for input {i} with {} dimensions.",
                    sub.len(),
                    x.ndim()
                ),
            ));
        }
        let mut local: HashMap<u8, i64> = HashMap::new();
        for (j, &c) in sub.iter().enumerate() {
            let d = x.shape()[j];
            if let Some(&prev) = local.get(&c) {
                if prev != d {
                    return Err(err(
                        fname,
                        format!("Dimensions of repeated subscripts do not have the same size ({prev} != {d})."),
                    ));
                }
            }
            local.insert(c, d);
        }
        for (j, &c) in sub.iter().enumerate() {
            let d = x.shape()[j];
            let e = dims.entry(c).or_insert(d);
            if d != 1 && *e != 1 && *e != d {
                return Err(err(
                    fname,
                    format!(
                        "Cannot broadcast dimension {j} of input {i} with shape {} to size {}.",
                        fmt_shape(x.shape()),
                        *e
                    ),
                ));
            }
            *e = (*e).max(d);
        }
        inputs.push(Sub::new(sub.clone()));
    }
    if let Some(&c) = output.s.iter().find(|c| !dims.contains_key(c)) {
        return Err(err(
            fname,
            format!(
                "Output subscript '{}' does not appear in the inputs.",
                c as char
            ),
        ));
    }
    let mut max_size = term_size(&output.s, &dims);
    for sub in &ins {
        max_size = max_size.max(term_size(sub, &dims));
    }
    let mut info = PathInfo::default();
    (info.naive_cost, info.naive_scaling) = cost_and_scaling(&inputs, &output, &dims);
    let path = if inputs.len() <= 2 {
        info.optimized_cost = info.naive_cost;
        info.optimized_scaling = info.naive_scaling;
        let positions = (0..inputs.len()).collect();
        vec![PathNode {
            inputs,
            output,
            positions,
        }]
    } else {
        let (mut path, cost, scaling) =
            greedy_path(inputs, &output, &dims, info.naive_cost, max_size);
        info.optimized_cost = cost;
        info.optimized_scaling = scaling;
        if let Some(last) = path.last_mut() {
            last.output = output;
        }
        path
    };
    Ok((path, info))
}

/// The contraction order MLX's `einsum` uses (pairs of positions in the
/// shrinking operand list) and a summary of its cost.
pub fn einsum_path(subscripts: &str, operands: &[Array]) -> Result<(Vec<Vec<usize>>, String)> {
    let (path, info) = path_helper(subscripts, operands, "einsum_path")?;
    let positions = path.into_iter().map(|p| p.positions).collect();
    let text = format!(
        "  Complete contraction:  {subscripts}\n         Naive scaling:  {}\n     Optimized scaling:  {}\n      Naive FLOP count:  {}\n  Optimized FLOP count:  {}\n",
        info.naive_scaling, info.optimized_scaling, info.naive_cost, info.optimized_cost
    );
    Ok((positions, text))
}

/// Takes the diagonals of repeated subscripts (`ii` -> `i`), updating the
/// subscript to the new axis order.
fn collapse_repeats(mut x: Array, sub: &mut Sub, s: Stream) -> Result<Array> {
    loop {
        let mut found = None;
        'outer: for i in 0..sub.s.len() {
            for j in i + 1..sub.s.len() {
                if sub.s[i] == sub.s[j] {
                    found = Some((i, j));
                    break 'outer;
                }
            }
        }
        let Some((i, j)) = found else { break };
        x = diagonal(&x, 0, i as i64, j as i64, Some(s))?;
        let c = sub.s[i];
        sub.s.remove(j);
        sub.s.remove(i);
        sub.s.push(c);
    }
    Ok(x)
}

/// Collapses repeats and sums subscripts that occur in one input only.
fn preprocess(
    inputs: &mut [Sub],
    output: &Sub,
    positions: &[usize],
    ops: &mut [Array],
    s: Stream,
) -> Result<()> {
    for (i, sub) in inputs.iter_mut().enumerate() {
        if sub.set.len() < sub.s.len() {
            ops[positions[i]] = collapse_repeats(ops[positions[i]].clone(), sub, s)?;
        }
    }
    let mut counts: HashMap<u8, usize> = HashMap::new();
    for sub in inputs.iter() {
        for &c in &sub.set {
            *counts.entry(c).or_default() += 1;
        }
    }
    for &c in &output.set {
        *counts.entry(c).or_default() += 1;
    }
    for (i, sub) in inputs.iter_mut().enumerate() {
        let axes: Vec<i64> = (0..sub.s.len())
            .filter(|&a| counts[&sub.s[a]] == 1)
            .map(|a| a as i64)
            .collect();
        if !axes.is_empty() {
            ops[positions[i]] = sum(&ops[positions[i]], Some(&axes), false, Some(s))?;
        }
        for &a in axes.iter().rev() {
            let c = sub.s.remove(a as usize);
            sub.set.remove(&c);
        }
    }
    Ok(())
}

fn can_dot(inputs: &[Sub], output: &Sub) -> bool {
    inputs.len() == 2 && inputs[0].set.iter().any(|c| !output.set.contains(c))
}

/// Transposes `x` to `(i..., j..., k...)` and reshapes to `(i..., |j|, |k|)`.
fn group(x: &Array, i: &[usize], j: &[usize], k: &[usize], s: Stream) -> Result<Array> {
    let perm: Vec<i64> = i.iter().chain(j).chain(k).map(|&a| a as i64).collect();
    let mut shape: Vec<i64> = i.iter().map(|&a| x.shape()[a]).collect();
    shape.push(j.iter().map(|&a| x.shape()[a]).product());
    shape.push(k.iter().map(|&a| x.shape()[a]).product());
    reshape(&transpose(x, Some(&perm), Some(s))?, &shape, Some(s))
}

/// One pairwise contraction as a batched matrix product.
fn dot_step(a: &Array, b: &Array, in_a: &Sub, in_b: &Sub, out: &Sub, s: Stream) -> Result<Array> {
    let (mut ac, mut ab, mut af) = (Vec::new(), Vec::new(), Vec::new());
    for (i, c) in in_a.s.iter().enumerate() {
        if !out.set.contains(c) {
            ac.push(i);
        } else if in_b.set.contains(c) {
            ab.push(i);
        } else {
            af.push(i);
        }
    }
    let pos_b = |i: usize| in_b.s.iter().position(|&c| c == in_a.s[i]).unwrap_or(0);
    let bc: Vec<usize> = ac.iter().map(|&i| pos_b(i)).collect();
    let bb: Vec<usize> = ab.iter().map(|&i| pos_b(i)).collect();
    let bf: Vec<usize> = (0..in_b.s.len())
        .filter(|&i| out.set.contains(&in_b.s[i]) && !in_a.set.contains(&in_b.s[i]))
        .collect();
    // Size-1 axes broadcast against their partners.
    let (mut sa, mut sb) = (a.shape().to_vec(), b.shape().to_vec());
    for (&i, &j) in ac.iter().zip(&bc).chain(ab.iter().zip(&bb)) {
        let d = sa[i].max(sb[j]);
        sa[i] = d;
        sb[j] = d;
    }
    let a = broadcast_to(a, &sa, Some(s))?;
    let b = broadcast_to(b, &sb, Some(s))?;
    let mut out_shape: Vec<i64> = ab.iter().chain(&af).map(|&i| a.shape()[i]).collect();
    out_shape.extend(bf.iter().map(|&i| b.shape()[i]));
    let x = group(&a, &ab, &af, &ac, s)?;
    let y = group(&b, &bb, &bc, &bf, s)?;
    let r = reshape(&matmul(&x, &y, Some(s))?, &out_shape, Some(s))?;
    let order: Vec<u8> = ab
        .iter()
        .chain(&af)
        .map(|&i| in_a.s[i])
        .chain(bf.iter().map(|&i| in_b.s[i]))
        .collect();
    let perm: Vec<i64> = out
        .s
        .iter()
        .map(|c| order.iter().position(|o| o == c).unwrap_or(0) as i64)
        .collect();
    transpose(&r, Some(&perm), Some(s))
}

/// Broadcast multiply of the inputs, then a sum over the subscripts not in
/// the output.
fn naive_step(
    inputs: &[Sub],
    output: &Sub,
    positions: &[usize],
    ops: &[Array],
    s: Stream,
) -> Result<Array> {
    let mut chars: Vec<u8> = Vec::new();
    for sub in inputs {
        for &c in &sub.s {
            if !chars.contains(&c) {
                chars.push(c);
            }
        }
    }
    let axis_of = |c: u8| chars.iter().position(|&x| x == c).unwrap_or(0);
    let mut acc: Option<Array> = None;
    for (i, sub) in inputs.iter().enumerate() {
        let mut x = ops[positions[i]].clone();
        if x.ndim() != chars.len() {
            let mut shape = x.shape().to_vec();
            shape.resize(chars.len(), 1);
            x = reshape(&x, &shape, Some(s))?;
        }
        let mut labels = sub.s.clone();
        labels.extend(chars.iter().filter(|c| !sub.set.contains(c)));
        let mut perm: Vec<usize> = (0..labels.len()).collect();
        perm.sort_by_key(|&p| axis_of(labels[p]));
        if perm.iter().enumerate().any(|(i, &p)| i != p) {
            let p: Vec<i64> = perm.iter().map(|&p| p as i64).collect();
            x = transpose(&x, Some(&p), Some(s))?;
        }
        acc = Some(match acc {
            None => x,
            Some(a) => multiply(&a, &x, Some(s))?,
        });
    }
    let mut out = acc.ok_or_else(|| Error::value("[einsum] no operands"))?;
    let summed: Vec<usize> = (0..chars.len())
        .filter(|&a| !output.set.contains(&chars[a]))
        .collect();
    if !summed.is_empty() {
        let axes: Vec<i64> = summed.iter().map(|&a| a as i64).collect();
        out = sum(&out, Some(&axes), false, Some(s))?;
    }
    let perm: Vec<i64> = output
        .s
        .iter()
        .map(|&c| {
            let a = axis_of(c);
            (a - summed.iter().filter(|&&x| x < a).count()) as i64
        })
        .collect();
    transpose(&out, Some(&perm), Some(s))
}

/// Einstein summation over `operands` as `subscripts` describes
/// (`"ij,jk->ik"`, implicit outputs, `...` ellipses, repeated subscripts
/// for diagonals).
pub fn einsum(subscripts: &str, operands: &[Array], s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "einsum")?;
    let (path, _) = path_helper(subscripts, operands, "einsum")?;
    let mut ops: Vec<Array> = operands.to_vec();
    for mut node in path {
        preprocess(&mut node.inputs, &node.output, &node.positions, &mut ops, s)?;
        let r = if can_dot(&node.inputs, &node.output) {
            let (a, b) = (&ops[node.positions[0]], &ops[node.positions[1]]);
            dot_step(a, b, &node.inputs[0], &node.inputs[1], &node.output, s)?
        } else {
            naive_step(&node.inputs, &node.output, &node.positions, &ops, s)?
        };
        ops.push(r);
        let mut pos = node.positions.clone();
        pos.sort_unstable();
        for &p in pos.iter().rev() {
            ops.remove(p);
        }
    }
    Ok(ops.swap_remove(0))
}
