//! The algorithms behind the sort family's CPU kernels, on unsigned integer
//! keys:
//!
//! - order-preserving key codecs for every dtype ([`Codec`]): MLX's order
//!   (NaNs last and equal to each other, `-0.0 == 0.0`, complex numbers
//!   lexicographic by real then imaginary part, NaN in either part last)
//!   becomes plain unsigned comparison of keys, and equal keys mean equal
//!   under MLX's comparator;
//! - a stable LSD radix sort ([`radix_sort_map`]) on any bit range of an
//!   item, whose last pass writes the result through a map;
//! - a replica of libstdc++'s `std::nth_element` (introselect with
//!   median-of-three pivots, heap-select fallback, insertion sort at the
//!   leaves), so that `partition`, `argpartition` and `topk` leave elements
//!   in exactly the order MLX's CPU backend (which calls `std::nth_element`)
//!   leaves them.

use std::fmt::Debug;

/// An unsigned sort key.
pub trait Key: Item {
    /// Key width in bits.
    const BITS: u32;
    /// The key with a 32-bit payload (an index) below it.
    type Packed: Item;
    /// `(key << 32) | idx`: ordering packed items orders by key, then index.
    fn pack(self, idx: u32) -> Self::Packed;
    /// The key of a packed item.
    fn unpack(p: Self::Packed) -> Self;
}

/// Something the radix sort moves: an unsigned integer whose bit ranges are
/// its digits.
pub trait Item:
    Copy
    + Ord
    + Default
    + Send
    + Sync
    + Debug
    + 'static
    + std::ops::BitAnd<Output = Self>
    + std::ops::BitOr<Output = Self>
    + std::ops::BitXor<Output = Self>
{
    /// `(self >> shift)` truncated to `usize`.
    fn shr(self, shift: u32) -> usize;
    /// The low 32 bits (a packed item's index).
    fn low32(self) -> u32;
}

macro_rules! item {
    ($($t:ty),*) => {$(
        impl Item for $t {
            #[inline(always)]
            fn shr(self, shift: u32) -> usize {
                (self >> shift) as usize
            }
            #[inline(always)]
            fn low32(self) -> u32 {
                self as u32
            }
        }
    )*};
}
item!(u8, u16, u32, u64, u128);

macro_rules! key {
    ($t:ty, $p:ty) => {
        impl Key for $t {
            const BITS: u32 = <$t>::BITS;
            type Packed = $p;
            #[inline(always)]
            fn pack(self, idx: u32) -> $p {
                ((self as $p) << 32) | idx as $p
            }
            #[inline(always)]
            fn unpack(p: $p) -> $t {
                (p >> 32) as $t
            }
        }
    };
}
key!(u8, u64);
key!(u16, u64);
key!(u32, u64);
key!(u64, u128);

/// The class of an element for the sort kernels' fix-up of values whose
/// bits differ from their key's canonical value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Class {
    /// Any other value (its key decodes to its own bits).
    Plain,
    /// `+0.0` or `-0.0`.
    Zero,
    /// Any NaN.
    Nan,
}

/// Maps the raw bits of one dtype's elements to order-preserving keys of
/// the same width.
pub trait Codec: Send + Sync + 'static {
    /// The key (and raw element) type.
    type K: Key;
    /// The key of NaN, for types with NaNs (every NaN has this key, the
    /// largest of all keys).
    const NAN: Option<Self::K>;
    /// Whether keys cannot be decoded (complex: sort through indices).
    const GATHER: bool = false;
    /// The key of `raw`, and whether `raw` differs from the canonical value
    /// of its key (`-0.0`, a NaN other than the canonical quiet NaN).
    fn key(raw: Self::K) -> (Self::K, bool);
    /// The canonical raw bits of a key.
    fn unkey(k: Self::K) -> Self::K;
    /// `raw`'s class (only consulted when [`Codec::key`] said "differs").
    fn class(raw: Self::K) -> Class {
        let _ = raw;
        Class::Plain
    }
    /// The key shared by `+0.0` and `-0.0` (floats only).
    fn zero_key() -> Self::K {
        Self::K::default()
    }
}

/// Unsigned integers and bool: the bits are the key.
pub struct Unsigned<K>(std::marker::PhantomData<K>);

impl<K: Key> Codec for Unsigned<K> {
    type K = K;
    const NAN: Option<K> = None;
    #[inline(always)]
    fn key(raw: K) -> (K, bool) {
        (raw, false)
    }
    #[inline(always)]
    fn unkey(k: K) -> K {
        k
    }
}

