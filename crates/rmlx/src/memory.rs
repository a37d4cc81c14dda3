//! The allocator: 64-byte aligned buffers, a size-bucketed cache of freed
//! buffers (so loops that allocate the same sizes never touch the system
//! allocator or fault fresh pages), and MLX's memory statistics and limits.

use std::alloc::{alloc, dealloc, Layout};
use std::collections::BTreeMap;
use std::ptr::NonNull;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Alignment of every buffer: one AVX-512 register, one cache line.
pub const ALIGN: usize = 64;

/// A block of raw bytes owned by an array's data. Dropping it returns the
/// block to the cache (or the system when the cache is full).
pub struct Buffer {
    ptr: NonNull<u8>,
    capacity: usize,
}

// SAFETY: a Buffer is plain owned memory; synchronisation of its contents is
// the graph's job (a buffer is written only by the kernel producing it).
unsafe impl Send for Buffer {}
unsafe impl Sync for Buffer {}

impl Buffer {
    /// Allocates `bytes` bytes (uninitialised), from the cache when possible.
    pub fn new(bytes: usize) -> Result<Buffer> {
        let capacity = size_class(bytes);
        if capacity == 0 {
            return Ok(Buffer {
                ptr: NonNull::<u64>::dangling().cast(),
                capacity: 0,
            });
        }
        let mut st = state();
        let cached = st.cache.get_mut(&capacity).and_then(|v| v.pop());
        let ptr = match cached {
            Some(p) => {
                st.cache_bytes -= capacity;
                p.0
            }
            None => {
                if st.active + capacity > st.memory_limit {
                    // Free cached blocks first; fail only if that is not enough.
                    st.clear_cache();
                    if st.active + capacity > st.memory_limit {
                        return Err(Error::memory(format!(
                            "[malloc] Attempting to allocate {bytes} bytes which is greater than the \
                             memory limit of {} bytes ({} bytes in use).",
                            st.memory_limit, st.active
                        )));
                    }
                }
                drop(st);
                let layout = Layout::from_size_align(capacity, ALIGN).map_err(|_| {
                    Error::memory(format!("[malloc] cannot allocate {bytes} bytes"))
                })?;
                // SAFETY: layout has non-zero size.
                let p = unsafe { alloc(layout) };
                let p = NonNull::new(p).ok_or_else(|| {
                    Error::memory(format!("[malloc] out of memory allocating {bytes} bytes"))
                })?;
                st = STATE.lock().unwrap_or_else(|e| e.into_inner());
                p
            }
        };
        st.active += capacity;
        st.peak = st.peak.max(st.active);
        Ok(Buffer { ptr, capacity })
    }

    /// Allocates `bytes` zeroed bytes.
    pub fn zeroed(bytes: usize) -> Result<Buffer> {
        let b = Buffer::new(bytes)?;
        // SAFETY: the block holds at least `bytes` bytes.
        unsafe { std::ptr::write_bytes(b.ptr.as_ptr(), 0, bytes) };
        Ok(b)
    }

    /// Start of the block.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Usable bytes (the size class, at least what was asked for).
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if self.capacity == 0 {
            return;
        }
        let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
        st.active -= self.capacity;
        if st.cache_bytes + self.capacity <= st.cache_limit {
            st.cache_bytes += self.capacity;
            st.cache
                .entry(self.capacity)
                .or_default()
                .push(SendPtr(self.ptr));
        } else {
            drop(st);
            free_block(self.ptr, self.capacity);
        }
    }
}

fn free_block(ptr: NonNull<u8>, capacity: usize) {
    // SAFETY: allocated in Buffer::new with this exact layout.
    unsafe {
        dealloc(
            ptr.as_ptr(),
            Layout::from_size_align_unchecked(capacity, ALIGN),
        )
    }
}

