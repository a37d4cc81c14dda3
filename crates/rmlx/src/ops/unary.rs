//! Public ops of the unary family.
