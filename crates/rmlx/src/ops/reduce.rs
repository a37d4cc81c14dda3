//! Public ops of the reduce family.
