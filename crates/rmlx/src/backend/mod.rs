//! Backends: the kernels behind the primitives. `cpu` is always built; the
//! CUDA backend will live beside it under the `cuda` feature.

pub mod cpu;
