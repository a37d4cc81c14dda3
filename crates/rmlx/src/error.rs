//! Errors as values: every fallible op returns [`Result`], whose [`Error`]
//! names the op and the offending shapes, dtypes or indices, and carries the
//! kind of exception MLX raises in Python for the same call.

use std::fmt;

/// The Python exception kind an error maps to (MLX raises these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `ValueError`: bad shapes, axes, arguments.
    Value,
    /// `TypeError`: wrong dtype or argument type.
    Type,
    /// `IndexError`: index out of range.
    Index,
    /// `RuntimeError`: evaluation failures, unavailable devices, not implemented.
    Runtime,
    /// `MemoryError`: allocation beyond the memory limit.
    Memory,
}

/// An rmlx error: kind plus a message that names the op (`[reshape] ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Which exception this is in Python.
    pub kind: ErrorKind,
    /// The full message, starting with the op name in brackets.
    pub message: String,
}

/// `Result` with rmlx's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A `ValueError`-kind error.
    pub fn value(msg: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Value,
            message: msg.into(),
        }
    }
    /// A `TypeError`-kind error.
    pub fn type_(msg: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Type,
            message: msg.into(),
        }
    }
    /// An `IndexError`-kind error.
    pub fn index(msg: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Index,
            message: msg.into(),
        }
    }
    /// A `RuntimeError`-kind error.
    pub fn runtime(msg: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Runtime,
            message: msg.into(),
        }
    }
    /// A `MemoryError`-kind error.
    pub fn memory(msg: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Memory,
            message: msg.into(),
        }
    }
    /// The error for an op or transformation rule that rmlx does not have yet.
    pub fn not_implemented(what: impl fmt::Display) -> Error {
        Error::runtime(format!("{what} is not implemented in rmlx yet"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Returns early with a `ValueError` built by `format!`.
#[macro_export]
macro_rules! bail_value {
    ($($arg:tt)*) => { return Err($crate::Error::value(format!($($arg)*))) };
}

/// Returns early with a `TypeError` built by `format!`.
#[macro_export]
macro_rules! bail_type {
    ($($arg:tt)*) => { return Err($crate::Error::type_(format!($($arg)*))) };
}
