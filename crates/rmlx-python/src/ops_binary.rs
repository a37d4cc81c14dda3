//! Module functions of the binary family (`add` ... `divmod`).

use pyo3::prelude::*;
use rmlx::ops;
use rmlx::primitives::binary::BinaryOp;

use crate::array::PyArray;
use crate::convert::{binary_operands, stream_arg};
use crate::errors::PyResultExt;

fn run(
    op: BinaryOp,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let (x, y) = binary_operands(a, b)?;
    Ok(PyArray::new(
        ops::binary_op(op, &x, &y, stream_arg(stream)?).py()?,
    ))
}

macro_rules! binary_pyfns {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(
            #[pyfunction]
            #[pyo3(signature = (a, b, /, *, stream = None))]
            fn $name(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
                run(BinaryOp::$op, a, b, stream)
            }
        )*
        /// Registers the binary functions.
        pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $( m.add_function(wrap_pyfunction!($name, m)?)?; )*
            m.add_function(wrap_pyfunction!(divmod, m)?)?;
            Ok(())
        }
    };
}

binary_pyfns! {
    add => Add, subtract => Subtract, multiply => Multiply, divide => Divide,
    floor_divide => FloorDivide, remainder => Remainder, power => Power,
    maximum => Maximum, minimum => Minimum, equal => Equal, not_equal => NotEqual,
    less => Less, less_equal => LessEqual, greater => Greater, greater_equal => GreaterEqual,
    logical_and => LogicalAnd, logical_or => LogicalOr, bitwise_and => BitwiseAnd,
    bitwise_or => BitwiseOr, bitwise_xor => BitwiseXor, left_shift => LeftShift,
    right_shift => RightShift, arctan2 => ArcTan2, logaddexp => LogAddExp,
}

#[pyfunction]
#[pyo3(signature = (a, b, /, *, stream = None))]
fn divmod(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<(PyArray, PyArray)> {
    let (x, y) = binary_operands(a, b)?;
    let (q, r) = ops::divmod(&x, &y, stream_arg(stream)?).py()?;
    Ok((PyArray::new(q), PyArray::new(r)))
}
