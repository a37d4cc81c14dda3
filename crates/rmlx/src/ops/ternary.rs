//! Public ops of the ternary family.
