//! `rmlx.core`: the Python face of the rmlx engine, name for name with
//! `mlx.core`. This crate is thin: argument conversion, pytrees and error
//! mapping; every op is implemented in the `rmlx` crate.

mod array;
mod convert;
mod device;
mod dtype;
mod errors;
mod index;
mod index_set;
mod interop;
mod ops_binary;
mod ops_conv;
mod ops_creation;
mod ops_fast;
mod ops_fft;
mod ops_indexing;
mod ops_io;
mod ops_linalg;
mod ops_meta;
mod ops_misc;
mod ops_products;
mod ops_quantized;
mod ops_random;
mod ops_reduce;
mod ops_shape;
mod ops_sort;
mod ops_ternary;
mod ops_unary;
mod runtime;
mod transforms;

use pyo3::prelude::*;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Before any kernel (file loading included) starts rayon's pool unbound.
    rmlx::backend::cpu::threads::init_thread_pool_with_caller();
    m.add_class::<array::PyArray>()?;
    dtype::register(m)?;
    device::register(m)?;
    runtime::register(m)?;
    ops_binary::register(m)?;
    ops_conv::register(m)?;
    ops_creation::register(m)?;
    ops_reduce::register(m)?;
    ops_shape::register(m)?;
    ops_sort::register(m)?;
    ops_ternary::register(m)?;
    ops_unary::register(m)?;
    transforms::register(m)?;
    ops_misc::register(m)?;
    ops_random::register(m)?;
    ops_io::register(m)?;
    interop::register(m)?;
    ops_fft::register(m)?;
    ops_products::register(m)?;
    ops_indexing::register(m)?;
    ops_linalg::register(m)?;
    ops_fast::register(m)?;
    ops_quantized::register(m)?;
    ops_meta::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
