//! Module functions of the sort family: `sort`, `argsort`, `partition`,
//! `argpartition`, `topk`, `searchsorted` and `median`, with MLX's
//! signatures and defaults (`axis=-1`; `axis=None` flattens). As in MLX,
//! the operands must be arrays.

use pyo3::prelude::*;
use rmlx::ops;

use crate::array::PyArray;
use crate::convert::{array_only, axes_kwarg, bad_args, int_kwarg, stream_arg, type_name};
use crate::errors::PyResultExt;

const SIG_SORT: &str = "a: array, /, axis: None | int = -1, *, stream: StreamOrDevice = None";
const SIG_PART: &str =
    "a: array, /, kth: int, axis: None | int = -1, *, stream: StreamOrDevice = None";
const SIG_TOPK: &str =
    "a: array, /, k: int, axis: None | int = -1, *, stream: StreamOrDevice = None";
const SIG_SEARCH: &str = "sorted_sequence: array, values: array, /, side: str = 'left', *, stream: StreamOrDevice = None";
const SIG_MEDIAN: &str = "a: array, /, axis: None | int | Sequence[int] = None, keepdims: bool = False, *, stream: StreamOrDevice = None";

/// The raw `axis` argument: `None` when omitted (MLX's default is -1 while
/// an explicit `None` flattens, so omission must be told apart).
struct AxisArg<'py>(Option<Bound<'py, PyAny>>);

impl<'a, 'py> FromPyObject<'a, 'py> for AxisArg<'py> {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(AxisArg(Some(obj.to_owned())))
    }
}

/// `axis`: None (flatten) or an int; omitted means -1.
fn axis_param(axis: AxisArg<'_>, fname: &str, sig: &str) -> PyResult<Option<i64>> {
    match axis.0 {
        None => Ok(Some(-1)),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => int_kwarg(&o, "axis", fname, sig).map(Some),
    }
}

/// `name(a, /, [k,] axis=-1, *, stream=None)` calling `ops::name`; `k` is
/// the int argument of `partition`/`argpartition` (`kth`) and `topk` (`k`).
macro_rules! sort_pyfns {
    ($($name:ident => $sig:ident $(, $k:ident)?);* $(;)?) => {$(
        #[pyfunction]
        #[pyo3(signature = (a, /, $($k,)? axis = AxisArg(None), *, stream = None))]
        fn $name(
            a: &Bound<'_, PyAny>,
            $($k: &Bound<'_, PyAny>,)?
            axis: AxisArg<'_>,
            stream: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<PyArray> {
            let name = stringify!($name);
            let x = array_only(a, name, $sig)?;
            $(let $k = int_kwarg($k, stringify!($k), name, $sig)?;)?
            let axis = axis_param(axis, name, $sig)?;
            Ok(PyArray::new(
                ops::$name(&x, $($k,)? axis, stream_arg(stream)?).py()?,
            ))
        }
    )*};
}

sort_pyfns! {
    sort => SIG_SORT;
    argsort => SIG_SORT;
    partition => SIG_PART, kth;
    argpartition => SIG_PART, kth;
    topk => SIG_TOPK, k;
}

#[pyfunction]
#[pyo3(signature = (sorted_sequence, values, /, side = None, *, stream = None))]
fn searchsorted(
    sorted_sequence: &Bound<'_, PyAny>,
    values: &Bound<'_, PyAny>,
    side: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let seq = array_only(sorted_sequence, "searchsorted", SIG_SEARCH)?;
    let v = match values.cast::<PyArray>() {
        Ok(x) => x.borrow().inner.clone(),
        Err(_) => {
            return Err(bad_args(
                "searchsorted",
                SIG_SEARCH,
                &format!("mlx.core.array, {}", type_name(values)),
            ))
        }
    };
    let side: String = match side {
        None => Ok("left".to_string()),
        Some(side) => side.extract(),
    }
    .map_err(|_| {
        bad_args(
            "searchsorted",
            SIG_SEARCH,
            &format!(
                "mlx.core.array, mlx.core.array, kwargs = {{ side: {} }}",
                side.map(type_name).unwrap_or_default()
            ),
        )
    })?;
    Ok(PyArray::new(
        ops::searchsorted(&seq, &v, &side, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, keepdims = false, *, stream = None))]
fn median(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = array_only(a, "median", SIG_MEDIAN)?;
    let axes = axes_kwarg(axis, "median", SIG_MEDIAN)?;
    Ok(PyArray::new(
        ops::median(&x, axes.as_deref(), keepdims, stream_arg(stream)?).py()?,
    ))
}

/// Adds the sort family's functions to `m`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sort, m)?)?;
    m.add_function(wrap_pyfunction!(argsort, m)?)?;
    m.add_function(wrap_pyfunction!(partition, m)?)?;
    m.add_function(wrap_pyfunction!(argpartition, m)?)?;
    m.add_function(wrap_pyfunction!(topk, m)?)?;
    m.add_function(wrap_pyfunction!(searchsorted, m)?)?;
    m.add_function(wrap_pyfunction!(median, m)?)?;
    Ok(())
}
