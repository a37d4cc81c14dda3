//! The scan op family: primitives with their shape and transformation rules.
