//! Module functions (and array methods) of the shape family: `reshape`,
//! `flatten`, `squeeze`, `transpose`, `concatenate`, `split`, `pad`,
//! `roll`, `diagonal`, `trace` ... and the array's `T` and `mT`
//! properties (`real` / `imag` live with the unary family).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use rmlx::primitives::shape::PadMode;
use rmlx::{ops, Array, Stream};

use crate::array::PyArray;
use crate::convert::{axes_arg, dtype_arg, stream_arg, to_array};
use crate::errors::PyResultExt;

type Any<'py> = Bound<'py, PyAny>;
type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

fn arr(obj: &Any<'_>) -> PyResult<Array> {
    to_array(obj, None)
}

fn wrap(r: rmlx::Result<Array>) -> PyResult<PyArray> {
    Ok(PyArray::new(r.py()?))
}

fn wrap_all(r: rmlx::Result<Vec<Array>>) -> PyResult<Vec<PyArray>> {
    Ok(r.py()?.into_iter().map(PyArray::new).collect())
}

fn type_name(obj: &Any<'_>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// A sequence of ints (not a bare int, not a string); TypeError otherwise.
fn int_seq(obj: &Any<'_>, what: &str) -> PyResult<Vec<i64>> {
    let err = || {
        PyTypeError::new_err(format!(
            "{what} must be a sequence of ints, got {}.",
            type_name(obj)
        ))
    };
    if obj.is_instance_of::<PyString>() || obj.extract::<i64>().is_ok() {
        return Err(err());
    }
    let it = obj.try_iter().map_err(|_| err())?;
    it.map(|x| x.and_then(|x| x.extract::<i64>()).map_err(|_| err()))
        .collect()
}

/// An int or a sequence of ints.
fn int_or_seq(obj: &Any<'_>, what: &str) -> PyResult<Vec<i64>> {
    match obj.extract::<i64>() {
        Ok(v) => Ok(vec![v]),
        Err(_) => int_seq(obj, what),
    }
}

/// A list or tuple of arrays (MLX refuses other element types).
fn array_list(obj: &Any<'_>, op: &str) -> PyResult<Vec<Array>> {
    if !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()) {
        return Err(PyTypeError::new_err(format!(
            "{op}(): arrays must be a list of arrays, got {}.",
            type_name(obj)
        )));
    }
    obj.try_iter()?
        .map(|x| {
            let x = x?;
            match x.cast::<PyArray>() {
                Ok(a) => Ok(a.borrow().inner.clone()),
                Err(_) => Err(PyTypeError::new_err(format!(
                    "{op}(): expected a list of arrays, got an element of type {}.",
                    type_name(&x)
                ))),
            }
        })
        .collect()
}

fn check_shape(op: &str, shape: &[i64]) -> PyResult<()> {
    if shape.iter().any(|&d| d < 0) {
        return Err(PyValueError::new_err(format!(
            "[{op}] Negative dimensions not allowed."
        )));
    }
    Ok(())
}

#[pyfunction]
#[pyo3(signature = (a, /, shape, *, stream = None))]
fn reshape(a: &Any<'_>, shape: &Any<'_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::reshape(
        &arr(a)?,
        &int_seq(shape, "shape")?,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, start_axis = 0, end_axis = -1, *, stream = None))]
fn flatten(a: &Any<'_>, start_axis: i64, end_axis: i64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::flatten(
        &arr(a)?,
        start_axis,
        end_axis,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis, shape, *, stream = None))]
fn unflatten(a: &Any<'_>, axis: i64, shape: &Any<'_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::unflatten(
        &arr(a)?,
        axis,
        &int_seq(shape, "shape")?,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, *, stream = None))]
fn squeeze(a: &Any<'_>, axis: Opt<'_, '_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let axes = axes_arg(axis)?;
    wrap(ops::squeeze(&arr(a)?, axes.as_deref(), stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis, *, stream = None))]
fn expand_dims(a: &Any<'_>, axis: &Any<'_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::expand_dims(
        &arr(a)?,
        &int_or_seq(axis, "axis")?,
        stream_arg(stream)?,
    ))
}

fn axes_opt(axes: Opt<'_, '_>) -> PyResult<Option<Vec<i64>>> {
    match axes {
        Some(x) if !x.is_none() => Ok(Some(int_seq(x, "axes")?)),
        _ => Ok(None),
    }
}

