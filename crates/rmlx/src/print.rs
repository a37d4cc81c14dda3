//! Array printing: `repr(array)` / `str(array)` exactly as MLX 0.32.4 writes them.
//!
//! Rules, found by probing the reference wheel (the output is the oracle):
//!
//! * Layout: `array(<body>, dtype=<name>)`. A 0-d array's body is its one
//!   element; otherwise the body is a bracketed, nested list. `str` and `repr`
//!   are identical.
//! * Elements of the innermost axis are joined by `", "` with no column
//!   alignment or padding. Sub-arrays of an outer axis `d` are joined by
//!   `",\n"` and every one but the first is indented by `7 + d` spaces (the
//!   width of `array(` plus one `[` per enclosing axis). There are no blank
//!   lines between blocks of 3-d and higher arrays.
//! * Summarising is per axis, not by total size: an axis longer than 6 shows
//!   its first 3 and last 3 entries with `...` (an entry of its own, joined
//!   like the others) in between. Elided elements are never read.
//! * An empty axis prints `[]`; outer axes are still walked, so shape `(2, 0)`
//!   prints `[[],\n       []]` and `(0, 3)` prints `[]`.
//! * bool prints `True` / `False`; integers print in full decimal.
//! * Floats (float16, bfloat16, float32, float64 alike, since the half types
//!   are widened to float first) follow C++ `ostream` defaults with precision
//!   -1: `%g` with 6 significant digits (`0.333333`, `1e-07`, `1.23457e+06`,
//!   `-0`, `nan`, `-nan`, `inf`, `-inf`; a NaN's sign bit shows).
//! * With `precision = p >= 0` floats use fixed notation with exactly `p`
//!   decimals (`%.pf`, exact expansion of the stored value, round half to
//!   even); any other negative value than -1 means fixed with 6 decimals.
//!   Integers and bools ignore the precision.
//! * complex64 prints `re` then, when `im >= 0` or `im` is NaN, `+` and `im`,
//!   otherwise `-` and `-im`, then `j`; both parts use the float rule. So
//!   `-0.0` imaginary parts give `0+-0j` and negative NaNs give `-nan+-nanj`.

use crate::dtype::Dtype;
use std::sync::RwLock;

/// One element, widened for printing.
#[derive(Clone, Copy, Debug)]
pub enum PrintValue {
    /// A `bool` element.
    Bool(bool),
    /// A signed integer element (int8 .. int64).
    Int(i64),
    /// An unsigned integer element (uint8 .. uint64).
    UInt(u64),
    /// A real floating element (float16, bfloat16, float32, float64), widened exactly.
    Float(f64),
    /// A complex element: real and imaginary parts, widened exactly.
    Complex(f64, f64),
}

/// MLX's print options (`mx.set_printoptions`); 0.32.4 accepts only `precision`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintOptions {
    /// Number of decimals for floats in fixed notation; -1 (the default)
    /// means C++'s default `%g`-like formatting with 6 significant digits.
    pub precision: i32,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions { precision: -1 }
    }
}

static OPTIONS: RwLock<PrintOptions> = RwLock::new(PrintOptions { precision: -1 });

/// The current global print options.
pub fn print_options() -> PrintOptions {
    OPTIONS.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Replaces the global print options.
pub fn set_print_options(opts: PrintOptions) {
    *OPTIONS.write().unwrap_or_else(|e| e.into_inner()) = opts;
}

/// `repr`: e.g. `array([2, 4, 6], dtype=int32)`, `array(1.5, dtype=float32)`,
/// multi-line nested, summarised large arrays with `...`.
pub fn format_repr(shape: &[i64], dtype: Dtype, get: &dyn Fn(usize) -> PrintValue) -> String {
    render(shape, dtype, get, &print_options())
}

/// `str`: MLX prints the same text for `str(array)` as for `repr(array)`.
pub fn format_str(shape: &[i64], dtype: Dtype, get: &dyn Fn(usize) -> PrintValue) -> String {
    format_repr(shape, dtype, get)
}

/// Entries shown at each end of a summarised axis.
const EDGE_ITEMS: usize = 3;

fn render(
    shape: &[i64],
    dtype: Dtype,
    get: &dyn Fn(usize) -> PrintValue,
    opts: &PrintOptions,
) -> String {
    let dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    let mut out = String::from("array(");
    if dims.is_empty() {
        push_value(&mut out, get(0), opts.precision);
    } else {
        // Row-major strides, so `get` sees flat indices.
        let mut strides = vec![1usize; dims.len()];
        for d in (0..dims.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1].saturating_mul(dims[d + 1]);
        }
        let mut w = Walker {
            dims: &dims,
            strides: &strides,
            get,
            precision: opts.precision,
            out: &mut out,
        };
        w.axis(0, 0);
    }
    out.push_str(", dtype=");
    out.push_str(dtype.name());
    out.push(')');
    out
}

