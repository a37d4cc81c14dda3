//! The allocator: 64-byte aligned buffers, a size-bucketed cache of freed
//! buffers (so loops that allocate the same sizes never touch the system
//! allocator or fault fresh pages), and MLX's memory statistics and limits.
//!
//! A buffer is either *owned* (from the allocator above) or *mapped*: a
//! window into a [`Mapping`], a private copy-on-write memory map of a
//! whole file that the loaders in `io` share between the arrays of one
//! file. A mapped buffer never enters the cache and is never freed on its
//! own; dropping it drops its share of the mapping, which is unmapped with
//! its last buffer. Writes into a mapped buffer (an op that takes over a
//! loaded array's buffer as its output) copy the touched pages and never
//! reach the file. A mapped buffer holds exactly its tensor's bytes (its
//! [`Buffer::capacity`] is the byte length, not a size class) and is
//! aligned to its element size only.
//!
//! Mapped bytes count in the active (and so peak) memory while a buffer
//! refers to them, as MLX counts loaded arrays, but the memory limit is not
//! enforced for them: mapping allocates nothing, and clean file pages are
//! the kernel's to reclaim. The cache statistics never include them.

use std::alloc::{alloc, dealloc, Layout};
use std::collections::BTreeMap;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// Alignment of every buffer: one AVX-512 register, one cache line.
pub const ALIGN: usize = 64;

/// A block of raw bytes owned by an array's data. Dropping an owned block
/// returns it to the cache (or the system when the cache is full); a mapped
/// one only releases its share of the file mapping.
pub struct Buffer {
    ptr: NonNull<u8>,
    capacity: usize,
    /// The file mapping `ptr` points into; `None` for allocator blocks.
    mapping: Option<Arc<Mapping>>,
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
                mapping: None,
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
        Ok(Buffer {
            ptr,
            capacity,
            mapping: None,
        })
    }

    /// A buffer of the `len` bytes at `offset` in `mapping` (no copy).
    /// Refuses an empty or out-of-range window. Counts as active memory
    /// while alive; the memory limit does not apply (see the module doc).
    pub fn mapped(mapping: &Arc<Mapping>, offset: usize, len: usize) -> Result<Buffer> {
        if len == 0 || offset.checked_add(len).is_none_or(|end| end > mapping.len) {
            return Err(Error::value(format!(
                "[Buffer::mapped] bytes {offset}..+{len} are not within a mapping of {} bytes",
                mapping.len
            )));
        }
        // SAFETY: offset + len <= mapping.len, checked above.
        let ptr = unsafe { NonNull::new_unchecked(mapping.ptr.as_ptr().add(offset)) };
        let mut st = state();
        st.active += len;
        st.peak = st.peak.max(st.active);
        Ok(Buffer {
            ptr,
            capacity: len,
            mapping: Some(mapping.clone()),
        })
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

    /// Usable bytes: the size class (at least what was asked for) of an
    /// owned block, exactly the window's length for a mapped one.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether the bytes live in a file mapping rather than the allocator.
    pub fn is_mapped(&self) -> bool {
        self.mapping.is_some()
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if self.capacity == 0 {
            return;
        }
        let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
        st.active -= self.capacity;
        if self.mapping.is_some() {
            // The field's own drop releases the mapping (after the lock).
            return;
        }
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

/// A private, copy-on-write, read-write memory map of a whole file, shared
/// by the buffers of the arrays loaded from it and unmapped when the last
/// one drops. Writes through it stay in this process (`MAP_PRIVATE`); the
/// file is never modified. Pages are read from the file on first touch, so
/// a file that shrinks while mapped makes that touch fault (SIGBUS), as for
/// every memory-mapping loader.
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain process memory; as for Buffer, the graph
// decides who writes which bytes.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the first `len` bytes of `file` (opened for reading at least).
    #[cfg(unix)]
    pub fn map_file(file: &std::fs::File, len: usize) -> std::io::Result<Arc<Mapping>> {
        use std::os::unix::io::AsRawFd;
        if len == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "cannot map an empty file",
            ));
        }
        // SAFETY: a fresh mapping at an address of the kernel's choosing;
        // MAP_PRIVATE allows PROT_WRITE on a read-only descriptor.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>())
            .ok_or_else(|| std::io::Error::other("mmap returned null"))?;
        Ok(Arc::new(Mapping { ptr, len }))
    }

    /// Memory maps are not supported on this platform: always an error, so
    /// callers read the file instead.
    #[cfg(not(unix))]
    pub fn map_file(_file: &std::fs::File, _len: usize) -> std::io::Result<Arc<Mapping>> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "memory maps are not supported on this platform",
        ))
    }

    /// Bytes mapped.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping is empty (never: empty files are not mapped).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: ptr/len are exactly what mmap returned; no buffer refers
        // to the mapping any more (each holds an Arc to it).
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
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
    fn mapped_buffers_share_and_release_the_mapping() {
        use std::io::Write;
        let path = std::env::temp_dir().join(format!("rmlx-mem-map-{}", std::process::id()));
        let bytes: Vec<u8> = (0..8192u32).map(|i| i as u8).collect();
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&bytes)
            .unwrap();
        let f = std::fs::File::open(&path).unwrap();
        let m = Mapping::map_file(&f, bytes.len()).unwrap();
        drop(f);
        let a = Buffer::mapped(&m, 100, 50).unwrap();
        let b = Buffer::mapped(&m, 4096, 4096).unwrap();
        assert!(Buffer::mapped(&m, 8000, 193).is_err());
        assert!(Buffer::mapped(&m, 0, 0).is_err());
        assert!(a.is_mapped() && !Buffer::new(10).unwrap().is_mapped());
        assert_eq!((a.capacity(), Arc::strong_count(&m)), (50, 3));
        // SAFETY: the window holds 50 bytes.
        let s = unsafe { std::slice::from_raw_parts_mut(a.as_ptr(), 50) };
        assert_eq!(s, &bytes[100..150]);
        s[0] = 255; // copy-on-write: the file keeps its byte
        drop(a);
        drop(b);
        assert_eq!(Arc::strong_count(&m), 1);
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        std::fs::remove_file(&path).unwrap();
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