#[pyfunction]
#[pyo3(signature = (a, /, axes = None, *, stream = None))]
fn transpose(a: &Any<'_>, axes: Opt<'_, '_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::transpose(
        &arr(a)?,
        axes_opt(axes)?.as_deref(),
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, axes = None, *, stream = None))]
fn permute_dims(a: &Any<'_>, axes: Opt<'_, '_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::permute_dims(
        &arr(a)?,
        axes_opt(axes)?.as_deref(),
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, *, stream = None))]
fn matrix_transpose(a: &Any<'_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::matrix_transpose(&arr(a)?, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis1, axis2, *, stream = None))]
fn swapaxes(a: &Any<'_>, axis1: i64, axis2: i64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::swapaxes(&arr(a)?, axis1, axis2, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, /, source, destination, *, stream = None))]
fn moveaxis(a: &Any<'_>, source: i64, destination: i64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::moveaxis(
        &arr(a)?,
        source,
        destination,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, shape, *, stream = None))]
fn broadcast_to(a: &Any<'_>, shape: &Any<'_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let shape = int_seq(shape, "shape")?;
    check_shape("broadcast_to", &shape)?;
    wrap(ops::broadcast_to(&arr(a)?, &shape, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (*arrays, stream = None))]
fn broadcast_arrays(arrays: &Bound<'_, PyTuple>, stream: Opt<'_, '_>) -> PyResult<Vec<PyArray>> {
    let xs: Vec<Array> = arrays.iter().map(|x| arr(&x)).collect::<PyResult<_>>()?;
    wrap_all(ops::broadcast_arrays(&xs, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (*shapes))]
fn broadcast_shapes<'py>(
    py: Python<'py>,
    shapes: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyTuple>> {
    let shapes: Vec<Vec<i64>> = shapes
        .iter()
        .map(|x| int_seq(&x, "shape"))
        .collect::<PyResult<_>>()?;
    PyTuple::new(py, ops::broadcast_shapes_list(&shapes).py()?)
}

fn concat_impl(
    arrays: &Any<'_>,
    axis: Option<i64>,
    stream: Opt<'_, '_>,
    op: &str,
) -> PyResult<PyArray> {
    wrap(ops::concatenate(
        &array_list(arrays, op)?,
        axis,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (arrays, axis = Some(0), *, stream = None))]
fn concatenate(arrays: &Any<'_>, axis: Option<i64>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    concat_impl(arrays, axis, stream, "concatenate")
}

#[pyfunction]
#[pyo3(signature = (arrays, axis = Some(0), *, stream = None))]
fn concat(arrays: &Any<'_>, axis: Option<i64>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    concat_impl(arrays, axis, stream, "concat")
}

#[pyfunction]
#[pyo3(signature = (arrays, axis = Some(0), *, stream = None))]
fn stack(arrays: &Any<'_>, axis: Option<i64>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::stack(
        &array_list(arrays, "stack")?,
        axis.unwrap_or(0),
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (x, /, *, axis = 0, stream = None))]
fn unstack<'py>(
    py: Python<'py>,
    x: &Any<'py>,
    axis: i64,
    stream: Opt<'_, 'py>,
) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        wrap_all(ops::unstack(&arr(x)?, axis, stream_arg(stream)?))?,
    )
}

fn split_impl(a: &Array, spec: &Any<'_>, axis: i64, s: Option<Stream>) -> PyResult<Vec<PyArray>> {
    if let Ok(n) = spec.extract::<i64>() {
        return wrap_all(ops::split(a, n, axis, s));
    }
    wrap_all(ops::split_indices(
        a,
        &int_seq(spec, "indices_or_sections")?,
        axis,
        s,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, indices_or_sections, axis = 0, *, stream = None))]
fn split(
    a: &Any<'_>,
    indices_or_sections: &Any<'_>,
    axis: i64,
    stream: Opt<'_, '_>,
) -> PyResult<Vec<PyArray>> {
    split_impl(&arr(a)?, indices_or_sections, axis, stream_arg(stream)?)
}

#[pyfunction]
#[pyo3(signature = (array, repeats, axis = None, *, stream = None))]
fn repeat(
    array: &Any<'_>,
    repeats: i64,
    axis: Option<i64>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    wrap(ops::repeat(
        &arr(array)?,
        repeats,
        axis,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, reps, /, *, stream = None))]
fn tile(a: &Any<'_>, reps: &Any<'_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::tile(
        &arr(a)?,
        &int_or_seq(reps, "reps")?,
        stream_arg(stream)?,
    ))
}