struct Walker<'a> {
    dims: &'a [usize],
    strides: &'a [usize],
    get: &'a dyn Fn(usize) -> PrintValue,
    precision: i32,
    out: &'a mut String,
}

impl Walker<'_> {
    fn axis(&mut self, dim: usize, base: usize) {
        let n = self.dims[dim];
        let last = dim + 1 == self.dims.len();
        let summarise = n > 2 * EDGE_ITEMS;
        self.out.push('[');
        let mut first = true;
        let mut i = 0;
        while i < n {
            if !first {
                if last {
                    self.out.push_str(", ");
                } else {
                    self.out.push_str(",\n");
                    self.out.extend(std::iter::repeat_n(' ', 7 + dim));
                }
            }
            first = false;
            if summarise && i == EDGE_ITEMS {
                self.out.push_str("...");
                i = n - EDGE_ITEMS;
                continue;
            }
            let idx = base + i * self.strides[dim];
            if last {
                push_value(self.out, (self.get)(idx), self.precision);
            } else {
                self.axis(dim + 1, idx);
            }
            i += 1;
        }
        self.out.push(']');
    }
}

fn push_value(out: &mut String, v: PrintValue, precision: i32) {
    match v {
        PrintValue::Bool(b) => out.push_str(if b { "True" } else { "False" }),
        PrintValue::Int(x) => out.push_str(&x.to_string()),
        PrintValue::UInt(x) => out.push_str(&x.to_string()),
        PrintValue::Float(x) => out.push_str(&format_float(x, precision)),
        PrintValue::Complex(re, im) => {
            out.push_str(&format_float(re, precision));
            if im >= 0.0 || im.is_nan() {
                out.push('+');
                out.push_str(&format_float(im, precision));
            } else {
                out.push('-');
                out.push_str(&format_float(-im, precision));
            }
            out.push('j');
        }
    }
}

/// One float as C++ `ostream` writes it under MLX's precision option.
fn format_float(x: f64, precision: i32) -> String {
    if !x.is_finite() {
        let body = if x.is_nan() { "nan" } else { "inf" };
        return if x.is_sign_negative() {
            format!("-{body}")
        } else {
            body.to_string()
        };
    }
    match precision {
        -1 => format_general(x, 6),
        p if p < 0 => format!("{x:.6}"),
        p => format!("{x:.prec$}", prec = p as usize),
    }
}