macro_rules! signed_codec {
    ($name:ident, $k:ty) => {
        /// Two's-complement integers: the sign bit flipped.
        pub struct $name;
        impl Codec for $name {
            type K = $k;
            const NAN: Option<$k> = None;
            #[inline(always)]
            fn key(raw: $k) -> ($k, bool) {
                (raw ^ (1 << (<$k>::BITS - 1)), false)
            }
            #[inline(always)]
            fn unkey(k: $k) -> $k {
                k ^ (1 << (<$k>::BITS - 1))
            }
        }
    };
}
signed_codec!(I8, u8);
signed_codec!(I16, u16);
signed_codec!(I32, u32);
signed_codec!(I64, u64);

macro_rules! float_codec {
    ($name:ident, $k:ty, $s:ty, $inf:expr, $qnan:expr) => {
        /// IEEE floats: negative values bit-inverted, positive ones with the
        /// sign bit set; `-0.0` keyed as `+0.0` and every NaN as the
        /// canonical quiet NaN (above `+inf`).
        pub struct $name;
        impl $name {
            const SIGN: $k = 1 << (<$k>::BITS - 1);
            const ABS: $k = !Self::SIGN;
        }
        impl Codec for $name {
            type K = $k;
            const NAN: Option<$k> = Some($qnan | Self::SIGN);
            #[inline(always)]
            fn key(b: $k) -> ($k, bool) {
                let a = b & Self::ABS;
                let flip = (((b as $s) >> (<$k>::BITS - 1)) as $k) | Self::SIGN;
                let z = a == 0;
                let nan = a > $inf;
                let mut k = b ^ flip;
                k = if z { Self::SIGN } else { k };
                k = if nan { $qnan | Self::SIGN } else { k };
                (k, (z & (b != 0)) | (nan & (b != $qnan)))
            }
            #[inline(always)]
            fn unkey(k: $k) -> $k {
                k ^ ((((k ^ Self::SIGN) as $s) >> (<$k>::BITS - 1)) as $k | Self::SIGN)
            }
            #[inline(always)]
            fn class(b: $k) -> Class {
                let a = b & Self::ABS;
                if a == 0 {
                    Class::Zero
                } else if a > $inf {
                    Class::Nan
                } else {
                    Class::Plain
                }
            }
            fn zero_key() -> $k {
                Self::SIGN
            }
        }
    };
}
float_codec!(F16, u16, i16, 0x7C00, 0x7E00);
float_codec!(Bf16, u16, i16, 0x7F80, 0x7FC0);
float_codec!(F32, u32, i32, 0x7F80_0000, 0x7FC0_0000);
float_codec!(F64, u64, i64, 0x7FF0_0000_0000_0000, 0x7FF8_0000_0000_0000);

/// complex64 (real part in the low 32 bits): the real part's key above the
/// imaginary part's; NaN in either part gives the largest key.
pub struct C64;

impl Codec for C64 {
    type K = u64;
    const NAN: Option<u64> = Some(u64::MAX);
    const GATHER: bool = true;
    #[inline(always)]
    fn key(raw: u64) -> (u64, bool) {
        let (re, ro) = F32::key(raw as u32);
        let (im, io) = F32::key((raw >> 32) as u32);
        let nan =
            F32::class(raw as u32) == Class::Nan || F32::class((raw >> 32) as u32) == Class::Nan;
        if nan {
            (u64::MAX, true)
        } else {
            (((re as u64) << 32) | im as u64, ro | io)
        }
    }
    fn unkey(k: u64) -> u64 {
        // Not used: complex rows are sorted through their indices.
        k
    }
}

/// Rows shorter than this are sorted by comparison, longer ones by radix.
pub const RADIX_MIN: usize = 256;

/// Items from which one radix sort splits its passes across cores.
pub const PAR_MIN: usize = 1 << 17;

/// A pointer that worker threads may share; the radix passes give each
/// worker disjoint destination slots.
struct Shared<T>(*mut T);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Shared<T> {}
// SAFETY: see the type doc.
unsafe impl<T> Send for Shared<T> {}
unsafe impl<T> Sync for Shared<T> {}

impl<T> Shared<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

/// Runs `f(0) .. f(t - 1)` on the rayon pool (inline when `t == 1`).
fn for_workers(t: usize, f: impl Fn(usize) + Sync) {
    if t == 1 {
        f(0);
        return;
    }
    rayon::scope(|s| {
        let f = &f;
        for c in 1..t {
            s.spawn(move |_| f(c));
        }
        f(0);
    });
}

