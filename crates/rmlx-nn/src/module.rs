//! The `Module` trait: a layer's own arrays and sub-modules, from which the
//! provided methods build MLX's module behaviour — parameter trees
//! (`parameters`, `trainable_parameters`), `update`, `freeze` / `unfreeze`,
//! training mode and weight loading.
//!
//! A layer implements the five small required methods (usually through
//! [`impl_module_meta!`](crate::impl_module_meta) plus two lists); every
//! other method is derived from them, so containers nest to any depth.

use std::collections::{BTreeMap, BTreeSet};

use rmlx::ops::fmt_shape;
use rmlx::{Array, Dtype, Error, Result};

use crate::tree::ParamTree;

/// The per-module bookkeeping that MLX keeps on every `Module`: training
/// mode and the names of frozen members.
#[derive(Clone, Debug)]
pub struct ModuleMeta {
    training: bool,
    frozen: BTreeSet<String>,
}

impl Default for ModuleMeta {
    /// Training mode, nothing frozen (a new MLX module).
    fn default() -> Self {
        ModuleMeta {
            training: true,
            frozen: BTreeSet::new(),
        }
    }
}

impl ModuleMeta {
    /// Whether the module is in training mode.
    pub fn training(&self) -> bool {
        self.training
    }
    /// Whether the member `name` (a parameter or a sub-module) is frozen.
    pub fn is_frozen(&self, name: &str) -> bool {
        self.frozen.contains(name)
    }
}

/// Implements [`Module::meta`] and [`Module::meta_mut`] for a struct with a
/// `meta: ModuleMeta` field.
#[macro_export]
macro_rules! impl_module_meta {
    () => {
        fn meta(&self) -> &$crate::ModuleMeta {
            &self.meta
        }
        fn meta_mut(&mut self) -> &mut $crate::ModuleMeta {
            &mut self.meta
        }
    };
}

fn child_key(path: &str) -> &str {
    path.split('.').next().unwrap_or(path)
}

