//! Devices and streams: `Device {Cpu, Gpu}`, `Stream`, the default device and
//! the per-device default streams, as MLX has them. Work on a stream runs on
//! that stream's device; the CPU backend runs it on the evaluating thread.

use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Kind of device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceType {
    /// The host CPU.
    Cpu,
    /// An NVIDIA GPU (CUDA backend).
    Gpu,
}

/// A device: type plus index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Device {
    /// CPU or GPU.
    pub kind: DeviceType,
    /// Index among devices of that kind.
    pub index: usize,
}

impl Device {
    /// The CPU.
    pub const CPU: Device = Device {
        kind: DeviceType::Cpu,
        index: 0,
    };
    /// The first GPU.
    pub const GPU: Device = Device {
        kind: DeviceType::Gpu,
        index: 0,
    };
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DeviceType::Cpu => write!(f, "Device(cpu, {})", self.index),
            DeviceType::Gpu => write!(f, "Device(gpu, {})", self.index),
        }
    }
}

/// Whether a device kind can run work in this build on this machine.
pub fn is_available(kind: DeviceType) -> bool {
    match kind {
        DeviceType::Cpu => true,
        // The CUDA backend is not built yet.
        DeviceType::Gpu => false,
    }
}

/// Number of devices of a kind (MLX `device_count`).
pub fn device_count(kind: DeviceType) -> usize {
    usize::from(is_available(kind))
}

/// A stream: an ordered queue of work on one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stream {
    /// Stream number, unique in the process.
    pub index: usize,
    /// Device the stream's work runs on.
    pub device: Device,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = match self.device.kind {
            DeviceType::Cpu => "cpu",
            DeviceType::Gpu => "gpu",
        };
        write!(
            f,
            "Stream(Device({d}, {}), {})",
            self.device.index, self.index
        )
    }
}

static NEXT_STREAM: AtomicUsize = AtomicUsize::new(2);
// 0 = cpu, 1 = gpu
static DEFAULT_DEVICE: AtomicU8 = AtomicU8::new(0);
static DEFAULT_STREAMS: Mutex<[Option<Stream>; 2]> = Mutex::new([
    Some(Stream {
        index: 0,
        device: Device::CPU,
    }),
    Some(Stream {
        index: 1,
        device: Device::GPU,
    }),
]);

/// The default device (MLX `default_device`).
pub fn default_device() -> Device {
    if DEFAULT_DEVICE.load(Ordering::Relaxed) == 0 {
        Device::CPU
    } else {
        Device::GPU
    }
}

/// Sets the default device; a device that is not available is refused.
pub fn set_default_device(d: Device) -> Result<()> {
    if !is_available(d.kind) {
        let _ = d;
        return Err(Error::value(
            "[set_default_device] Cannot set gpu device without gpu backend.",
        ));
    }
    DEFAULT_DEVICE.store(u8::from(d.kind == DeviceType::Gpu), Ordering::Relaxed);
    Ok(())
}

/// The default stream of a device (MLX `default_stream`).
pub fn default_stream(d: Device) -> Stream {
    let s = DEFAULT_STREAMS.lock().unwrap_or_else(|e| e.into_inner());
    s[usize::from(d.kind == DeviceType::Gpu)].unwrap_or(Stream {
        index: 0,
        device: d,
    })
}

/// Makes `s` the default stream of its device (MLX `set_default_stream`).
pub fn set_default_stream(s: Stream) {
    let mut st = DEFAULT_STREAMS.lock().unwrap_or_else(|e| e.into_inner());
    st[usize::from(s.device.kind == DeviceType::Gpu)] = Some(s);
}

/// A new stream on `d` (MLX `new_stream`).
pub fn new_stream(d: Device) -> Result<Stream> {
    if !is_available(d.kind) {
        return Err(Error::value(format!(
            "[new_stream] Cannot make a stream on {d}: the gpu backend is not available in this build of rmlx."
        )));
    }
    Ok(Stream {
        index: NEXT_STREAM.fetch_add(1, Ordering::Relaxed),
        device: d,
    })
}

/// The stream ops use when none is given: the default device's default stream.
pub fn current_stream() -> Stream {
    default_stream(default_device())
}

/// Resolves an optional stream argument and refuses unavailable devices.
pub fn resolve_stream(s: Option<Stream>, op: &str) -> Result<Stream> {
    let s = s.unwrap_or_else(current_stream);
    if !is_available(s.device.kind) {
        let _ = op;
        return Err(Error::value(
            "[default_stream] Cannot get gpu stream without gpu backend.",
        ));
    }
    Ok(s)
}