/// Rounds a request up to its bucket: multiples of 64 bytes up to 4 KiB,
/// then eight classes per power of two (at most 12.5% slack), so that
/// buffers of nearby sizes share cache entries.
fn size_class(bytes: usize) -> usize {
    if bytes == 0 {
        return 0;
    }
    if bytes <= 4096 {
        return bytes.div_ceil(ALIGN) * ALIGN;
    }
    let top = usize::BITS - 1 - bytes.leading_zeros();
    let step = 1usize << (top - 3);
    bytes.div_ceil(step) * step
}

struct SendPtr(NonNull<u8>);
// SAFETY: cached blocks are unused memory.
unsafe impl Send for SendPtr {}

struct State {
    active: usize,
    peak: usize,
    cache_bytes: usize,
    cache_limit: usize,
    memory_limit: usize,
    cache: BTreeMap<usize, Vec<SendPtr>>,
}

impl State {
    fn clear_cache(&mut self) {
        for (cap, ptrs) in std::mem::take(&mut self.cache) {
            for p in ptrs {
                free_block(p.0, cap);
            }
        }
        self.cache_bytes = 0;
    }
}

static STATE: Mutex<State> = Mutex::new(State {
    active: 0,
    peak: 0,
    cache_bytes: 0,
    cache_limit: usize::MAX,
    memory_limit: usize::MAX,
    cache: BTreeMap::new(),
});

fn state() -> std::sync::MutexGuard<'static, State> {
    let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
    if st.memory_limit == usize::MAX {
        st.memory_limit = default_memory_limit();
        st.cache_limit = st.memory_limit;
    }
    st
}

/// 1.5x physical memory, like MLX's recommended working-set limit.
fn default_memory_limit() -> usize {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|k| k.parse::<usize>().ok())
                })
        })
        .map(|kib| kib * 1024)
        .unwrap_or(16 << 30);
    total / 2 * 3
}

/// Bytes held by live arrays (MLX `get_active_memory`).
pub fn active_memory() -> usize {
    state().active
}

/// Highest active memory since start or the last reset (MLX `get_peak_memory`).
pub fn peak_memory() -> usize {
    state().peak
}

/// Resets the peak to the current active memory (MLX `reset_peak_memory`).
pub fn reset_peak_memory() {
    let mut st = state();
    st.peak = st.active;
}

/// Bytes held in the buffer cache (MLX `get_cache_memory`).
pub fn cache_memory() -> usize {
    state().cache_bytes
}

/// Frees every cached buffer (MLX `clear_cache`).
pub fn clear_cache() {
    state().clear_cache();
}

/// Sets the memory limit, returning the previous one (MLX `set_memory_limit`).
pub fn set_memory_limit(limit: usize) -> usize {
    let mut st = state();
    std::mem::replace(&mut st.memory_limit, limit)
}

/// The memory limit (MLX `get_memory_limit`).
pub fn memory_limit() -> usize {
    state().memory_limit
}

/// Sets the cache limit, returning the previous one (MLX `set_cache_limit`);
/// shrinks the cache at once if it is over the new limit.
pub fn set_cache_limit(limit: usize) -> usize {
    let mut st = state();
    let old = std::mem::replace(&mut st.cache_limit, limit);
    if st.cache_bytes > limit {
        st.clear_cache();
    }
    old
}

/// MLX's `set_wired_limit`: wiring is a macOS concept; on Linux this only
/// records the value and returns the previous one.
pub fn set_wired_limit(limit: usize) -> usize {
    static WIRED: Mutex<usize> = Mutex::new(0);
    let mut w = WIRED.lock().unwrap_or_else(|e| e.into_inner());
    std::mem::replace(&mut *w, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_cover_request() {
        for b in [1, 63, 64, 65, 4096, 4097, 10_000, 1 << 20, (1 << 24) + 3] {
            let c = size_class(b);
            assert!(c >= b && c <= b + b / 8 + ALIGN, "{b} -> {c}");
        }
    }

    #[test]
    fn buffers_are_aligned_and_reused() {
        let a = Buffer::new(1000).unwrap();
        assert_eq!(a.as_ptr() as usize % ALIGN, 0);
        let p = a.as_ptr();
        drop(a);
        let b = Buffer::new(990).unwrap();
        assert_eq!(b.as_ptr(), p);
    }
}
