//! Where a network runs: burn's pure-Rust CPU backend (`flex`), or an NVIDIA GPU through
//! burn's CUDA backend when genrecast is built with the `cuda` feature.
//!
//! Every network is written once against burn's dispatch [`Device`]; this module only turns
//! the user's `cpu` / `cuda[:N]` into that device. It checks first for what a CUDA device
//! needs (the build feature, the driver library, NVRTC, a GPU with that index), because burn's
//! CUDA runtime panics without them, and a user asking for a GPU should be told which of them
//! is missing rather than see a panic or, worse, a silent run on the CPU.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

use crate::{Error, Result};

/// A compute device named on the command line or from Python: `cpu` or `cuda[:N]`.
///
/// ```
/// use genrecast_models::ComputeDevice;
///
/// assert_eq!("cpu".parse::<ComputeDevice>()?, ComputeDevice::Cpu);
/// assert_eq!("cuda".parse::<ComputeDevice>()?, ComputeDevice::Cuda(0));
/// assert_eq!("cuda:1".parse::<ComputeDevice>()?.to_string(), "cuda:1");
/// assert!("gpu".parse::<ComputeDevice>().is_err());
/// // The CPU is always there.
/// let device = ComputeDevice::Cpu.burn_device()?;
/// # Ok::<(), genrecast_models::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ComputeDevice {
    /// burn's `flex` backend on the CPU (the default; threads as `--threads` says).
    #[default]
    Cpu,
    /// The NVIDIA GPU with this CUDA ordinal (`cuda` is `cuda:0`).
    Cuda(usize),
}

impl FromStr for ComputeDevice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::Device(format!("unknown device '{s}': expected cpu, cuda or cuda:N (N a GPU number such as 0)"));
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            other => match other.strip_prefix("cuda:") {
                Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => n.parse().map(Self::Cuda).map_err(|_| bad()),
                _ => Err(bad()),
            },
        }
    }
}

impl fmt::Display for ComputeDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl ComputeDevice {
    /// Whether this is a GPU (networks batch more and skip CPU-only kernels there).
    pub fn is_gpu(self) -> bool {
        matches!(self, Self::Cuda(_))
    }

    /// What pretrained backbones (musicnn, the VGG) compute in here: the process's default
    /// [`Precision`](crate::Precision) on the CPU (`int8` unless `--precision f32`), `f32` on a
    /// GPU, where the int8 kernels (CPU code) do not run. Feature-cache entries of backbone
    /// embeddings are keyed by it.
    ///
    /// ```
    /// use genrecast_models::{ComputeDevice, Precision};
    /// assert_eq!(ComputeDevice::Cuda(0).backbone_precision(), Precision::F32);
    /// assert_eq!(ComputeDevice::Cpu.backbone_precision(), Precision::default());
    /// ```
    pub fn backbone_precision(self) -> crate::Precision {
        if self.is_gpu() { crate::Precision::F32 } else { crate::Precision::default() }
    }

    /// burn's device for inference.
    ///
    /// # Errors
    /// [`Error::Device`] naming what a CUDA device lacks: the `cuda` build feature, the NVIDIA
    /// driver library, NVRTC (from the CUDA toolkit), any GPU, or a GPU with this number. The
    /// CPU never fails.
    pub fn burn_device(self) -> Result<Device> {
        match self {
            Self::Cpu => Ok(Device::flex()),
            Self::Cuda(index) => cuda_device(index),
        }
    }

    /// burn's device for training (with autodiff).
    ///
    /// # Errors
    /// As [`burn_device`](Self::burn_device).
    pub fn burn_training_device(self) -> Result<Device> {
        self.burn_device().map(Device::autodiff)
    }

    /// A one-line description for reports: `cpu (burn flex)` or the GPU's name and memory.
    pub fn describe(self) -> String {
        match self {
            Self::Cpu => "cpu (burn flex backend)".into(),
            Self::Cuda(index) => match gpu_name(index) {
                Some(name) => format!("cuda:{index} ({name}, burn cuda backend)"),
                None => format!("cuda:{index} (burn cuda backend)"),
            },
        }
    }
}

/// Whether `device` is burn's CPU device (with or without autodiff).
pub(crate) fn is_cpu(device: &Device) -> bool {
    let flex = Device::flex();
    *device == flex || *device == flex.autodiff()
}

#[cfg(not(feature = "cuda"))]
fn cuda_device(_index: usize) -> Result<Device> {
    Err(Error::Device(
        "this genrecast was built without GPU support: rebuild with `cargo build --release --features cuda` (see docs/gpu.md), or use --device cpu".into(),
    ))
}

