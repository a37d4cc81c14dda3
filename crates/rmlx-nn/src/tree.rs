//! Parameter trees: the nested maps and lists of arrays that modules expose
//! (MLX's parameter dicts), flattened to dotted keys (`"layers.0.weight"`)
//! and rebuilt from them as `mlx.utils.tree_flatten` / `tree_unflatten` do.

use std::collections::BTreeMap;

use rmlx::transforms::Tree;
use rmlx::{Array, Error, Result};

/// A tree of arrays: a leaf, a string-keyed map or a list.
///
/// Maps iterate in sorted key order (MLX's dicts keep insertion order; the
/// set of keys is the same), lists in index order.
#[derive(Clone, Debug)]
pub enum ParamTree {
    /// A leaf.
    Array(Array),
    /// Named children.
    Map(BTreeMap<String, ParamTree>),
    /// Indexed children.
    List(Vec<ParamTree>),
}

impl Default for ParamTree {
    fn default() -> Self {
        ParamTree::Map(BTreeMap::new())
    }
}

impl From<Array> for ParamTree {
    fn from(a: Array) -> Self {
        ParamTree::Array(a)
    }
}

fn is_index(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn join(prefix: &str, k: &str) -> String {
    if prefix.is_empty() {
        k.to_string()
    } else {
        format!("{prefix}.{k}")
    }
}

impl ParamTree {
    /// An empty map.
    pub fn new() -> ParamTree {
        ParamTree::default()
    }

    /// The array of a leaf.
    pub fn as_array(&self) -> Option<&Array> {
        match self {
            ParamTree::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The `(dotted key, array)` pairs of every leaf, depth first (MLX
    /// `tree_flatten`). A bare leaf flattens to the key `""`.
    pub fn flatten(&self) -> Vec<(String, Array)> {
        let mut out = Vec::new();
        self.flatten_prefixed("", &mut out);
        out
    }

    fn flatten_prefixed(&self, prefix: &str, out: &mut Vec<(String, Array)>) {
        match self {
            ParamTree::Array(a) => out.push((prefix.to_string(), a.clone())),
            ParamTree::Map(m) => m
                .iter()
                .for_each(|(k, v)| v.flatten_prefixed(&join(prefix, k), out)),
            ParamTree::List(l) => l
                .iter()
                .enumerate()
                .for_each(|(i, v)| v.flatten_prefixed(&join(prefix, &i.to_string()), out)),
        }
    }

    /// The tree of dotted `pairs` (MLX `tree_unflatten`): a component made
    /// of digits indexes a list (missing entries become empty maps), any
    /// other names a map entry.
    pub fn unflatten<I, K>(pairs: I) -> Result<ParamTree>
    where
        I: IntoIterator<Item = (K, Array)>,
        K: AsRef<str>,
    {
        let mut pairs = pairs.into_iter().peekable();
        let first_is_list = match pairs.peek() {
            Some((k, _)) => is_index(k.as_ref().split('.').next().unwrap_or("")),
            None => false,
        };
        let mut t = if first_is_list {
            ParamTree::List(Vec::new())
        } else {
            ParamTree::new()
        };
        for (k, a) in pairs {
            t.insert(k.as_ref(), ParamTree::Array(a))?;
        }
        Ok(t)
    }

    /// Sets the subtree at dotted `path`, creating the containers on the way
    /// (lists for digit components, maps otherwise). An existing subtree at
    /// `path` is replaced.
    pub fn insert(&mut self, path: &str, value: ParamTree) -> Result<()> {
        if path.is_empty() {
            *self = value;
            return Ok(());
        }
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let fresh = || match rest {
            Some(r) if is_index(r.split('.').next().unwrap_or("")) => ParamTree::List(Vec::new()),
            _ => ParamTree::new(),
        };
        let slot = match self {
            ParamTree::Map(m) => m.entry(head.to_string()).or_insert_with(fresh),
            ParamTree::List(l) => {
                let i: usize = head.parse().map_err(|_| {
                    Error::value(format!(
                        "[tree] Cannot use key \"{head}\" of \"{path}\" to index a list."
                    ))
                })?;
                while l.len() <= i {
                    l.push(ParamTree::new());
                }
                &mut l[i]
            }
            ParamTree::Array(_) => {
                return Err(Error::value(format!(
                    "[tree] Cannot insert \"{path}\" below an array leaf."
                )))
            }
        };
        match rest {
            Some(r) => {
                if matches!(slot, ParamTree::Array(_)) {
                    return Err(Error::value(format!(
                        "[tree] Cannot insert \"{r}\" below the array leaf \"{head}\"."
                    )));
                }
                // An empty map created for a list position becomes a list
                // when indexed by a number.
                let bare = matches!(slot, ParamTree::Map(m) if m.is_empty());
                if bare && is_index(r.split('.').next().unwrap_or("")) {
                    *slot = ParamTree::List(Vec::new());
                }
                slot.insert(r, value)
            }
            None => {
                *slot = value;
                Ok(())
            }
        }
    }

    /// The subtree at dotted `path` (`""`: the whole tree).
    pub fn get(&self, path: &str) -> Option<&ParamTree> {
        if path.is_empty() {
            return Some(self);
        }
        let mut node = self;
        for part in path.split('.') {
            node = match node {
                ParamTree::Map(m) => m.get(part)?,
                ParamTree::List(l) => l.get(part.parse::<usize>().ok()?)?,
                ParamTree::Array(_) => return None,
            };
        }
        Some(node)
    }

    /// The array at dotted `path`, if that is a leaf.
    pub fn get_array(&self, path: &str) -> Option<&Array> {
        self.get(path).and_then(ParamTree::as_array)
    }

    /// The leaves in flattening order.
    pub fn leaves(&self) -> Vec<Array> {
        self.flatten().into_iter().map(|(_, a)| a).collect()
    }

    /// The number of leaves.
    pub fn num_leaves(&self) -> usize {
        match self {
            ParamTree::Array(_) => 1,
            ParamTree::Map(m) => m.values().map(ParamTree::num_leaves).sum(),
            ParamTree::List(l) => l.iter().map(ParamTree::num_leaves).sum(),
        }
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.num_leaves() == 0
    }

    /// The same structure with every leaf replaced by `f(dotted key, leaf)`
    /// (MLX `tree_map_with_path`).
    pub fn map<F>(&self, mut f: F) -> Result<ParamTree>
    where
        F: FnMut(&str, &Array) -> Result<Array>,
    {
        self.map_prefixed("", &mut f)
    }

    fn map_prefixed(
        &self,
        prefix: &str,
        f: &mut dyn FnMut(&str, &Array) -> Result<Array>,
    ) -> Result<ParamTree> {
        Ok(match self {
            ParamTree::Array(a) => ParamTree::Array(f(prefix, a)?),
            ParamTree::Map(m) => ParamTree::Map(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), v.map_prefixed(&join(prefix, k), f)?)))
                    .collect::<Result<_>>()?,
            ),
            ParamTree::List(l) => ParamTree::List(
                l.iter()
                    .enumerate()
                    .map(|(i, v)| v.map_prefixed(&join(prefix, &i.to_string()), f))
                    .collect::<Result<_>>()?,
            ),
        })
    }

    /// `self` with the leaves of `other` written over it at their paths
    /// (MLX `tree_merge` for disjoint trees; `other` wins on overlaps).
    pub fn merge(&mut self, other: &ParamTree) -> Result<()> {
        for (k, a) in other.flatten() {
            self.insert(&k, ParamTree::Array(a))?;
        }
        Ok(())
    }

    /// Evaluates every leaf.
    pub fn eval(&self) -> Result<()> {
        rmlx::eval(&self.leaves())
    }
}

/// Lets a parameter tree go straight through `rmlx::transforms::*_tree`.
impl Tree for ParamTree {
    fn flatten_into(&self, out: &mut Vec<Array>) {
        match self {
            ParamTree::Array(a) => out.push(a.clone()),
            ParamTree::Map(m) => m.values().for_each(|v| v.flatten_into(out)),
            ParamTree::List(l) => l.iter().for_each(|v| v.flatten_into(out)),
        }
    }
    fn rebuild(&self, leaves: &mut dyn Iterator<Item = Array>) -> Result<Self> {
        Ok(match self {
            ParamTree::Array(_) => ParamTree::Array(
                leaves
                    .next()
                    .ok_or_else(|| Error::value("[tree] Not enough leaves to rebuild the tree."))?,
            ),
            ParamTree::Map(m) => ParamTree::Map(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), v.rebuild(leaves)?)))
                    .collect::<Result<_>>()?,
            ),
            ParamTree::List(l) => {
                ParamTree::List(l.iter().map(|v| v.rebuild(leaves)).collect::<Result<_>>()?)
            }
        })
    }
}
