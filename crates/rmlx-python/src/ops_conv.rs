//! Module functions of the convolution family: `conv1d`, `conv2d`,
//! `conv3d`, `conv_general`, `conv_transpose1d/2d/3d` and `convolve`, with
//! MLX's signatures. As in MLX the operands must be arrays, sizes are ints
//! (`conv2d`/`conv3d` also take pairs/triples, `conv_general` sequences, and
//! its padding a `(low, high)` pair of sequences); anything else is a
//! TypeError naming the supported signature.

use pyo3::prelude::*;
use pyo3::types::PyString;
use rmlx::{ops, Array};

use crate::array::PyArray;
use crate::convert::{bad_args, index_of, stream_arg, type_name};
use crate::errors::PyResultExt;

const SIG_1D: &str = "input: array, weight: array, /, stride: int = 1, padding: int = 0, dilation: int = 1, groups: int = 1, *, stream: StreamOrDevice = None";
const SIG_2D: &str = "input: array, weight: array, /, stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1, groups: int = 1, *, stream: StreamOrDevice = None";
const SIG_3D: &str = "input: array, weight: array, /, stride: int | tuple[int, int, int] = 1, padding: int | tuple[int, int, int] = 0, dilation: int | tuple[int, int, int] = 1, groups: int = 1, *, stream: StreamOrDevice = None";
const SIG_GENERAL: &str = "input: array, weight: array, /, stride: int | Sequence[int] = 1, padding: int | Sequence[int] | tuple[Sequence[int], Sequence[int]] = 0, kernel_dilation: int | Sequence[int] = 1, input_dilation: int | Sequence[int] = 1, groups: int = 1, flip: bool = False, *, stream: StreamOrDevice = None";
const SIG_T1D: &str = "input: array, weight: array, /, stride: int = 1, padding: int = 0, dilation: int = 1, output_padding: int = 0, groups: int = 1, *, stream: StreamOrDevice = None";
const SIG_T2D: &str = "input: array, weight: array, /, stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1, output_padding: int | tuple[int, int] = 0, groups: int = 1, *, stream: StreamOrDevice = None";
const SIG_T3D: &str = "input: array, weight: array, /, stride: int | tuple[int, int, int] = 1, padding: int | tuple[int, int, int] = 0, dilation: int | tuple[int, int, int] = 1, output_padding: int | tuple[int, int, int] = 0, groups: int = 1, *, stream: StreamOrDevice = None";
const SIG_CONVOLVE: &str =
    "a: array, v: array, /, mode: str = \"full\", *, stream: StreamOrDevice = None";

/// Argument checking for one function call.
struct Args<'a> {
    fname: &'a str,
    sig: &'a str,
}

impl Args<'_> {
    fn err(&self, name: &str, o: &Bound<'_, PyAny>) -> PyErr {
        bad_args(
            self.fname,
            self.sig,
            &format!("array, array, kwargs = {{ {name}: {} }}", type_name(o)),
        )
    }

    fn array(&self, o: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        match o.cast::<PyArray>() {
            Ok(x) => Ok(x.borrow().inner.clone()),
            Err(_) => Err(bad_args(
                self.fname,
                self.sig,
                &format!("{}, {}", type_name(o), type_name(other)),
            )),
        }
    }

    /// An int (ints, bools and `__index__` objects; not floats or strings).
    fn int(&self, name: &str, o: &Bound<'_, PyAny>) -> PyResult<i64> {
        index_of(o).ok_or_else(|| self.err(name, o))
    }

    /// A sequence of ints (any length; not a string).
    fn ints(&self, name: &str, o: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
        seq_of_ints(o).ok_or_else(|| self.err(name, o))
    }

    /// An int (repeated `n` times) or a sequence of exactly `n` ints.
    fn int_or_tuple<const N: usize>(&self, name: &str, o: &Bound<'_, PyAny>) -> PyResult<[i64; N]> {
        if let Some(v) = index_of(o) {
            return Ok([v; N]);
        }
        match seq_of_ints(o) {
            Some(v) if v.len() == N => Ok(std::array::from_fn(|i| v[i])),
            _ => Err(self.err(name, o)),
        }
    }

    /// The size argument `name`, `default` (for each dimension) if omitted.
    fn sizes<T: Sizes>(
        &self,
        name: &str,
        o: Option<&Bound<'_, PyAny>>,
        default: i64,
    ) -> PyResult<T> {
        o.map_or(Ok(T::splat(default)), |o| T::parse(self, name, o))
    }

    /// An int or a sequence of ints.
    fn int_or_seq(&self, name: &str, o: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
        if let Some(v) = index_of(o) {
            return Ok(vec![v]);
        }
        self.ints(name, o)
    }
}