#[cfg(not(feature = "cuda"))]
fn gpu_name(_index: usize) -> Option<String> {
    None
}

#[cfg(feature = "cuda")]
fn cuda_device(index: usize) -> Result<Device> {
    use cudarc::driver::{result, sys};
    // SAFETY: these only try to open the shared libraries (dlopen), with no other effect.
    if !unsafe { sys::is_culib_present() } {
        return Err(Error::Device(format!(
            "cuda:{index} asked for, but the NVIDIA driver library (libcuda.so) is not on this machine: install the NVIDIA driver, or use --device cpu"
        )));
    }
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(Error::Device(format!(
            "cuda:{index} asked for, but NVRTC (libnvrtc.so, part of the CUDA toolkit), which compiles burn's GPU kernels, was not found: install the CUDA toolkit or add its lib64 folder to LD_LIBRARY_PATH"
        )));
    }
    result::init().map_err(|e| Error::Device(format!("cuda:{index} asked for, but the CUDA driver did not start: {e}")))?;
    let count = result::device::get_count().map_err(|e| Error::Device(format!("cuda:{index}: the CUDA driver cannot count GPUs: {e}")))?;
    let count = usize::try_from(count).unwrap_or(0);
    if count == 0 {
        return Err(Error::Device(format!("cuda:{index} asked for, but the CUDA driver sees no GPU on this machine")));
    }
    if index >= count {
        return Err(Error::Device(format!(
            "cuda:{index} asked for, but this machine has {count} GPU{} (cuda:0{})",
            if count == 1 { "" } else { "s" },
            if count == 1 { String::new() } else { format!(" to cuda:{}", count - 1) }
        )));
    }
    Ok(Device::cuda(index))
}

#[cfg(feature = "cuda")]
fn gpu_name(index: usize) -> Option<String> {
    use cudarc::driver::{result, sys};
    // SAFETY: as in `cuda_device`.
    if !unsafe { sys::is_culib_present() } {
        return None;
    }
    result::init().ok()?;
    let dev = result::device::get(i32::try_from(index).ok()?).ok()?;
    let name = result::device::get_name(dev).ok()?;
    // SAFETY: `dev` is a device handle the driver just gave.
    let bytes = unsafe { result::device::total_mem(dev) }.ok()?;
    Some(format!("{name}, {:.0} GiB", bytes as f64 / f64::from(1u32 << 30)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for (text, device) in [("cpu", ComputeDevice::Cpu), ("CPU", ComputeDevice::Cpu), ("cuda", ComputeDevice::Cuda(0)), ("cuda:0", ComputeDevice::Cuda(0)), ("cuda:3", ComputeDevice::Cuda(3))] {
            assert_eq!(text.parse::<ComputeDevice>().expect(text), device, "{text}");
        }
        assert_eq!(ComputeDevice::Cuda(2).to_string().parse::<ComputeDevice>().expect("round trip"), ComputeDevice::Cuda(2));
        for bad in ["", "gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1:2", "cuda0", "cpu:0", "cuda:99999999999999999999999"] {
            let e = bad.parse::<ComputeDevice>().expect_err(bad).to_string();
            assert!(e.contains("expected cpu, cuda or cuda:N"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_cpu_is_burns_flex_device() {
        let d = ComputeDevice::Cpu.burn_device().expect("cpu");
        assert!(is_cpu(&d));
        assert!(is_cpu(&ComputeDevice::Cpu.burn_training_device().expect("cpu")));
    }

    /// Without the feature, asking for a GPU names the missing build feature. With it, on a
    /// machine with no NVIDIA driver (CI), the error names the driver; on a GPU machine the
    /// device comes up.
    #[test]
    fn a_gpu_that_is_not_there_is_named_not_faked() {
        match ComputeDevice::Cuda(0).burn_device() {
            Ok(d) => assert!(cfg!(feature = "cuda") && !is_cpu(&d), "cuda:0 must not be the CPU"),
            Err(e) => {
                let e = e.to_string();
                if cfg!(feature = "cuda") {
                    assert!(e.contains("cuda:0") && (e.contains("libcuda") || e.contains("NVRTC") || e.contains("GPU") || e.contains("driver")), "{e}");
                } else {
                    assert!(e.contains("--features cuda"), "{e}");
                }
            }
        }
        // A GPU number past any machine's count is refused on every build.
        let e = ComputeDevice::Cuda(4096).burn_device().expect_err("no 4097th GPU").to_string();
        assert!(e.contains("cuda:4096") || e.contains("--features cuda"), "{e}");
    }
}
