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
//! busy processes). `RAYON_NUM_THREADS` still sets the number of workers,
//! and `RMLX_POOL_CALLER=0` keeps the Python thread out of the pool (see
//! [`init_thread_pool_with_caller`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

/// Builds the global pool (once; a no-op if rayon's pool already exists).
pub fn init_thread_pool() {
    build_pool(false);
}

/// Builds the global pool with the calling thread as its worker 0 (once;
/// a no-op if the pool exists already).
///
/// Why: a thread outside the pool hands every parallel eval to a sleeping
/// worker and parks until it is done, which costs two wake-ups per eval
/// on top of the one that starts the second core (tens of microseconds on
/// a VM, 5-10% of a 0.5 ms kernel). As worker 0 the caller runs its evals
/// itself and only the other workers are woken. When workers are bound
/// (see the module doc), the caller is bound to the first allowed CPU.
/// Meant for the Python module, whose importing thread is the one that
/// evaluates; other threads still work, through the injector.
pub fn init_thread_pool_with_caller() {
    build_pool(true);
}

fn build_pool(with_caller: bool) {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let mut builder = rayon::ThreadPoolBuilder::new();
        let cpus = allowed_cpus();
        let workers = env_number("RAYON_NUM_THREADS")
            .filter(|&n| n > 0)
            .map_or(cpus.len().max(1), |n| n as usize);
        let bind = env_on("RMLX_BIND_THREADS") && cpus.len() >= 2 && workers <= cpus.len();
        builder = builder.num_threads(workers);
        if bind {
            let cpus = cpus.clone();
            builder = builder.start_handler(move |i| bind_current_thread(cpus[i]));
        }
        let with_caller = with_caller && workers >= 2 && env_on("RMLX_POOL_CALLER");
        if with_caller {
            builder = builder.use_current_thread();
        }
        // An error means the pool was built before (by rayon's first use):
        // it keeps working, unbound.
        if builder.build_global().is_ok() && with_caller && bind {
            // Worker 0 must be bound too: left free, the scheduler kept it
            // on the CPU of worker 1 after a long single-threaded phase and
            // every parallel kernel ran at half speed.
            bind_current_thread(cpus[0]);
        }
    });
}

/// How long a worker keeps polling for work after a parallel evaluation:
/// `RMLX_SPIN_US` microseconds (0 turns polling off), 300 by default.
fn warm_spin() -> Duration {
    static SPIN: OnceLock<Duration> = OnceLock::new();
    *SPIN.get_or_init(|| Duration::from_micros(env_number("RMLX_SPIN_US").unwrap_or(300)))
}

/// Whether a worker is polling (at most one does).
static WARM: AtomicBool = AtomicBool::new(false);

/// Keeps one worker polling for new work for a while (0.3 ms unless
/// `RMLX_SPIN_US` says otherwise) after a parallel evaluation, as OpenMP
/// runtimes do by default.
///
/// Why: an idle vCPU halts once its worker sleeps, and waking it costs tens
/// of microseconds, which the next evaluation's split paid at its start
/// (the median of a 0.35 ms reduction was 20% above its minimum). A
/// polling worker steals the next split at once. It runs jobs while it
/// polls (`rayon::yield_now`), so it never delays work; the cost is up to
/// 0.3 ms of one core's time after each large evaluation.
pub fn keep_workers_warm() {
    let spin = warm_spin();
    if spin.is_zero() || rayon::current_num_threads() < 2 || WARM.swap(true, Ordering::AcqRel) {
        return;
    }
    rayon::spawn(move || {
        // Worker 0 is the evaluating thread when it is in the pool: it must
        // not spin in place of returning to the user.
        if rayon::current_thread_index() != Some(0) {
            let mut since = Instant::now();
            while since.elapsed() < spin {
                match rayon::yield_now() {
                    Some(rayon::Yield::Executed) => since = Instant::now(),
                    _ => std::hint::spin_loop(),
                }
            }
        }
        WARM.store(false, Ordering::Release);
    });
}

/// Whether the switch `name` is on: anything but `0`, or unset.
fn env_on(name: &str) -> bool {
    std::env::var(name).map_or(true, |v| v != "0")
}

/// The number in variable `name`, if it is set and parses.
fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
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
