//! `Sequential` (MLX `nn.Sequential`): layers applied in order.

use rmlx::{Array, Result};

use crate::module::{Module, ModuleMeta};

/// Applies its layers one after the other; their parameters live under
/// `layers.<i>` as in MLX.
#[derive(Default)]
pub struct Sequential {
    meta: ModuleMeta,
    /// The layers, in order.
    pub layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    /// A container of `layers`.
    pub fn new(layers: Vec<Box<dyn Module>>) -> Self {
        Sequential {
            meta: ModuleMeta::default(),
            layers,
        }
    }

    /// Appends a layer (builder style).
    pub fn append<M: Module + 'static>(mut self, layer: M) -> Self {
        self.layers.push(Box::new(layer));
        self
    }
}

impl Module for Sequential {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        Vec::new()
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        Vec::new()
    }
    fn children(&self) -> Vec<(String, &dyn Module)> {
        self.layers
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("layers.{i}"), l.as_ref()))
            .collect()
    }
    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        self.layers
            .iter_mut()
            .enumerate()
            .map(|(i, l)| (format!("layers.{i}"), l.as_mut() as &mut dyn Module))
            .collect()
    }
    fn forward(&self, x: &Array) -> Result<Array> {
        let mut y = x.clone();
        for l in &self.layers {
            y = l.forward(&y)?;
        }
        Ok(y)
    }
}