/// Runs `f(start, end)` over `0..n` split among the workers when `n` is
/// large.
fn for_range(n: usize, f: impl Fn(usize, usize) + Sync) {
    let t = workers(n);
    let len = n.div_ceil(t);
    for_workers(t, |c| f((c * len).min(n), ((c + 1) * len).min(n)));
}

/// How many workers share `n` items.
fn workers(n: usize) -> usize {
    if n >= PAR_MIN {
        rayon::current_num_threads().clamp(1, 64)
    } else {
        1
    }
}

/// Sorts the `n` items at `a` by bits `[shift, shift + bits)`, stably,
/// using `b` (room for `n` items, possibly uninitialised) as scratch;
/// digits on which all items agree are skipped, and large inputs split
/// every pass across cores. Returns whether the result is in `b` (then all
/// `n` items of `b` have been written).
///
/// # Safety
/// `a` holds `n` initialised items and `b` has room for `n`; they do not
/// overlap.
pub unsafe fn radix_sort<P: Item>(a: *mut P, b: *mut P, n: usize, shift: u32, bits: u32) -> bool {
    debug_assert!(n <= u32::MAX as usize);
    let w = if bits <= 8 {
        bits
    } else if bits >= 32 && n >= 1 << 16 {
        11
    } else {
        8
    };
    let passes = bits.div_ceil(w) as usize;
    let nb = 1usize << w;
    let mask = nb - 1;
    let t = workers(n);
    let (pa, pb) = (Shared(a), Shared(b));
    if t == 1 {
        // One read counts every digit.
        let mut hist = vec![0u32; passes * nb];
        for i in 0..n {
            let x = *a.add(i);
            for p in 0..passes {
                *hist.get_unchecked_mut(p * nb + (x.shr(shift + p as u32 * w) & mask)) += 1;
            }
        }
        let mut in_b = false;
        for p in 0..passes {
            let h = &mut hist[p * nb..(p + 1) * nb];
            if h.iter().any(|&c| c as usize == n) {
                continue;
            }
            let mut sum = 0u32;
            for c in h.iter_mut() {
                let x = *c;
                *c = sum;
                sum += x;
            }
            let (src, dst) = if in_b { (pb, pa) } else { (pa, pb) };
            let sh = shift + p as u32 * w;
            for i in 0..n {
                let x = *src.get().add(i);
                let slot = h.get_unchecked_mut(x.shr(sh) & mask);
                *dst.get().add(*slot as usize) = x;
                *slot += 1;
            }
            in_b = !in_b;
        }
        return in_b;
    }
    let len = n.div_ceil(t);
    let chunk = move |c: usize| ((c * len).min(n), ((c + 1) * len).min(n));
    // counts[c * nb + d]: items of worker c's chunk with digit d; turned
    // into worker c's first destination slot for digit d.
    let mut counts = vec![0u32; t * nb];
    let cp = Shared(counts.as_mut_ptr());
    let mut in_b = false;
    for p in 0..passes {
        let sh = shift + p as u32 * w;
        let (src, dst) = if in_b { (pb, pa) } else { (pa, pb) };
        for_workers(t, |c| {
            let (s, e) = chunk(c);
            // SAFETY: worker c owns row c of counts and reads its chunk.
            unsafe {
                let h = std::slice::from_raw_parts_mut(cp.get().add(c * nb), nb);
                h.fill(0);
                for i in s..e {
                    *h.get_unchecked_mut((*src.get().add(i)).shr(sh) & mask) += 1;
                }
            }
        });
        let mut sum = 0u32;
        let mut trivial = false;
        for d in 0..nb {
            let before = sum;
            for c in 0..t {
                let x = counts[c * nb + d];
                counts[c * nb + d] = sum;
                sum += x;
            }
            trivial |= (sum - before) as usize == n;
        }
        if trivial {
            continue;
        }
        for_workers(t, |c| {
            let (s, e) = chunk(c);
            // SAFETY: the slots of worker c's digits are disjoint from every
            // other worker's and below n.
            unsafe {
                let h = std::slice::from_raw_parts_mut(cp.get().add(c * nb), nb);
                for i in s..e {
                    let x = *src.get().add(i);
                    let slot = h.get_unchecked_mut(x.shr(sh) & mask);
                    *dst.get().add(*slot as usize) = x;
                    *slot += 1;
                }
            }
        });
        in_b = !in_b;
    }
    in_b
}