/// `pad_width`: an int, a tuple of one or two ints, or a sequence of
/// (before, after) pairs.
fn pad_width_arg(obj: &Any<'_>) -> PyResult<Vec<(i64, i64)>> {
    let err = || {
        PyTypeError::new_err(format!(
            "pad(): pad_width must be an int, a tuple of one or two ints or a list of (before, after) pairs, got {}.",
            type_name(obj)
        ))
    };
    if let Ok(w) = obj.extract::<i64>() {
        return Ok(vec![(w, w)]);
    }
    if !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()) {
        return Err(err());
    }
    let items: Vec<Any<'_>> = obj.try_iter()?.collect::<PyResult<_>>()?;
    if obj.is_instance_of::<PyTuple>()
        && !items.is_empty()
        && items.iter().all(|x| x.extract::<i64>().is_ok())
    {
        let v: Vec<i64> = items
            .iter()
            .map(|x| x.extract::<i64>())
            .collect::<PyResult<_>>()?;
        return match v.as_slice() {
            [w] => Ok(vec![(*w, *w)]),
            [lo, hi] => Ok(vec![(*lo, *hi)]),
            _ => Err(err()),
        };
    }
    items
        .iter()
        .map(|p| match int_seq(p, "pad_width").ok().as_deref() {
            Some([lo, hi]) => Ok((*lo, *hi)),
            _ => Err(err()),
        })
        .collect()
}

#[pyfunction]
#[pyo3(signature = (a, pad_width, mode = "constant", constant_values = None, *, stream = None))]
fn pad(
    a: &Any<'_>,
    pad_width: &Any<'_>,
    mode: &str,
    constant_values: Opt<'_, '_>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let a = arr(a)?;
    let widths = pad_width_arg(pad_width)?;
    let mode = PadMode::from_name(mode).ok_or_else(|| {
        PyValueError::new_err(format!("Invalid padding mode ({mode}) passed to pad"))
    })?;
    // `None` (which MLX refuses) is taken as the default 0.
    let value = match constant_values {
        Some(v) if !v.is_none() => arr(v)?,
        _ => Array::scalar(0i32),
    };
    wrap(ops::pad(&a, &widths, mode, &value, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, *, stream = None))]
fn flip(a: &Any<'_>, axis: Opt<'_, '_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let axes = axes_arg(axis)?;
    wrap(ops::flip(&arr(a)?, axes.as_deref(), stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, shift, axis = None, *, stream = None))]
fn roll(a: &Any<'_>, shift: &Any<'_>, axis: Opt<'_, '_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let a = arr(a)?;
    let s = stream_arg(stream)?;
    let single = shift.extract::<i64>().ok();
    let shifts = match single {
        Some(v) => vec![v],
        None => int_seq(shift, "shift")?,
    };
    let sum = || shifts.iter().fold(0i64, |x, &y| x.wrapping_add(y));
    let out = match axis {
        None => ops::roll(&a, &shifts, None, s),
        Some(ax) if ax.is_none() => ops::roll(&a, &shifts, None, s),
        Some(ax) => match ax.extract::<i64>() {
            Ok(ax) => ops::roll(&a, &[sum()], Some(&[ax]), s),
            Err(_) => {
                let axes = int_seq(ax, "axis")?;
                let shifts = match single {
                    Some(v) => vec![v; axes.len()],
                    None => shifts,
                };
                ops::roll(&a, &shifts, Some(&axes), s)
            }
        },
    };
    wrap(out)
}

fn atleast(
    py: Python<'_>,
    arys: &Bound<'_, PyTuple>,
    stream: Opt<'_, '_>,
    f: fn(&Array, Option<Stream>) -> rmlx::Result<Array>,
) -> PyResult<Py<PyAny>> {
    let s = stream_arg(stream)?;
    let outs: Vec<PyArray> = arys
        .iter()
        .map(|x| wrap(f(&arr(&x)?, s)))
        .collect::<PyResult<_>>()?;
    if outs.len() == 1 {
        return Ok(Py::new(py, outs.into_iter().next().expect("one"))?.into_any());
    }
    Ok(PyList::new(py, outs)?.into_any().unbind())
}

/// `atleast_Nd(*arys, stream=None)`, calling `ops::atleast_Nd`.
macro_rules! atleast_pyfns {
    ($($name:ident),*) => {$(
        #[pyfunction]
        #[pyo3(signature = (*arys, stream = None))]
        fn $name(py: Python<'_>, arys: &Bound<'_, PyTuple>, stream: Opt<'_, '_>) -> PyResult<Py<PyAny>> {
            atleast(py, arys, stream, ops::$name)
        }
    )*};
}

