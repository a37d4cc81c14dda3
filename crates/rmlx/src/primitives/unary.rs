//! The unary op family: primitives with their shape and transformation rules.