/// A size argument of `conv{N}d`/`conv_transpose{N}d` (and `groups`):
/// MLX's 1-d forms take plain ints only, the 2-d/3-d forms an int (for
/// every dimension) or a tuple of exactly N ints.
trait Sizes: Sized {
    fn parse(a: &Args<'_>, name: &str, o: &Bound<'_, PyAny>) -> PyResult<Self>;
    fn splat(v: i64) -> Self;
}

impl Sizes for i64 {
    fn parse(a: &Args<'_>, name: &str, o: &Bound<'_, PyAny>) -> PyResult<Self> {
        a.int(name, o)
    }
    fn splat(v: i64) -> Self {
        v
    }
}

impl<const N: usize> Sizes for [i64; N] {
    fn parse(a: &Args<'_>, name: &str, o: &Bound<'_, PyAny>) -> PyResult<Self> {
        a.int_or_tuple::<N>(name, o)
    }
    fn splat(v: i64) -> Self {
        [v; N]
    }
}

fn seq_of_ints(o: &Bound<'_, PyAny>) -> Option<Vec<i64>> {
    if o.is_instance_of::<PyString>() || o.cast::<PyArray>().is_ok() {
        return None;
    }
    let mut out = Vec::new();
    for item in o.try_iter().ok()? {
        out.push(index_of(&item.ok()?)?);
    }
    Some(out)
}

