//! Public ops of the shape family.