/// A neural-network layer or a container of layers (MLX `nn.Module`).
pub trait Module {
    /// The module's training flag and frozen set.
    fn meta(&self) -> &ModuleMeta;
    /// Mutable access to [`Module::meta`].
    fn meta_mut(&mut self) -> &mut ModuleMeta;
    /// The module's own arrays (not its sub-modules'), by name.
    fn local_parameters(&self) -> Vec<(&str, &Array)>;
    /// Mutable access to [`Module::local_parameters`], same names and order.
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)>;
    /// The sub-modules, by dotted path relative to this module: `"proj"`,
    /// or `"layers.0"` for the entries of a list member.
    fn children(&self) -> Vec<(String, &dyn Module)> {
        Vec::new()
    }
    /// Mutable access to [`Module::children`], same paths and order.
    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        Vec::new()
    }
    /// Applies the module to one input.
    fn forward(&self, x: &Array) -> Result<Array>;

    /// All parameters, frozen ones included, as a tree (MLX `parameters()`).
    fn parameters(&self) -> ParamTree {
        collect(self.meta(), self, false)
    }

    /// The parameters that are not frozen (MLX `trainable_parameters()`).
    fn trainable_parameters(&self) -> ParamTree {
        collect(self.meta(), self, true)
    }

    /// Replaces the parameters found in `params` (a tree shaped like a
    /// subset of [`Module::parameters`]); a leaf the module lacks is a
    /// ValueError (MLX `update(parameters, strict=True)`).
    fn update(&mut self, params: &ParamTree) -> Result<()> {
        let mut flat: BTreeMap<String, Array> = params.flatten().into_iter().collect();
        self.update_flat("", &mut flat);
        match flat.keys().next() {
            Some(k) => Err(Error::value(format!(
                "Module does not have parameter named \"{k}\"."
            ))),
            None => Ok(()),
        }
    }

    /// Moves the arrays whose dotted keys (below `prefix`) name parameters of
    /// this module out of `flat` and into the module; the rest stay.
    fn update_flat(&mut self, prefix: &str, flat: &mut BTreeMap<String, Array>) {
        for (k, a) in self.local_parameters_mut() {
            if let Some(v) = flat.remove(&format!("{prefix}{k}")) {
                *a = v;
            }
        }
        for (path, c) in self.children_mut() {
            let p = format!("{prefix}{path}.");
            if flat
                .range(p.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&p))
            {
                c.update_flat(&p, flat);
            }
        }
    }

    /// Freezes every parameter of this module and its sub-modules.
    fn freeze(&mut self) {
        self.freeze_with(true, None);
    }

    /// Freezes the members named in `keys` (parameters or sub-modules;
    /// `None`: every local parameter) of this module and, with `recurse`,
    /// of every sub-module (MLX `freeze(recurse=, keys=)`).
    fn freeze_with(&mut self, recurse: bool, keys: Option<&[&str]>) {
        let names: Vec<String> = match keys {
            Some(k) => k.iter().map(|s| s.to_string()).collect(),
            None => self
                .local_parameters()
                .iter()
                .map(|(n, _)| n.to_string())
                .collect(),
        };
        self.meta_mut().frozen.extend(names);
        if recurse {
            for (_, c) in self.children_mut() {
                c.freeze_with(true, keys);
            }
        }
    }

    /// Unfreezes everything in this module and its sub-modules.
    fn unfreeze(&mut self) {
        self.unfreeze_with(true, None);
    }

    /// Unfreezes the members named in `keys` (`None`: all) of this module
    /// and, with `recurse`, of every sub-module (MLX `unfreeze`).
    fn unfreeze_with(&mut self, recurse: bool, keys: Option<&[&str]>) {
        match keys {
            None => self.meta_mut().frozen.clear(),
            Some(k) => k.iter().for_each(|s| {
                self.meta_mut().frozen.remove(*s);
            }),
        }
        if recurse {
            for (_, c) in self.children_mut() {
                c.unfreeze_with(true, keys);
            }
        }
    }

    /// Sets training mode (`false`: evaluation mode) on this module and every
    /// sub-module (MLX `train(mode)`; `train(false)` is MLX `eval()`).
    fn train(&mut self, mode: bool) {
        self.meta_mut().training = mode;
        for (_, c) in self.children_mut() {
            c.train(mode);
        }
    }

    /// Whether the module is in training mode.
    fn training(&self) -> bool {
        self.meta().training
    }

    /// Casts the floating-point parameters to `dtype` (MLX `set_dtype` with
    /// its default predicate).
    fn set_dtype(&mut self, dtype: Dtype) -> Result<()> {
        let p = self.parameters().map(|_, a| {
            if a.dtype().is_floating() {
                rmlx::ops::astype(a, dtype, None)
            } else {
                Ok(a.clone())
            }
        })?;
        self.update(&p)
    }

    /// Loads `(dotted name, array)` pairs (MLX `load_weights`). With `strict`
    /// the names must be exactly the module's parameters and the shapes must
    /// match; otherwise names the module lacks are ignored.
    fn load_weights(&mut self, weights: Vec<(String, Array)>, strict: bool) -> Result<()> {
        let current: BTreeMap<String, Array> = self.parameters().flatten().into_iter().collect();
        let mut given: BTreeMap<String, Array> = weights.into_iter().collect();
        if strict {
            let extras: Vec<&String> = given.keys().filter(|k| !current.contains_key(*k)).collect();
            if !extras.is_empty() {
                let names: Vec<&str> = extras.iter().map(|s| s.as_str()).collect();
                return Err(Error::value(format!(
                    "Received {} parameters not in model: \n{}.",
                    extras.len(),
                    names.join(",\n")
                )));
            }
            let missing: Vec<&str> = current
                .keys()
                .filter(|k| !given.contains_key(*k))
                .map(|s| s.as_str())
                .collect();
            if !missing.is_empty() {
                return Err(Error::value(format!(
                    "Missing {} parameters: \n{}.",
                    missing.len(),
                    missing.join(",\n")
                )));
            }
            for (name, cur) in &current {
                let new = &given[name];
                if new.shape() != cur.shape() {
                    return Err(Error::value(format!(
                        "Expected shape {} but received shape {} for parameter {name}",
                        fmt_shape(cur.shape()),
                        fmt_shape(new.shape())
                    )));
                }
            }
        } else {
            given.retain(|k, _| current.contains_key(k));
        }
        self.update_flat("", &mut given);
        Ok(())
    }
}

/// The parameter tree of `m` (whose bookkeeping is `meta`), skipping frozen
/// members when `trainable_only`.
fn collect<M: Module + ?Sized>(meta: &ModuleMeta, m: &M, trainable_only: bool) -> ParamTree {
    let mut t = ParamTree::new();
    for (k, a) in m.local_parameters() {
        if !(trainable_only && meta.is_frozen(k)) {
            t.insert(k, ParamTree::Array(a.clone()))
                .expect("local parameter names are plain keys");
        }
    }
    for (path, c) in m.children() {
        if trainable_only && meta.is_frozen(child_key(&path)) {
            continue;
        }
        t.insert(&path, collect(c.meta(), c, trainable_only))
            .expect("child paths name containers");
    }
    t
}
