//! CPU kernels of the ternary family.