/// Sorts the items of `a` (compared whole) and writes `map(item)` for the
/// sorted items to `out` with stride `os`: radix on bits `[shift, shift +
/// bits)` (which must hold every difference between items), or a
/// comparison sort for short inputs. `b` is scratch; sorting and writing
/// split across cores for large inputs.
///
/// # Safety
/// `out` addresses `a.len()` elements with stride `os`.
pub unsafe fn sort_map<P: Item, T>(
    a: &mut [P],
    b: &mut Vec<P>,
    shift: u32,
    bits: u32,
    out: *mut T,
    os: isize,
    map: impl Fn(P) -> T + Sync,
) {
    let n = a.len();
    b.clear();
    let sorted: &[P] = if n < RADIX_MIN {
        a.sort_unstable();
        a
    } else {
        b.reserve(n);
        if radix_sort(a.as_mut_ptr(), b.as_mut_ptr(), n, shift, bits) {
            // SAFETY: the sort wrote all n items of b.
            b.set_len(n);
            b
        } else {
            a
        }
    };
    let out = Shared(out);
    for_range(n, |s, e| {
        if os == 1 {
            // SAFETY: out addresses n contiguous elements.
            let o = unsafe { std::slice::from_raw_parts_mut(out.get().add(s), e - s) };
            for (o, &x) in o.iter_mut().zip(&sorted[s..e]) {
                *o = map(x);
            }
        } else {
            for (i, &x) in sorted[s..e].iter().enumerate() {
                // SAFETY: s + i < n.
                unsafe { *out.get().offset((s + i) as isize * os) = map(x) };
            }
        }
    });
}

/// libstdc++'s `std::nth_element(v.begin(), v.begin() + nth, v.end(), less)`,
/// step for step: the same comparisons and swaps, hence the same final order.
/// `less` must be a strict weak order.
pub fn nth_element<E: Copy>(v: &mut [E], nth: usize, less: impl Fn(&E, &E) -> bool) {
    let n = v.len();
    if n == 0 || nth >= n {
        return;
    }
    let (mut first, mut last) = (0usize, n);
    let mut depth = 2 * (usize::BITS - 1 - n.leading_zeros());
    while last - first > 3 {
        if depth == 0 {
            heap_select(v, first, nth + 1, last, &less);
            v.swap(first, nth);
            return;
        }
        depth -= 1;
        let mid = first + (last - first) / 2;
        move_median_to_first(v, first, first + 1, mid, last - 1, &less);
        let cut = unguarded_partition(v, first + 1, last, first, &less);
        if cut <= nth {
            first = cut;
        } else {
            last = cut;
        }
    }
    insertion_sort(v, first, last, &less);
}

fn move_median_to_first<E: Copy>(
    v: &mut [E],
    r: usize,
    a: usize,
    b: usize,
    c: usize,
    less: &impl Fn(&E, &E) -> bool,
) {
    let m = if less(&v[a], &v[b]) {
        if less(&v[b], &v[c]) {
            b
        } else if less(&v[a], &v[c]) {
            c
        } else {
            a
        }
    } else if less(&v[a], &v[c]) {
        a
    } else if less(&v[b], &v[c]) {
        c
    } else {
        b
    };
    v.swap(r, m);
}

fn unguarded_partition<E: Copy>(
    v: &mut [E],
    mut first: usize,
    mut last: usize,
    pivot: usize,
    less: &impl Fn(&E, &E) -> bool,
) -> usize {
    let p = v[pivot];
    loop {
        while less(&v[first], &p) {
            first += 1;
        }
        last -= 1;
        while less(&p, &v[last]) {
            last -= 1;
        }
        if first >= last {
            return first;
        }
        v.swap(first, last);
        first += 1;
    }
}

fn insertion_sort<E: Copy>(v: &mut [E], first: usize, last: usize, less: &impl Fn(&E, &E) -> bool) {
    if first == last {
        return;
    }
    for i in first + 1..last {
        let val = v[i];
        if less(&val, &v[first]) {
            v.copy_within(first..i, first + 1);
            v[first] = val;
        } else {
            let mut hole = i;
            while less(&val, &v[hole - 1]) {
                v[hole] = v[hole - 1];
                hole -= 1;
            }
            v[hole] = val;
        }
    }
}

fn push_heap<E: Copy>(
    v: &mut [E],
    first: usize,
    mut hole: usize,
    top: usize,
    val: E,
    less: &impl Fn(&E, &E) -> bool,
) {
    while hole > top {
        let parent = (hole - 1) / 2;
        if !less(&v[first + parent], &val) {
            break;
        }
        v[first + hole] = v[first + parent];
        hole = parent;
    }
    v[first + hole] = val;
}