/// C's `%.{sig}g` for a finite value: fixed or scientific by the decimal
/// exponent after rounding, trailing zeros (and a bare point) removed, and an
/// exponent of at least two digits with its sign.
fn format_general(x: f64, sig: usize) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{x:.prec$e}", prec = sig - 1);
    let (mantissa, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    if exp < -4 || exp >= sig as i32 {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim_zeros(mantissa), exp.unsigned_abs())
    } else {
        let decimals = (sig as i32 - 1 - exp) as usize;
        trim_zeros(&format!("{x:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::sync::Mutex;

    // Serialises tests that read or write the global options.
    static LOCK: Mutex<()> = Mutex::new(());

    fn lock() -> std::sync::MutexGuard<'static, ()> {
        LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }

    use PrintValue::{Bool as B, Complex as C, Float as F, Int as I, UInt as U};

    /// Formats with `format_repr` and `format_str` under `precision` (None:
    /// the default) and checks both against MLX's text and that no element
    /// outside `vals` was read.
    fn check(
        shape: &[i64],
        dtype: Dtype,
        vals: &[PrintValue],
        precision: Option<i32>,
        expected: &str,
    ) {
        let _g = lock();
        let get = |i: usize| vals[i];
        if let Some(p) = precision {
            set_print_options(PrintOptions { precision: p });
        }
        let repr = format_repr(shape, dtype, &get);
        let s = format_str(shape, dtype, &get);
        set_print_options(PrintOptions::default());
        assert_eq!(repr, expected);
        assert_eq!(s, expected);
    }

    /// `mx.arange(n).reshape(shape)`: element i is i; only printed elements
    /// may be read.
    fn check_arange(shape: &[i64], expected: &str) {
        let _g = lock();
        let reads = Cell::new(0usize);
        let get = |i: usize| {
            reads.set(reads.get() + 1);
            I(i as i64)
        };
        assert_eq!(format_repr(shape, Dtype::Int32, &get), expected);
        let body = expected.strip_suffix(", dtype=int32)").unwrap();
        let printed = body
            .split(|c: char| !c.is_ascii_digit())
            .filter(|t| !t.is_empty())
            .count();
        assert_eq!(reads.get(), printed);
    }

    #[test]
    fn options_default_get_set() {
        let _g = lock();
        assert_eq!(PrintOptions::default().precision, -1);
        assert_eq!(print_options(), PrintOptions::default());
        set_print_options(PrintOptions { precision: 4 });
        assert_eq!(print_options().precision, 4);
        let got = format_repr(&[], Dtype::Float32, &|_| F(0.5));
        set_print_options(PrintOptions::default());
        assert_eq!(got, "array(0.5000, dtype=float32)");
        assert_eq!(print_options().precision, -1);
    }

    #[test]
    fn uint64_max() {
        // mx.array([-1], dtype=mx.int32).astype(mx.uint64)
        check(
            &[1],
            Dtype::Uint64,
            &[U(u64::MAX)],
            None,
            "array([18446744073709551615], dtype=uint64)",
        );
    }

    #[test]
    fn scalar_reads_one_element() {
        let reads = Cell::new(0usize);
        let get = |i: usize| {
            assert_eq!(i, 0);
            reads.set(reads.get() + 1);
            C(-f64::NAN, -f64::NAN)
        };
        let opts = PrintOptions::default();
        let got = render(&[], Dtype::Complex64, &get, &opts);
        assert_eq!(got, "array(-nan+-nanj, dtype=complex64)");
        assert_eq!(reads.get(), 1);
    }

    #[test]
    fn empty_reads_nothing() {
        let get = |_: usize| -> PrintValue { panic!("read of an empty array") };
        let opts = PrintOptions::default();
        assert_eq!(
            render(&[3, 0, 2], Dtype::Bool, &get, &opts),
            "array([[],\n       [],\n       []], dtype=bool)"
        );
    }

    #[test]
    fn int32_1d() {
        // mx.array([1, 2, 3], dtype=mx.int32)
        check(
            &[3],
            Dtype::Int32,
            &[I(1), I(2), I(3)],
            None,
            "array([1, 2, 3], dtype=int32)",
        );
    }

    #[test]
    fn int32_negative() {
        // mx.array([1, 10, -100], dtype=mx.int32)
        check(
            &[3],
            Dtype::Int32,
            &[I(1), I(10), I(-100)],
            None,
            "array([1, 10, -100], dtype=int32)",
        );
    }

    #[test]
    fn int32_2d_no_alignment() {
        // mx.array([[1, 10], [-100, 5]], dtype=mx.int32)
        check(
            &[2, 2],
            Dtype::Int32,
            &[I(1), I(10), I(-100), I(5)],
            None,
            "array([[1, 10],\n       [-100, 5]], dtype=int32)",
        );
    }

    #[test]
    fn int8_extremes() {
        // mx.array([-128, 0, 127], dtype=mx.int8)
        check(
            &[3],
            Dtype::Int8,
            &[I(-128), I(0), I(127)],
            None,
            "array([-128, 0, 127], dtype=int8)",
        );
    }

    #[test]
    fn uint8() {
        // mx.array([0, 255], dtype=mx.uint8)
        check(
            &[2],
            Dtype::Uint8,
            &[U(0), U(255)],
            None,
            "array([0, 255], dtype=uint8)",
        );
    }

    #[test]
    fn int16() {
        // mx.array([-32768, 32767], dtype=mx.int16)
        check(
            &[2],
            Dtype::Int16,
            &[I(-32768), I(32767)],
            None,
            "array([-32768, 32767], dtype=int16)",
        );
    }

    #[test]
    fn uint16() {
        // mx.array([65535, 7], dtype=mx.uint16)
        check(
            &[2],
            Dtype::Uint16,
            &[U(65535), U(7)],
            None,
            "array([65535, 7], dtype=uint16)",
        );
    }

    #[test]
    fn uint32_max() {
        // mx.array([4294967295, 0], dtype=mx.uint32)
        check(
            &[2],
            Dtype::Uint32,
            &[U(4294967295), U(0)],
            None,
            "array([4294967295, 0], dtype=uint32)",
        );
    }

    #[test]
    fn int64_extremes() {
        // mx.array([-9223372036854775808, 9223372036854775807], dtype=mx.int64)
        check(
            &[2],
            Dtype::Int64,
            &[I(-9223372036854775808), I(9223372036854775807)],
            None,
            "array([-9223372036854775808, 9223372036854775807], dtype=int64)",
        );
    }

    #[test]
    fn uint64_large() {
        // mx.array([9223372036854775807, 5], dtype=mx.uint64)
        check(
            &[2],
            Dtype::Uint64,
            &[U(9223372036854775807), U(5)],
            None,
            "array([9223372036854775807, 5], dtype=uint64)",
        );
    }

    #[test]
    fn int32_scalar() {
        // mx.array(3, dtype=mx.int32)
        check(&[], Dtype::Int32, &[I(3)], None, "array(3, dtype=int32)");
    }

    #[test]
    fn int64_scalar_negative() {
        // mx.array(-42, dtype=mx.int64)
        check(
            &[],
            Dtype::Int64,
            &[I(-42)],
            None,
            "array(-42, dtype=int64)",
        );
    }

    #[test]
    fn bool_1d() {
        // mx.array([True, False], dtype=mx.bool_)
        check(
            &[2],
            Dtype::Bool,
            &[B(true), B(false)],
            None,
            "array([True, False], dtype=bool)",
        );
    }

    #[test]
    fn bool_2d() {
        // mx.array([[True, False, True], [False, False, True]], dtype=mx.bool_)
        check(
            &[2, 3],
            Dtype::Bool,
            &[B(true), B(false), B(true), B(false), B(false), B(true)],
            None,
            "array([[True, False, True],\n       [False, False, True]], dtype=bool)",
        );
    }

    #[test]
    fn bool_scalar() {
        // mx.array(True, dtype=mx.bool_)
        check(
            &[],
            Dtype::Bool,
            &[B(true)],
            None,
            "array(True, dtype=bool)",
        );
    }

    #[test]
    fn bool_summarised() {
        // mx.array([True, False, True, False, True, False, True, False], dtype=mx.bool_)
        check(
            &[8],
            Dtype::Bool,
            &[
                B(true),
                B(false),
                B(true),
                B(false),
                B(true),
                B(false),
                B(true),
                B(false),
            ],
            None,
            "array([True, False, True, ..., False, True, False], dtype=bool)",
        );
    }

    #[test]
    fn float32_simple() {
        // mx.array([1.5, 2.25, -3.0], dtype=mx.float32)
        check(
            &[3],
            Dtype::Float32,
            &[F(1.5), F(2.25), F(-3.0)],
            None,
            "array([1.5, 2.25, -3], dtype=float32)",
        );
    }

    #[test]
    fn float32_six_digits() {
        // mx.array([0.1, 0.3333333333, 3.14159265, 2.0 / 3.0], dtype=mx.float32)
        check(
            &[4],
            Dtype::Float32,
            &[
                F(0.10000000149011612),
                F(0.3333333432674408),
                F(3.1415927410125732),
                F(0.6666666865348816),
            ],
            None,
            "array([0.1, 0.333333, 3.14159, 0.666667], dtype=float32)",
        );
    }

    #[test]
    fn float32_scientific() {
        // mx.array([1e-07, 1e+20, 1234567.0, 0.00001234, 1e-5, 0.0001], dtype=mx.float32)
        check(
            &[6],
            Dtype::Float32,
            &[
                F(1.0000000116860974e-07),
                F(1.0000000200408773e+20),
                F(1234567.0),
                F(1.2339999557298142e-05),
                F(9.999999747378752e-06),
                F(9.999999747378752e-05),
            ],
            None,
            "array([1e-07, 1e+20, 1.23457e+06, 1.234e-05, 1e-05, 0.0001], dtype=float32)",
        );
    }

    #[test]
    fn float32_boundaries() {
        // mx.array([100000.0, 999999.0, 9999995.0, 123456.0, 1e16, -2.5e-38], dtype=mx.float32)
        check(
            &[6],
            Dtype::Float32,
            &[
                F(100000.0),
                F(999999.0),
                F(9999995.0),
                F(123456.0),
                F(1.0000000272564224e+16),
                F(-2.4999999777439474e-38),
            ],
            None,
            "array([100000, 999999, 1e+07, 123456, 1e+16, -2.5e-38], dtype=float32)",
        );
    }

    #[test]
    fn float32_nonfinite() {
        // mx.array([float('nan'), float('inf'), -float('inf')], dtype=mx.float32)
        check(
            &[3],
            Dtype::Float32,
            &[F(f64::NAN), F(f64::INFINITY), F(f64::NEG_INFINITY)],
            None,
            "array([nan, inf, -inf], dtype=float32)",
        );
    }

    #[test]
    fn float32_negative_nan() {
        // mx.array([-float('nan'), 1.0], dtype=mx.float32)
        check(
            &[2],
            Dtype::Float32,
            &[F(-f64::NAN), F(1.0)],
            None,
            "array([-nan, 1], dtype=float32)",
        );
    }

    #[test]
    fn float32_zeros() {
        // mx.array([0.0, -0.0, 1.0], dtype=mx.float32)
        check(
            &[3],
            Dtype::Float32,
            &[F(0.0), F(-0.0), F(1.0)],
            None,
            "array([0, -0, 1], dtype=float32)",
        );
    }

    #[test]
    fn float32_scalar() {
        // mx.array(1.5, dtype=mx.float32)
        check(
            &[],
            Dtype::Float32,
            &[F(1.5)],
            None,
            "array(1.5, dtype=float32)",
        );
    }

    #[test]
    fn float32_scalar_sci() {
        // mx.array(3e38, dtype=mx.float32)
        check(
            &[],
            Dtype::Float32,
            &[F(3.0000000054977558e+38)],
            None,
            "array(3e+38, dtype=float32)",
        );
    }

    #[test]
    fn float32_2d() {
        // mx.array([[1.0, 2.5], [-0.125, 1e10]], dtype=mx.float32)
        check(
            &[2, 2],
            Dtype::Float32,
            &[F(1.0), F(2.5), F(-0.125), F(10000000000.0)],
            None,
            "array([[1, 2.5],\n       [-0.125, 1e+10]], dtype=float32)",
        );
    }

    #[test]
    fn float64_digits() {
        // mx.array([0.1, 1e300, 1e-300, 2.0 / 3.0, 123456789.0], dtype=mx.float64)
        check(
            &[5],
            Dtype::Float64,
            &[
                F(0.1),
                F(1e+300),
                F(1e-300),
                F(0.6666666666666666),
                F(123456789.0),
            ],
            None,
            "array([0.1, 1e+300, 1e-300, 0.666667, 1.23457e+08], dtype=float64)",
        );
    }

    #[test]
    fn float64_scalar() {
        // mx.array(-0.000123456789, dtype=mx.float64)
        check(
            &[],
            Dtype::Float64,
            &[F(-0.000123456789)],
            None,
            "array(-0.000123457, dtype=float64)",
        );
    }

    #[test]
    fn float16_values() {
        // mx.array([0.1, 0.3333, 3.14159, 65504.0, 1e-5, -2.0], dtype=mx.float16)
        check(
            &[6],
            Dtype::Float16,
            &[
                F(0.0999755859375),
                F(0.333251953125),
                F(3.140625),
                F(65504.0),
                F(1.0013580322265625e-05),
                F(-2.0),
            ],
            None,
            "array([0.0999756, 0.333252, 3.14062, 65504, 1.00136e-05, -2], dtype=float16)",
        );
    }

    #[test]
    fn float16_overflow_inf() {
        // mx.array([70000.0, -70000.0], dtype=mx.float16)
        check(
            &[2],
            Dtype::Float16,
            &[F(f64::INFINITY), F(f64::NEG_INFINITY)],
            None,
            "array([inf, -inf], dtype=float16)",
        );
    }

    #[test]
    fn bfloat16_values() {
        // mx.array([0.1, 0.3333, 3.14159, 1234567.0, 1e-5, 1e30], dtype=mx.bfloat16)
        check(&[6], Dtype::Bfloat16, &[F(0.10009765625), F(0.333984375), F(3.140625), F(1236992.0), F(1.0013580322265625e-05), F(1.0002555517425873e+30)], None, "array([0.100098, 0.333984, 3.14062, 1.23699e+06, 1.00136e-05, 1.00026e+30], dtype=bfloat16)");
    }

    #[test]
    fn bfloat16_scalar() {
        // mx.array(2.5, dtype=mx.bfloat16)
        check(
            &[],
            Dtype::Bfloat16,
            &[F(2.5)],
            None,
            "array(2.5, dtype=bfloat16)",
        );
    }

    #[test]
    fn complex_basic() {
        // mx.array([1+2j, 1-2j, -1.5-0.5j], dtype=mx.complex64)
        check(
            &[3],
            Dtype::Complex64,
            &[C(1.0, 2.0), C(1.0, -2.0), C(-1.5, -0.5)],
            None,
            "array([1+2j, 1-2j, -1.5-0.5j], dtype=complex64)",
        );
    }

    #[test]
    fn complex_scalar() {
        // mx.array(3-4j, dtype=mx.complex64)
        check(
            &[],
            Dtype::Complex64,
            &[C(3.0, -4.0)],
            None,
            "array(3-4j, dtype=complex64)",
        );
    }

    #[test]
    fn complex_special() {
        // mx.array([complex(1, float('nan')), complex(float('inf'), -float('inf')), complex(0.0, -0.0)], dtype=mx.complex64)
        check(
            &[3],
            Dtype::Complex64,
            &[
                C(1.0, f64::NAN),
                C(f64::INFINITY, f64::NEG_INFINITY),
                C(0.0, -0.0),
            ],
            None,
            "array([1+nanj, inf-infj, 0+-0j], dtype=complex64)",
        );
    }

    #[test]
    fn complex_2d() {
        // mx.array([[1e-7+1e7j, 0.1j], [-2+0j, 1.25-0.3333333j]], dtype=mx.complex64)
        check(
            &[2, 2],
            Dtype::Complex64,
            &[
                C(1.0000000116860974e-07, 10000000.0),
                C(0.0, 0.10000000149011612),
                C(-2.0, 0.0),
                C(1.25, -0.3333333134651184),
            ],
            None,
            "array([[1e-07+1e+07j, 0+0.1j],\n       [-2+0j, 1.25-0.333333j]], dtype=complex64)",
        );
    }

    #[test]
    fn empty_1d() {
        // mx.zeros((0,))
        check(&[0], Dtype::Float32, &[], None, "array([], dtype=float32)");
    }

    #[test]
    fn empty_2_0() {
        // mx.zeros((2, 0))
        check(
            &[2, 0],
            Dtype::Float32,
            &[],
            None,
            "array([[],\n       []], dtype=float32)",
        );
    }

    #[test]
    fn empty_0_3() {
        // mx.zeros((0, 3))
        check(
            &[0, 3],
            Dtype::Float32,
            &[],
            None,
            "array([], dtype=float32)",
        );
    }

    #[test]
    fn empty_2_0_3() {
        // mx.zeros((2, 0, 3))
        check(
            &[2, 0, 3],
            Dtype::Float32,
            &[],
            None,
            "array([[],\n       []], dtype=float32)",
        );
    }

    #[test]
    fn empty_2_3_0() {
        // mx.zeros((2, 3, 0))
        check(&[2, 3, 0], Dtype::Float32, &[], None, "array([[[],\n        [],\n        []],\n       [[],\n        [],\n        []]], dtype=float32)");
    }

    #[test]
    fn empty_7_0_summarised() {
        // mx.zeros((7, 0))
        check(&[7, 0], Dtype::Float32, &[], None, "array([[],\n       [],\n       [],\n       ...,\n       [],\n       [],\n       []], dtype=float32)");
    }

    #[test]
    fn empty_0_0() {
        // mx.zeros((0, 0))
        check(
            &[0, 0],
            Dtype::Float32,
            &[],
            None,
            "array([], dtype=float32)",
        );
    }

    #[test]
    fn empty_int_list() {
        // mx.array([], dtype=mx.int32)
        check(&[0], Dtype::Int32, &[], None, "array([], dtype=int32)");
    }

    #[test]
    fn zeros_2d() {
        // mx.zeros((2, 3))
        check(
            &[2, 3],
            Dtype::Float32,
            &[F(0.0), F(0.0), F(0.0), F(0.0), F(0.0), F(0.0)],
            None,
            "array([[0, 0, 0],\n       [0, 0, 0]], dtype=float32)",
        );
    }

    #[test]
    fn arange_2d() {
        // mx.arange(6).reshape(2, 3)
        check_arange(
            &[2, 3],
            "array([[0, 1, 2],\n       [3, 4, 5]], dtype=int32)",
        );
    }

    #[test]
    fn arange_column() {
        // mx.arange(3).reshape(3, 1)
        check_arange(
            &[3, 1],
            "array([[0],\n       [1],\n       [2]], dtype=int32)",
        );
    }

    #[test]
    fn arange_1_1_1() {
        // mx.arange(1).reshape(1, 1, 1)
        check_arange(&[1, 1, 1], "array([[[0]]], dtype=int32)");
    }

    #[test]
    fn arange_3d() {
        // mx.arange(24).reshape(2, 3, 4)
        check_arange(&[2, 3, 4], "array([[[0, 1, 2, 3],\n        [4, 5, 6, 7],\n        [8, 9, 10, 11]],\n       [[12, 13, 14, 15],\n        [16, 17, 18, 19],\n        [20, 21, 22, 23]]], dtype=int32)");
    }

    #[test]
    fn arange_4d() {
        // mx.arange(16).reshape(2, 2, 2, 2)
        check_arange(&[2, 2, 2, 2], "array([[[[0, 1],\n         [2, 3]],\n        [[4, 5],\n         [6, 7]]],\n       [[[8, 9],\n         [10, 11]],\n        [[12, 13],\n         [14, 15]]]], dtype=int32)");
    }

    #[test]
    fn arange_5d() {
        // mx.arange(32).reshape(2, 2, 2, 2, 2)
        check_arange(&[2, 2, 2, 2, 2], "array([[[[[0, 1],\n          [2, 3]],\n         [[4, 5],\n          [6, 7]]],\n        [[[8, 9],\n          [10, 11]],\n         [[12, 13],\n          [14, 15]]]],\n       [[[[16, 17],\n          [18, 19]],\n         [[20, 21],\n          [22, 23]]],\n        [[[24, 25],\n          [26, 27]],\n         [[28, 29],\n          [30, 31]]]]], dtype=int32)");
    }

    #[test]
    fn arange_6_full() {
        // mx.arange(6)
        check_arange(&[6], "array([0, 1, 2, 3, 4, 5], dtype=int32)");
    }

    #[test]
    fn arange_7_summarised() {
        // mx.arange(7)
        check_arange(&[7], "array([0, 1, 2, ..., 4, 5, 6], dtype=int32)");
    }

    #[test]
    fn arange_2000() {
        // mx.arange(2000)
        check_arange(
            &[2000],
            "array([0, 1, 2, ..., 1997, 1998, 1999], dtype=int32)",
        );
    }

    #[test]
    fn arange_7x7() {
        // mx.arange(49).reshape(7, 7)
        check_arange(&[7, 7], "array([[0, 1, 2, ..., 4, 5, 6],\n       [7, 8, 9, ..., 11, 12, 13],\n       [14, 15, 16, ..., 18, 19, 20],\n       ...,\n       [28, 29, 30, ..., 32, 33, 34],\n       [35, 36, 37, ..., 39, 40, 41],\n       [42, 43, 44, ..., 46, 47, 48]], dtype=int32)");
    }

    #[test]
    fn arange_6x7() {
        // mx.arange(42).reshape(6, 7)
        check_arange(&[6, 7], "array([[0, 1, 2, ..., 4, 5, 6],\n       [7, 8, 9, ..., 11, 12, 13],\n       [14, 15, 16, ..., 18, 19, 20],\n       [21, 22, 23, ..., 25, 26, 27],\n       [28, 29, 30, ..., 32, 33, 34],\n       [35, 36, 37, ..., 39, 40, 41]], dtype=int32)");
    }

    #[test]
    fn arange_100x20() {
        // mx.arange(2000).reshape(100, 20)
        check_arange(&[100, 20], "array([[0, 1, 2, ..., 17, 18, 19],\n       [20, 21, 22, ..., 37, 38, 39],\n       [40, 41, 42, ..., 57, 58, 59],\n       ...,\n       [1940, 1941, 1942, ..., 1957, 1958, 1959],\n       [1960, 1961, 1962, ..., 1977, 1978, 1979],\n       [1980, 1981, 1982, ..., 1997, 1998, 1999]], dtype=int32)");
    }

    #[test]
    fn arange_8x3x8() {
        // mx.arange(192).reshape(8, 3, 8)
        check_arange(&[8, 3, 8], "array([[[0, 1, 2, ..., 5, 6, 7],\n        [8, 9, 10, ..., 13, 14, 15],\n        [16, 17, 18, ..., 21, 22, 23]],\n       [[24, 25, 26, ..., 29, 30, 31],\n        [32, 33, 34, ..., 37, 38, 39],\n        [40, 41, 42, ..., 45, 46, 47]],\n       [[48, 49, 50, ..., 53, 54, 55],\n        [56, 57, 58, ..., 61, 62, 63],\n        [64, 65, 66, ..., 69, 70, 71]],\n       ...,\n       [[120, 121, 122, ..., 125, 126, 127],\n        [128, 129, 130, ..., 133, 134, 135],\n        [136, 137, 138, ..., 141, 142, 143]],\n       [[144, 145, 146, ..., 149, 150, 151],\n        [152, 153, 154, ..., 157, 158, 159],\n        [160, 161, 162, ..., 165, 166, 167]],\n       [[168, 169, 170, ..., 173, 174, 175],\n        [176, 177, 178, ..., 181, 182, 183],\n        [184, 185, 186, ..., 189, 190, 191]]], dtype=int32)");
    }

    #[test]
    fn arange_2x7x2() {
        // mx.arange(28).reshape(2, 7, 2)
        check_arange(&[2, 7, 2], "array([[[0, 1],\n        [2, 3],\n        [4, 5],\n        ...,\n        [8, 9],\n        [10, 11],\n        [12, 13]],\n       [[14, 15],\n        [16, 17],\n        [18, 19],\n        ...,\n        [22, 23],\n        [24, 25],\n        [26, 27]]], dtype=int32)");
    }

    #[test]
    fn arange_7x1x1x7() {
        // mx.arange(49).reshape(7, 1, 1, 7)
        check_arange(&[7, 1, 1, 7], "array([[[[0, 1, 2, ..., 4, 5, 6]]],\n       [[[7, 8, 9, ..., 11, 12, 13]]],\n       [[[14, 15, 16, ..., 18, 19, 20]]],\n       ...,\n       [[[28, 29, 30, ..., 32, 33, 34]]],\n       [[[35, 36, 37, ..., 39, 40, 41]]],\n       [[[42, 43, 44, ..., 46, 47, 48]]]], dtype=int32)");
    }

    #[test]
    fn arange_1000x1000() {
        // mx.arange(1000000).reshape(1000, 1000)
        check_arange(&[1000, 1000], "array([[0, 1, 2, ..., 997, 998, 999],\n       [1000, 1001, 1002, ..., 1997, 1998, 1999],\n       [2000, 2001, 2002, ..., 2997, 2998, 2999],\n       ...,\n       [997000, 997001, 997002, ..., 997997, 997998, 997999],\n       [998000, 998001, 998002, ..., 998997, 998998, 998999],\n       [999000, 999001, 999002, ..., 999997, 999998, 999999]], dtype=int32)");
    }

    #[test]
    fn float32_summarised() {
        // mx.array([1.5, 1e-7, 1e20, 123456789.0, float('nan'), float('inf'), -float('inf')], dtype=mx.float32)
        check(
            &[7],
            Dtype::Float32,
            &[
                F(1.5),
                F(1.0000000116860974e-07),
                F(1.0000000200408773e+20),
                F(123456792.0),
                F(f64::NAN),
                F(f64::INFINITY),
                F(f64::NEG_INFINITY),
            ],
            None,
            "array([1.5, 1e-07, 1e+20, ..., nan, inf, -inf], dtype=float32)",
        );
    }

    #[test]
    fn precision_3() {
        // mx.array([1.5, 1e-7, 1e20, float('nan'), -float('inf'), -0.0], dtype=mx.float32)
        check(
            &[6],
            Dtype::Float32,
            &[
                F(1.5),
                F(1.0000000116860974e-07),
                F(1.0000000200408773e+20),
                F(f64::NAN),
                F(f64::NEG_INFINITY),
                F(-0.0),
            ],
            Some(3),
            "array([1.500, 0.000, 100000002004087734272.000, nan, -inf, -0.000], dtype=float32)",
        );
    }

    #[test]
    fn precision_0_half_even() {
        // mx.array([1.5, 2.5, -0.4, 0.5], dtype=mx.float32)
        check(
            &[4],
            Dtype::Float32,
            &[F(1.5), F(2.5), F(-0.4000000059604645), F(0.5)],
            Some(0),
            "array([2, 2, -0, 0], dtype=float32)",
        );
    }

    #[test]
    fn precision_1() {
        // mx.array([0.05, 0.15, 0.25, -2.0 / 3.0], dtype=mx.float32)
        check(
            &[4],
            Dtype::Float32,
            &[
                F(0.05000000074505806),
                F(0.15000000596046448),
                F(0.25),
                F(-0.6666666865348816),
            ],
            Some(1),
            "array([0.1, 0.2, 0.2, -0.7], dtype=float32)",
        );
    }

    #[test]
    fn precision_10() {
        // mx.array([0.1, 2.0 / 3.0, 123456789.0], dtype=mx.float32)
        check(
            &[3],
            Dtype::Float32,
            &[
                F(0.10000000149011612),
                F(0.6666666865348816),
                F(123456792.0),
            ],
            Some(10),
            "array([0.1000000015, 0.6666666865, 123456792.0000000000], dtype=float32)",
        );
    }

    #[test]
    fn precision_20_float64() {
        // mx.array([0.1, 2.0 / 3.0], dtype=mx.float64)
        check(
            &[2],
            Dtype::Float64,
            &[F(0.1), F(0.6666666666666666)],
            Some(20),
            "array([0.10000000000000000555, 0.66666666666666662966], dtype=float64)",
        );
    }

    #[test]
    fn precision_negative_means_6() {
        // mx.array([1.5, 0.1, -2.0 / 3.0], dtype=mx.float32)
        check(
            &[3],
            Dtype::Float32,
            &[F(1.5), F(0.10000000149011612), F(-0.6666666865348816)],
            Some(-2),
            "array([1.500000, 0.100000, -0.666667], dtype=float32)",
        );
    }

    #[test]
    fn precision_complex() {
        // mx.array([1+2j, 1-2j, complex(1, float('nan')), complex(0, -0.0)], dtype=mx.complex64)
        check(
            &[4],
            Dtype::Complex64,
            &[C(1.0, 2.0), C(1.0, -2.0), C(1.0, f64::NAN), C(0.0, -0.0)],
            Some(3),
            "array([1.000+2.000j, 1.000-2.000j, 1.000+nanj, 0.000+-0.000j], dtype=complex64)",
        );
    }

    #[test]
    fn precision_float16() {
        // mx.array([1.23456, 1000.0], dtype=mx.float16)
        check(
            &[2],
            Dtype::Float16,
            &[F(1.234375), F(1000.0)],
            Some(3),
            "array([1.234, 1000.000], dtype=float16)",
        );
    }

    #[test]
    fn precision_bfloat16_scalar() {
        // mx.array(1.23456, dtype=mx.bfloat16)
        check(
            &[],
            Dtype::Bfloat16,
            &[F(1.234375)],
            Some(2),
            "array(1.23, dtype=bfloat16)",
        );
    }

    #[test]
    fn precision_ints_bools_unaffected() {
        // mx.array([1, -2, 3], dtype=mx.int32)
        check(
            &[3],
            Dtype::Int32,
            &[I(1), I(-2), I(3)],
            Some(3),
            "array([1, -2, 3], dtype=int32)",
        );
    }

    #[test]
    fn precision_2d_summarised() {
        // mx.array([[0.5, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13.125]], dtype=mx.float32)
        check(&[2, 7], Dtype::Float32, &[F(0.5), F(1.0), F(2.0), F(3.0), F(4.0), F(5.0), F(6.0), F(7.0), F(8.0), F(9.0), F(10.0), F(11.0), F(12.0), F(13.125)], Some(2), "array([[0.50, 1.00, 2.00, ..., 4.00, 5.00, 6.00],\n       [7.00, 8.00, 9.00, ..., 11.00, 12.00, 13.12]], dtype=float32)");
    }
}
