//! The worker pool: rayon's global pool, with each worker bound to its own
//! CPU of the process's allowed set.
//!
//! Why bind: on the 2-vCPU development VM the guest scheduler kept both
//! workers on the CPU where the evaluating thread had been running after a
//! long single-threaded phase (here: the reference MLX running in the same
//! process), leaving the other CPU idle: a 3x3 convolution took 4.3-5.6 ms
//! instead of 2.4 ms, for as long as the process lived. Bound workers always
//! use every CPU (OpenMP runtimes bind for the same reason). Binding is
//! skipped when there are more workers than allowed CPUs, and
//! `RMLX_BIND_THREADS=0` turns it off (for machines shared with other
//! busy processes). `RAYON_NUM_THREADS` still sets the number of workers.

use std::sync::Once;

/// Builds the global pool (once; a no-op if rayon's pool already exists).
pub fn init_thread_pool() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let mut builder = rayon::ThreadPoolBuilder::new();
        let cpus = allowed_cpus();
        let workers = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(cpus.len());
        let bind = std::env::var("RMLX_BIND_THREADS").map_or(true, |v| v != "0");
        if bind && cpus.len() >= 2 && workers <= cpus.len() {
            builder = builder
                .num_threads(workers)
                .start_handler(move |i| bind_current_thread(cpus[i]));
        }
        // An error means the pool was built before (by rayon's first use):
        // it keeps working, unbound.
        let _ = builder.build_global();
    });
}

/// The CPUs this process may run on (empty when unknown).
fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `set` is a plain bit set that the call fills in.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
                return (0..libc::CPU_SETSIZE as usize)
                    .filter(|&c| libc::CPU_ISSET(c, &set))
                    .collect();
            }
        }
    }
    Vec::new()
}

fn bind_current_thread(cpu: usize) {
    #[cfg(target_os = "linux")]
    // SAFETY: binds the calling thread (pid 0) to one CPU of the allowed set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}
