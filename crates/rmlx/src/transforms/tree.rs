//! Pytrees for the Rust API: containers of arrays (an array, vectors,
//! tuples, string-keyed maps, and nestings of them) that the
//! transformations flatten to their leaves and rebuild with new leaves, so
//! a training step can differentiate a whole parameter structure at once.

use std::collections::{BTreeMap, HashMap};

use super::{jvp, value_and_grad, vjp};
use crate::array::Array;
use crate::error::{Error, Result};

/// A container of arrays.
pub trait Tree: Sized {
    /// Appends the leaves in a fixed order.
    fn flatten_into(&self, out: &mut Vec<Array>);
    /// The same structure with leaves taken in order from `leaves`.
    fn rebuild(&self, leaves: &mut dyn Iterator<Item = Array>) -> Result<Self>;
    /// The leaves in order.
    fn leaves(&self) -> Vec<Array> {
        let mut v = Vec::new();
        self.flatten_into(&mut v);
        v
    }
}

fn short() -> Error {
    Error::value("[tree] Not enough leaves to rebuild the tree.")
}

impl Tree for Array {
    fn flatten_into(&self, out: &mut Vec<Array>) {
        out.push(self.clone());
    }
    fn rebuild(&self, leaves: &mut dyn Iterator<Item = Array>) -> Result<Self> {
        leaves.next().ok_or_else(short)
    }
}

impl<T: Tree> Tree for Vec<T> {
    fn flatten_into(&self, out: &mut Vec<Array>) {
        self.iter().for_each(|t| t.flatten_into(out));
    }
    fn rebuild(&self, leaves: &mut dyn Iterator<Item = Array>) -> Result<Self> {
        self.iter().map(|t| t.rebuild(leaves)).collect()
    }
}

impl<A: Tree, B: Tree> Tree for (A, B) {
    fn flatten_into(&self, out: &mut Vec<Array>) {
        self.0.flatten_into(out);
        self.1.flatten_into(out);
    }
    fn rebuild(&self, leaves: &mut dyn Iterator<Item = Array>) -> Result<Self> {
        Ok((self.0.rebuild(leaves)?, self.1.rebuild(leaves)?))
    }
}

impl<A: Tree, B: Tree, C: Tree> Tree for (A, B, C) {
    fn flatten_into(&self, out: &mut Vec<Array>) {
        self.0.flatten_into(out);
        self.1.flatten_into(out);
        self.2.flatten_into(out);
    }
    fn rebuild(&self, leaves: &mut dyn Iterator<Item = Array>) -> Result<Self> {
        Ok((
            self.0.rebuild(leaves)?,
            self.1.rebuild(leaves)?,
            self.2.rebuild(leaves)?,
        ))
    }
}

impl<T: Tree> Tree for BTreeMap<String, T> {
    fn flatten_into(&self, out: &mut Vec<Array>) {
        self.values().for_each(|t| t.flatten_into(out));
    }
    fn rebuild(&self, leaves: &mut dyn Iterator<Item = Array>) -> Result<Self> {
        self.iter()
            .map(|(k, t)| Ok((k.clone(), t.rebuild(leaves)?)))
            .collect()
    }
}

/// Maps flatten in sorted key order, so the leaf order is deterministic.
impl<T: Tree> Tree for HashMap<String, T> {
    fn flatten_into(&self, out: &mut Vec<Array>) {
        let mut keys: Vec<&String> = self.keys().collect();
        keys.sort();
        keys.into_iter().for_each(|k| self[k].flatten_into(out));
    }
    fn rebuild(&self, leaves: &mut dyn Iterator<Item = Array>) -> Result<Self> {
        let mut keys: Vec<&String> = self.keys().collect();
        keys.sort();
        keys.into_iter()
            .map(|k| Ok((k.clone(), self[k].rebuild(leaves)?)))
            .collect()
    }
}

fn rebuild_all<T: Tree>(like: &T, leaves: Vec<Array>) -> Result<T> {
    let mut it = leaves.into_iter();
    let t = like.rebuild(&mut it)?;
    if it.next().is_some() {
        return Err(Error::value("[tree] Too many leaves to rebuild the tree."));
    }
    Ok(t)
}

/// `value_and_grad` over a tree of parameters: returns `f(params)` and the
/// gradient of its first leaf (a scalar) with the structure of `params`.
pub fn value_and_grad_tree<P, O, F>(f: F, params: &P) -> Result<(O, P)>
where
    P: Tree,
    O: Tree,
    F: FnOnce(&P) -> Result<O>,
{
    let leaves = params.leaves();
    let argnums: Vec<usize> = (0..leaves.len()).collect();
    let mut shape_of_out: Option<O> = None;
    let (outs, grads) = value_and_grad(
        |x| {
            let p = rebuild_all(params, x.to_vec())?;
            let o = f(&p)?;
            let flat = o.leaves();
            shape_of_out = Some(o);
            Ok(flat)
        },
        &leaves,
        &argnums,
    )?;
    let like = shape_of_out.expect("set by the traced function");
    Ok((rebuild_all(&like, outs)?, rebuild_all(params, grads)?))
}

/// `vjp` over trees: outputs of `f(primals)` and the cotangents (with the
/// structure of `primals`) of `cotangents` (with the structure of the output).
pub fn vjp_tree<P, O, F>(f: F, primals: &P, cotangents: &O) -> Result<(O, P)>
where
    P: Tree,
    O: Tree,
    F: FnOnce(&P) -> Result<O>,
{
    let (outs, grads) = vjp(
        |x| Ok(f(&rebuild_all(primals, x.to_vec())?)?.leaves()),
        &primals.leaves(),
        &cotangents.leaves(),
    )?;
    Ok((rebuild_all(cotangents, outs)?, rebuild_all(primals, grads)?))
}

/// `jvp` over trees: outputs of `f(primals)` and their tangents given
/// `tangents` (with the structure of `primals`).
pub fn jvp_tree<P, O, F>(f: F, primals: &P, tangents: &P) -> Result<(O, O)>
where
    P: Tree,
    O: Tree,
    F: FnOnce(&P) -> Result<O>,
{
    let mut like: Option<O> = None;
    let (outs, tans) = jvp(
        |x| {
            let o = f(&rebuild_all(primals, x.to_vec())?)?;
            let flat = o.leaves();
            like = Some(o);
            Ok(flat)
        },
        &primals.leaves(),
        &tangents.leaves(),
    )?;
    let like = like.expect("set by the traced function");
    Ok((rebuild_all(&like, outs)?, rebuild_all(&like, tans)?))
}