fn adjust_heap<E: Copy>(
    v: &mut [E],
    first: usize,
    mut hole: usize,
    len: usize,
    val: E,
    less: &impl Fn(&E, &E) -> bool,
) {
    let top = hole;
    let mut child = hole;
    while child < (len.saturating_sub(1)) / 2 {
        child = 2 * (child + 1);
        if less(&v[first + child], &v[first + child - 1]) {
            child -= 1;
        }
        v[first + hole] = v[first + child];
        hole = child;
    }
    if len & 1 == 0 && len >= 2 && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        v[first + hole] = v[first + child - 1];
        hole = child - 1;
    }
    push_heap(v, first, hole, top, val, less);
}

fn heap_select<E: Copy>(
    v: &mut [E],
    first: usize,
    middle: usize,
    last: usize,
    less: &impl Fn(&E, &E) -> bool,
) {
    let len = middle - first;
    if len >= 2 {
        let mut parent = (len - 2) / 2;
        loop {
            let val = v[first + parent];
            adjust_heap(v, first, parent, len, val, less);
            if parent == 0 {
                break;
            }
            parent -= 1;
        }
    }
    for i in middle..last {
        if less(&v[i], &v[first]) {
            let val = v[i];
            v[i] = v[first];
            adjust_heap(v, first, 0, len, val, less);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_keys_order() {
        let vals = [
            f32::NEG_INFINITY,
            -1.5,
            -f32::MIN_POSITIVE,
            0.0,
            f32::MIN_POSITIVE,
            2.0,
            f32::INFINITY,
        ];
        let keys: Vec<u32> = vals.iter().map(|v| F32::key(v.to_bits()).0).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for (v, k) in vals.iter().zip(&keys) {
            assert_eq!(F32::unkey(*k), v.to_bits());
        }
        assert_eq!(F32::key((-0.0f32).to_bits()), (F32::zero_key(), true));
        assert_eq!(F32::key(f32::NAN.to_bits()).0, F32::NAN.unwrap());
        assert_eq!(F32::key((-f32::NAN).to_bits()), (F32::NAN.unwrap(), true));
        assert_eq!(F32::unkey(F32::NAN.unwrap()), 0x7FC0_0000);
    }

    #[test]
    fn radix_is_stable_and_sorted() {
        let mut s = 12345u64;
        let a: Vec<u64> = (0..5000u32)
            .map(|i| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as u32 % 97).pack(i)
            })
            .collect();
        let mut expect = a.clone();
        expect.sort();
        let mut b = Vec::new();
        let mut r = vec![0u64; a.len()];
        let mut a2 = a.clone();
        unsafe { sort_map(&mut a2, &mut b, 32, 32, r.as_mut_ptr(), 1, |x| x) };
        assert_eq!(r, expect);
        // The parallel path, on keys alone, written in reverse through the
        // output stride.
        let k: Vec<u32> = (0..(PAR_MIN as u32 * 3 + 7))
            .map(|i| i.wrapping_mul(2654435761) >> 3)
            .collect();
        let mut expect = k.clone();
        expect.sort();
        let mut kb = Vec::new();
        let mut r = vec![0u32; k.len()];
        let end = r.as_mut_ptr().wrapping_add(r.len() - 1);
        unsafe { sort_map(&mut k.clone(), &mut kb, 0, 32, end, -1, |x| x) };
        r.reverse();
        assert_eq!(r, expect);
        // Items that agree on every digit.
        let mut same = vec![7u32; 1000];
        unsafe { sort_map(&mut same, &mut kb, 0, 32, r.as_mut_ptr(), 1, |x| x + 1) };
        assert!(r[..1000].iter().all(|&x| x == 8));
        // Small whole floats: the low digits are constant (skipped passes).
        let mut fl: Vec<u32> = (0..300_000u32)
            .map(|i| F32::key((((i * 7919) % 1000) as f32).to_bits()).0)
            .collect();
        let mut expect = fl.clone();
        expect.sort();
        let mut r = vec![0u32; fl.len()];
        unsafe { sort_map(&mut fl, &mut kb, 0, 32, r.as_mut_ptr(), 1, |x| x) };
        assert_eq!(r, expect);
    }

    #[test]
    fn nth_element_partitions() {
        let mut s = 7u64;
        for n in [1usize, 2, 3, 4, 5, 17, 100, 1000] {
            for k in [0, n / 2, n - 1] {
                let mut v: Vec<u32> = (0..n)
                    .map(|_| {
                        s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (s >> 50) as u32
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort();
                nth_element(&mut v, k, |a, b| a < b);
                assert_eq!(v[k], sorted[k]);
                assert!(v[..k].iter().all(|&x| x <= v[k]));
                assert!(v[k..].iter().all(|&x| x >= v[k]));
            }
        }
    }
}
