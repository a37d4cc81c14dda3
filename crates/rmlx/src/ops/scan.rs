//! Public ops of the scan family.
