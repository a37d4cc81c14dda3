//! CPU kernels of the scan family.