atleast_pyfns!(atleast_1d, atleast_2d, atleast_3d);

#[pyfunction]
#[pyo3(signature = (a, /, allow_col_major = false, *, stream = None))]
fn contiguous(a: &Any<'_>, allow_col_major: bool, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::contiguous(
        &arr(a)?,
        allow_col_major,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, offset = 0, axis1 = 0, axis2 = 1, stream = None))]
fn diagonal(
    a: &Any<'_>,
    offset: i64,
    axis1: i64,
    axis2: i64,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    wrap(ops::diagonal(
        &arr(a)?,
        offset,
        axis1,
        axis2,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, k = 0, *, stream = None))]
fn diag(a: &Any<'_>, k: i64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(ops::diag(&arr(a)?, k, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, /, offset = 0, axis1 = 0, axis2 = 1, dtype = None, *, stream = None))]
fn trace(
    a: &Any<'_>,
    offset: i64,
    axis1: i64,
    axis2: i64,
    dtype: Opt<'_, '_>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    wrap(ops::trace(
        &arr(a)?,
        offset,
        axis1,
        axis2,
        dtype_arg(dtype)?,
        stream_arg(stream)?,
    ))
}

/// Registers the shape functions.
/// MLX `as_strided`: `shape` defaults to `a`'s, `strides` to the row-major
/// strides of `shape`.
#[pyfunction]
#[pyo3(signature = (a, /, shape = None, strides = None, offset = 0, *, stream = None))]
fn as_strided(
    a: &Any<'_>,
    shape: Opt<'_, '_>,
    strides: Opt<'_, '_>,
    offset: i64,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let a = arr(a)?;
    let shape = match shape {
        Some(s) if !s.is_none() => int_seq(s, "shape")?,
        _ => a.shape().to_vec(),
    };
    let strides = match strides {
        Some(s) if !s.is_none() => int_seq(s, "strides")?,
        _ => rmlx::array::row_strides(&shape).to_vec(),
    };
    wrap(ops::as_strided(
        &a,
        &shape,
        &strides,
        offset,
        stream_arg(stream)?,
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(as_strided, m)?)?;
    m.add_function(wrap_pyfunction!(reshape, m)?)?;
    m.add_function(wrap_pyfunction!(flatten, m)?)?;
    m.add_function(wrap_pyfunction!(unflatten, m)?)?;
    m.add_function(wrap_pyfunction!(squeeze, m)?)?;
    m.add_function(wrap_pyfunction!(expand_dims, m)?)?;
    m.add_function(wrap_pyfunction!(transpose, m)?)?;
    m.add_function(wrap_pyfunction!(permute_dims, m)?)?;
    m.add_function(wrap_pyfunction!(matrix_transpose, m)?)?;
    m.add_function(wrap_pyfunction!(swapaxes, m)?)?;
    m.add_function(wrap_pyfunction!(moveaxis, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast_to, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast_arrays, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast_shapes, m)?)?;
    m.add_function(wrap_pyfunction!(concatenate, m)?)?;
    m.add_function(wrap_pyfunction!(concat, m)?)?;
    m.add_function(wrap_pyfunction!(stack, m)?)?;
    m.add_function(wrap_pyfunction!(unstack, m)?)?;
    m.add_function(wrap_pyfunction!(split, m)?)?;
    m.add_function(wrap_pyfunction!(repeat, m)?)?;
    m.add_function(wrap_pyfunction!(tile, m)?)?;
    m.add_function(wrap_pyfunction!(pad, m)?)?;
    m.add_function(wrap_pyfunction!(flip, m)?)?;
    m.add_function(wrap_pyfunction!(roll, m)?)?;
    m.add_function(wrap_pyfunction!(atleast_1d, m)?)?;
    m.add_function(wrap_pyfunction!(atleast_2d, m)?)?;
    m.add_function(wrap_pyfunction!(atleast_3d, m)?)?;
    m.add_function(wrap_pyfunction!(contiguous, m)?)?;
    m.add_function(wrap_pyfunction!(diagonal, m)?)?;
    m.add_function(wrap_pyfunction!(diag, m)?)?;
    m.add_function(wrap_pyfunction!(trace, m)?)?;
    Ok(())
}

/// The shape arguments of `a.reshape(*shape)`: one sequence or several ints.
fn star_ints(args: &Bound<'_, PyTuple>, what: &str) -> PyResult<Vec<i64>> {
    if args.len() == 1 {
        let x = args.get_item(0)?;
        if x.extract::<i64>().is_err() {
            return int_seq(&x, what);
        }
    }
    args.iter()
        .map(|x| {
            x.extract::<i64>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{what} must be ints or one sequence of ints, got {}.",
                    type_name(&x)
                ))
            })
        })
        .collect()
}