/// `conv{N}d(input, weight, /, stride=1, padding=0, dilation=1, groups=1,
/// *, stream=None)` and `conv_transpose{N}d` (which adds `output_padding=0`
/// before `groups`), calling `ops::<name>` with the sizes in that order; the
/// op's parameter types pick what each size accepts (see `Sizes`).
macro_rules! conv_pyfn {
    (conv $name:ident, $sig:ident) => {
        conv_pyfn!(@fn $name, $sig,
            "(input, weight, /, stride=1, padding=0, dilation=1, groups=1, *, stream=None)",
            [stride = 1, padding = 0, dilation = 1]);
    };
    (transpose $name:ident, $sig:ident) => {
        conv_pyfn!(@fn $name, $sig,
            "(input, weight, /, stride=1, padding=0, dilation=1, output_padding=0, groups=1, *, stream=None)",
            [stride = 1, padding = 0, dilation = 1, output_padding = 0]);
    };
    (@fn $name:ident, $sig:ident, $text:tt, [$($size:ident = $default:literal),+]) => {
        #[pyfunction]
        #[pyo3(signature = (input, weight, /, $($size = None,)+ groups = None, *, stream = None), text_signature = $text)]
        #[allow(clippy::too_many_arguments)]
        fn $name(
            input: &Bound<'_, PyAny>,
            weight: &Bound<'_, PyAny>,
            $($size: Option<&Bound<'_, PyAny>>,)+
            groups: Option<&Bound<'_, PyAny>>,
            stream: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<PyArray> {
            let a = Args {
                fname: stringify!($name),
                sig: $sig,
            };
            let (x, w) = (a.array(input, weight)?, a.array(weight, input)?);
            let r = ops::$name(
                &x,
                &w,
                $(a.sizes(stringify!($size), $size, $default)?,)+
                a.sizes("groups", groups, 1)?,
                stream_arg(stream)?,
            );
            Ok(PyArray::new(r.py()?))
        }
    };
}

conv_pyfn!(conv conv1d, SIG_1D);
conv_pyfn!(conv conv2d, SIG_2D);
conv_pyfn!(conv conv3d, SIG_3D);
conv_pyfn!(transpose conv_transpose1d, SIG_T1D);
conv_pyfn!(transpose conv_transpose2d, SIG_T2D);
conv_pyfn!(transpose conv_transpose3d, SIG_T3D);

#[pyfunction]
#[pyo3(signature = (input, weight, /, stride = None, padding = None, kernel_dilation = None, input_dilation = None, groups = None, flip = false, *, stream = None), text_signature = "(input, weight, /, stride=1, padding=0, kernel_dilation=1, input_dilation=1, groups=1, flip=False, *, stream=None)")]
#[allow(clippy::too_many_arguments)]
fn conv_general(
    input: &Bound<'_, PyAny>,
    weight: &Bound<'_, PyAny>,
    stride: Option<&Bound<'_, PyAny>>,
    padding: Option<&Bound<'_, PyAny>>,
    kernel_dilation: Option<&Bound<'_, PyAny>>,
    input_dilation: Option<&Bound<'_, PyAny>>,
    groups: Option<&Bound<'_, PyAny>>,
    flip: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let a = Args {
        fname: "conv_general",
        sig: SIG_GENERAL,
    };
    let (x, w) = (a.array(input, weight)?, a.array(weight, input)?);
    let seq = |n: &str, o: Option<&Bound<'_, PyAny>>, d: i64| {
        o.map_or(Ok(vec![d]), |o| a.int_or_seq(n, o))
    };
    // padding: an int, a sequence of ints, or a (low, high) pair of them.
    let (lo, hi) = match padding {
        None => (vec![0], vec![0]),
        Some(o) => {
            if let Some(v) = index_of(o) {
                (vec![v], vec![v])
            } else if let Some(v) = seq_of_ints(o) {
                (v.clone(), v)
            } else {
                let pair: Option<Vec<Bound<'_, PyAny>>> = (|| {
                    if o.is_instance_of::<PyString>() {
                        return None;
                    }
                    o.try_iter().ok()?.map(|i| i.ok()).collect()
                })();
                match pair.as_deref() {
                    Some([l, h]) => (a.ints("padding", l)?, a.ints("padding", h)?),
                    _ => return Err(a.err("padding", o)),
                }
            }
        }
    };
    let r = ops::conv_general(
        &x,
        &w,
        &seq("stride", stride, 1)?,
        &lo,
        &hi,
        &seq("kernel_dilation", kernel_dilation, 1)?,
        &seq("input_dilation", input_dilation, 1)?,
        groups.map_or(Ok(1), |o| a.int("groups", o))?,
        flip,
        stream_arg(stream)?,
    );
    Ok(PyArray::new(r.py()?))
}

#[pyfunction]
#[pyo3(signature = (a, v, /, mode = None, *, stream = None), text_signature = "(a, v, /, mode=\"full\", *, stream=None)")]
fn convolve(
    a: &Bound<'_, PyAny>,
    v: &Bound<'_, PyAny>,
    mode: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let args = Args {
        fname: "convolve",
        sig: SIG_CONVOLVE,
    };
    let (x, y) = (args.array(a, v)?, args.array(v, a)?);
    let mode = match mode {
        None => "full".to_string(),
        Some(m) => m.extract::<String>().map_err(|_| args.err("mode", m))?,
    };
    Ok(PyArray::new(
        ops::convolve(&x, &y, &mode, stream_arg(stream)?).py()?,
    ))
}

/// Adds the convolution functions to `rmlx.core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(conv1d, m)?)?;
    m.add_function(wrap_pyfunction!(conv2d, m)?)?;
    m.add_function(wrap_pyfunction!(conv3d, m)?)?;
    m.add_function(wrap_pyfunction!(conv_general, m)?)?;
    m.add_function(wrap_pyfunction!(conv_transpose1d, m)?)?;
    m.add_function(wrap_pyfunction!(conv_transpose2d, m)?)?;
    m.add_function(wrap_pyfunction!(conv_transpose3d, m)?)?;
    m.add_function(wrap_pyfunction!(convolve, m)?)?;
    Ok(())
}
