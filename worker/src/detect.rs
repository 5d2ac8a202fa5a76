//! What the worker can find out about its machine: CPU cores, memory and the CUDA devices
//! the driver reports. `register`, `update` and `run` fill in what the config leaves out and
//! warn when it claims more than is there (the chain takes the profile as declared; hardware
//! challenges are what prove it).

use crate::backend::cuda;
use kiln_primitives::HardwareProfile;

/// The machine as detected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
	pub cpu_cores: Option<u16>,
	pub ram_mib: Option<u32>,
	/// The CUDA devices, or why none could be listed.
	pub gpus: Result<Vec<cuda::DeviceInfo>, String>,
}

/// Detects this machine (never fails: what cannot be read is `None` or an `Err` reason).
pub fn machine() -> Machine {
	Machine {
		cpu_cores: cpu_cores(),
		ram_mib: ram_mib(),
		gpus: cuda::devices().map_err(|e| format!("{e:#}")),
	}
}

/// The cores this process may use.
pub fn cpu_cores() -> Option<u16> {
	std::thread::available_parallelism().ok().and_then(|n| u16::try_from(n.get()).ok())
}

/// The machine's memory (Linux).
pub fn ram_mib() -> Option<u32> {
	std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| meminfo_mib(&text))
}

/// Prints a warning for each claim of `profile` beyond this machine.
pub fn warn_about(profile: &HardwareProfile) {
	for warning in warnings(profile, &machine()) {
		tracing::warn!("{warning}");
	}
}

/// `MemTotal` of /proc/meminfo, in MiB.
fn meminfo_mib(text: &str) -> Option<u32> {
	let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
	let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
	u32::try_from(kib / 1024).ok()
}

/// Where the profile claims more than the machine has.
pub fn warnings(profile: &HardwareProfile, machine: &Machine) -> Vec<String> {
	let mut out = Vec::new();
	if let Some(cores) = machine.cpu_cores.filter(|c| profile.cpu_cores > *c) {
		out.push(format!("the profile claims {} CPU cores, {cores} were found", profile.cpu_cores));
	}
	if let Some(ram) = machine.ram_mib.filter(|r| profile.ram_mib > *r) {
		out.push(format!(
			"the profile claims {} MiB of memory, {ram} MiB were found",
			profile.ram_mib
		));
	}
	let claimed = profile.gpu_count();
	match &machine.gpus {
		Err(why) if claimed > 0 || profile.backends.cuda => {
			out.push(format!("the profile lists {claimed} GPUs and CUDA, but: {why}"))
		},
		Ok(found) if (found.len() as u32) < claimed => out.push(format!(
			"the profile lists {claimed} GPUs, the driver reports {}: {}",
			found.len(),
			found.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
		)),
		Ok(found) => {
			for spec in profile.gpus.iter() {
				let fits = |d: &&cuda::DeviceInfo| {
					d.memory_mib + 512 >= spec.vram_mib
						&& d.compute_capability >= spec.compute_capability
				};
				let matching = found.iter().filter(fits).count() as u32;
				if matching < u32::from(spec.count) {
					out.push(format!(
						"{} × {} with {} MiB and compute capability {}.{} are listed, {matching} \
						 such devices were found",
						spec.count,
						String::from_utf8_lossy(&spec.model),
						spec.vram_mib,
						spec.compute_capability / 10,
						spec.compute_capability % 10
					));
				}
			}
		},
		Err(_) => {},
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;
	use kiln_primitives::{Backends, GpuSpec, Region};

	fn profile(cores: u16, ram: u32, gpus: Vec<GpuSpec>, cuda: bool) -> HardwareProfile {
		HardwareProfile {
			gpus: gpus.try_into().unwrap(),
			cpu_cores: cores,
			ram_mib: ram,
			region: Region(*b"DE"),
			backends: Backends { cuda, cpu: true },
		}
	}

	fn h200(count: u16) -> GpuSpec {
		GpuSpec {
			model: b"H200".to_vec().try_into().unwrap(),
			vram_mib: 143_771,
			compute_capability: 90,
			count,
		}
	}

	#[test]
	fn reads_memtotal() {
		assert_eq!(meminfo_mib("MemTotal:       24567296 kB\nMemFree: 1 kB\n"), Some(23991));
		assert_eq!(meminfo_mib("nothing here"), None);
	}

	#[test]
	fn warns_about_claims_beyond_the_machine() {
		let none =
			Machine { cpu_cores: Some(2), ram_mib: Some(4096), gpus: Err("no CUDA driver".into()) };
		assert!(warnings(&profile(2, 4096, vec![], false), &none).is_empty(), "an honest CPU box");
		let w = warnings(&profile(16, 65_536, vec![h200(1)], true), &none);
		assert_eq!(w.len(), 3, "{w:?}");
		assert!(w[2].contains("no CUDA driver"));
		let device = cuda::DeviceInfo {
			name: "NVIDIA H200".into(),
			memory_mib: 143_771,
			compute_capability: 90,
		};
		let one = Machine { gpus: Ok(vec![device.clone()]), ..none.clone() };
		assert!(warnings(&profile(2, 4096, vec![h200(1)], true), &one).is_empty());
		let w = warnings(&profile(2, 4096, vec![h200(2)], true), &one);
		assert!(w[0].contains("the driver reports 1"), "{w:?}");
		let small = cuda::DeviceInfo { memory_mib: 24_000, ..device };
		let w = warnings(
			&profile(2, 4096, vec![h200(1)], true),
			&Machine { gpus: Ok(vec![small]), ..none },
		);
		assert!(w[0].contains("0 such devices"), "{w:?}");
	}

	#[test]
	fn detection_never_fails() {
		let machine = machine();
		assert!(machine.cpu_cores.is_some_and(|c| c >= 1));
		assert!(machine.ram_mib.is_some_and(|r| r > 0));
	}
}