#[pymethods]
impl PyArray {
    /// The array with its axes reversed.
    #[getter(T)]
    fn get_t(&self) -> PyResult<PyArray> {
        wrap(ops::transpose(&self.inner, None, None))
    }

    /// The array with its last two axes swapped.
    #[getter(mT)]
    fn get_mt(&self) -> PyResult<PyArray> {
        wrap(ops::matrix_transpose(&self.inner, None))
    }

    /// `a.reshape(2, 3)` or `a.reshape((2, 3))`.
    #[pyo3(name = "reshape", signature = (*shape, stream = None))]
    fn m_reshape(&self, shape: &Bound<'_, PyTuple>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
        wrap(ops::reshape(
            &self.inner,
            &star_ints(shape, "shape")?,
            stream_arg(stream)?,
        ))
    }

    /// `a.transpose()`, `a.transpose(1, 0)` or `a.transpose((1, 0))`.
    #[pyo3(name = "transpose", signature = (*axes, stream = None))]
    fn m_transpose(&self, axes: &Bound<'_, PyTuple>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
        let s = stream_arg(stream)?;
        if axes.is_empty() || (axes.len() == 1 && axes.get_item(0)?.is_none()) {
            return wrap(ops::transpose(&self.inner, None, s));
        }
        wrap(ops::transpose(
            &self.inner,
            Some(&star_ints(axes, "axes")?),
            s,
        ))
    }

    /// Merges axes `start_axis..=end_axis`.
    #[pyo3(name = "flatten", signature = (start_axis = 0, end_axis = -1, *, stream = None))]
    fn m_flatten(&self, start_axis: i64, end_axis: i64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
        wrap(ops::flatten(
            &self.inner,
            start_axis,
            end_axis,
            stream_arg(stream)?,
        ))
    }

    /// Removes size-1 axes.
    #[pyo3(name = "squeeze", signature = (axis = None, *, stream = None))]
    fn m_squeeze(&self, axis: Opt<'_, '_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
        let axes = axes_arg(axis)?;
        wrap(ops::squeeze(
            &self.inner,
            axes.as_deref(),
            stream_arg(stream)?,
        ))
    }

    /// Swaps two axes.
    #[pyo3(name = "swapaxes", signature = (axis1, axis2, *, stream = None))]
    fn m_swapaxes(&self, axis1: i64, axis2: i64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
        wrap(ops::swapaxes(
            &self.inner,
            axis1,
            axis2,
            stream_arg(stream)?,
        ))
    }

    /// Moves an axis.
    #[pyo3(name = "moveaxis", signature = (source, destination, *, stream = None))]
    fn m_moveaxis(&self, source: i64, destination: i64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
        wrap(ops::moveaxis(
            &self.inner,
            source,
            destination,
            stream_arg(stream)?,
        ))
    }

    /// Splits into equal sections or at indices.
    #[pyo3(name = "split", signature = (indices_or_sections, axis = 0, *, stream = None))]
    fn m_split(
        &self,
        indices_or_sections: &Any<'_>,
        axis: i64,
        stream: Opt<'_, '_>,
    ) -> PyResult<Vec<PyArray>> {
        split_impl(&self.inner, indices_or_sections, axis, stream_arg(stream)?)
    }

    /// The diagonals of a plane.
    #[pyo3(name = "diagonal", signature = (offset = 0, axis1 = 0, axis2 = 1, stream = None))]
    fn m_diagonal(
        &self,
        offset: i64,
        axis1: i64,
        axis2: i64,
        stream: Opt<'_, '_>,
    ) -> PyResult<PyArray> {
        wrap(ops::diagonal(
            &self.inner,
            offset,
            axis1,
            axis2,
            stream_arg(stream)?,
        ))
    }

    /// A diagonal of a matrix, or a matrix with a vector on a diagonal.
    #[pyo3(name = "diag", signature = (k = 0, *, stream = None))]
    fn m_diag(&self, k: i64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
        wrap(ops::diag(&self.inner, k, stream_arg(stream)?))
    }
}
