//! CPU kernels of the shape family.
