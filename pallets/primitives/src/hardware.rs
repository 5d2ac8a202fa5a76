//! What a provider offers (its hardware profile) and what a job asks for (its requirements),
//! and the one function that decides whether the first satisfies the second.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{traits::ConstU32, BoundedVec, Perbill};

/// Longest GPU model name ("NVIDIA H100 80GB HBM3" is 21 bytes).
pub const MAX_GPU_MODEL_LEN: u32 = 64;
/// Kinds of GPU in one profile (a machine with 4×A100 and 2×L4 has two kinds).
pub const MAX_GPU_KINDS: u32 = 8;
/// Longest worker endpoint URL.
pub const MAX_ENDPOINT_LEN: u32 = 256;

pub type GpuModel = BoundedVec<u8, ConstU32<MAX_GPU_MODEL_LEN>>;
/// The worker's HTTP(S) URL where clients fetch results.
pub type Endpoint = BoundedVec<u8, ConstU32<MAX_ENDPOINT_LEN>>;

/// One kind of GPU in a machine, and how many of it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct GpuSpec {
	/// Model name as the driver reports it, UTF-8.
	pub model: GpuModel,
	pub vram_mib: u32,
	/// CUDA compute capability × 10 (8.9 → 89); 0 for GPUs without CUDA.
	pub compute_capability: u16,
	pub count: u16,
}

/// ISO 3166-1 alpha-2 country code, two upper-case ASCII letters.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Region(pub [u8; 2]);

impl Region {
	pub fn is_valid(&self) -> bool {
		self.0.iter().all(u8::is_ascii_uppercase)
	}
}

/// An execution backend a worker can run jobs on.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Backend {
	Cuda,
	Cpu,
}

/// The backends a worker offers.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Backends {
	pub cuda: bool,
	pub cpu: bool,
}

impl Backends {
	pub fn supports(&self, backend: Backend) -> bool {
		match backend {
			Backend::Cuda => self.cuda,
			Backend::Cpu => self.cpu,
		}
	}
}

/// A provider's machine as registered on chain (SPEC §3 `register`).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct HardwareProfile {
	pub gpus: BoundedVec<GpuSpec, ConstU32<MAX_GPU_KINDS>>,
	pub cpu_cores: u16,
	pub ram_mib: u32,
	pub region: Region,
	pub backends: Backends,
}

/// Why a profile or endpoint is not acceptable.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProfileError {
	/// A CUDA profile without GPUs, or a GPU kind with count 0.
	NoGpus,
	/// More GPUs in total than `max_gpus`.
	TooManyGpus,
	/// A model name that is empty or not UTF-8.
	InvalidGpuModel,
	/// Not two upper-case letters.
	InvalidRegion,
	/// Neither CUDA nor CPU.
	NoBackend,
	/// Not an `http://` or `https://` URL with a host.
	InvalidEndpoint,
}

impl HardwareProfile {
	/// All GPUs of all kinds.
	pub fn gpu_count(&self) -> u32 {
		self.gpus.iter().map(|g| u32::from(g.count)).sum()
	}

	/// What the provider bonds for: its GPUs, and a machine without GPUs counts as one, so
	/// that a CPU-only provider (and each Sybil of one) bonds as much as a one-GPU provider.
	pub fn bond_units(&self) -> u32 {
		self.gpu_count().max(1)
	}

	/// Checks the profile is one a job could be matched against. A CPU-only profile (no
	/// CUDA backend) may list no GPUs; a CUDA profile lists its GPUs.
	pub fn validate(&self, max_gpus: u32) -> Result<(), ProfileError> {
		let no_gpus = self.gpus.is_empty() && self.backends.cuda;
		if no_gpus || self.gpus.iter().any(|g| g.count == 0) {
			return Err(ProfileError::NoGpus);
		}
		if self.gpu_count() > max_gpus {
			return Err(ProfileError::TooManyGpus);
		}
		if self.gpus.iter().any(|g| g.model.is_empty() || core::str::from_utf8(&g.model).is_err()) {
			return Err(ProfileError::InvalidGpuModel);
		}
		if !self.region.is_valid() {
			return Err(ProfileError::InvalidRegion);
		}
		if !self.backends.cuda && !self.backends.cpu {
			return Err(ProfileError::NoBackend);
		}
		Ok(())
	}

	/// Whether this machine can run a job with `req`, and if not the first reason why
	/// (checked in the order of [`Ineligibility`]'s variants).
	pub fn check(&self, req: &Requirements) -> Result<(), Ineligibility> {
		if !self.backends.supports(req.backend) {
			return Err(Ineligibility::Backend);
		}
		// GPUs are used through CUDA only. A provider without it is challenged with the
		// CPU-sized challenge, so the GPUs its profile lists were never proven: it offers none.
		if req.gpu_count > 0 && !self.backends.cuda {
			return Err(Ineligibility::Backend);
		}
		if req.region.is_some_and(|r| r != self.region) {
			return Err(Ineligibility::Region);
		}
		let vram_ok = |g: &&GpuSpec| g.vram_mib >= req.min_vram_mib;
		if req.gpu_count > 0 && !self.gpus.iter().any(|g| vram_ok(&g)) {
			return Err(Ineligibility::Vram);
		}
		let usable: u32 = self
			.gpus
			.iter()
			.filter(vram_ok)
			.filter(|g| g.compute_capability >= req.min_compute_capability)
			.map(|g| u32::from(g.count))
			.sum();
		if req.gpu_count > 0 && usable == 0 {
			return Err(Ineligibility::ComputeCapability);
		}
		if usable < u32::from(req.gpu_count) {
			return Err(Ineligibility::GpuCount);
		}
		Ok(())
	}
}

/// Checks an endpoint is an `http://` or `https://` URL with a non-empty host and no spaces.
pub fn validate_endpoint(endpoint: &[u8]) -> Result<(), ProfileError> {
	let rest = endpoint
		.strip_prefix(b"https://")
		.or_else(|| endpoint.strip_prefix(b"http://"))
		.ok_or(ProfileError::InvalidEndpoint)?;
	let host_len = rest.iter().position(|c| *c == b'/').unwrap_or(rest.len());
	let printable = endpoint.iter().all(|c| c.is_ascii_graphic());
	if host_len == 0 || !printable {
		return Err(ProfileError::InvalidEndpoint);
	}
	Ok(())
}

/// What a job needs from the provider that runs it (SPEC §3 `JobSpec.requirements`).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Requirements {
	/// Per GPU.
	pub min_vram_mib: u32,
	/// Compute capability × 10.
	pub min_compute_capability: u16,
	/// GPUs that must each meet the VRAM and compute capability minimums; 0 for CPU jobs.
	pub gpu_count: u16,
	pub backend: Backend,
	pub region: Option<Region>,
	pub min_reputation: Perbill,
}

impl Requirements {
	/// A CPU job that any provider with the CPU backend may take: no GPU, any region, no
	/// reputation minimum.
	pub fn any_cpu() -> Self {
		Self {
			min_vram_mib: 0,
			min_compute_capability: 0,
			gpu_count: 0,
			backend: Backend::Cpu,
			region: None,
			min_reputation: Perbill::zero(),
		}
	}
}

/// Why a provider may not take a job; the market counts these per job so a client can see
/// why nobody bid.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Ineligibility {
	NotProvider,
	Paused,
	Backend,
	Region,
	Vram,
	ComputeCapability,
	GpuCount,
	Reputation,
}

#[cfg(test)]
mod tests {
	use super::*;

	fn gpu(model: &str, vram_mib: u32, cc: u16, count: u16) -> GpuSpec {
		GpuSpec {
			model: GpuModel::truncate_from(model.as_bytes().to_vec()),
			vram_mib,
			compute_capability: cc,
			count,
		}
	}

	fn profile(gpus: Vec<GpuSpec>) -> HardwareProfile {
		HardwareProfile {
			gpus: BoundedVec::truncate_from(gpus),
			cpu_cores: 32,
			ram_mib: 256 * 1024,
			region: Region(*b"DE"),
			backends: Backends { cuda: true, cpu: true },
		}
	}

	fn req(vram: u32, cc: u16, count: u16) -> Requirements {
		Requirements {
			min_vram_mib: vram,
			min_compute_capability: cc,
			gpu_count: count,
			backend: Backend::Cuda,
			region: None,
			min_reputation: Perbill::zero(),
		}
	}

	#[test]
	fn validate_names_the_first_problem() {
		let good = profile(vec![gpu("NVIDIA H100", 81_559, 90, 4), gpu("L4", 23_034, 89, 2)]);
		assert_eq!(good.gpu_count(), 6);
		assert_eq!(good.validate(8), Ok(()));
		assert_eq!(good.validate(5), Err(ProfileError::TooManyGpus));
		assert_eq!(profile(vec![]).validate(8), Err(ProfileError::NoGpus), "CUDA without GPUs");
		assert_eq!(profile(vec![gpu("A", 1, 1, 0)]).validate(8), Err(ProfileError::NoGpus));
		// A CPU-only machine lists no GPUs, and bonds like a one-GPU provider.
		let mut cpu_only = profile(vec![]);
		cpu_only.backends = Backends { cuda: false, cpu: true };
		assert_eq!(cpu_only.validate(8), Ok(()));
		assert_eq!((cpu_only.gpu_count(), cpu_only.bond_units()), (0, 1));
		assert_eq!(good.bond_units(), 6);
		// It can take CPU jobs and nothing that needs a GPU.
		assert_eq!(cpu_only.check(&Requirements::any_cpu()), Ok(()));
		assert_eq!(cpu_only.check(&req(0, 0, 1)), Err(Ineligibility::Backend));
		assert_eq!(profile(vec![gpu("", 1, 1, 1)]).validate(8), Err(ProfileError::InvalidGpuModel));
		let mut bad_region = good.clone();
		bad_region.region = Region(*b"de");
		assert_eq!(bad_region.validate(8), Err(ProfileError::InvalidRegion));
		let mut no_backend = good.clone();
		no_backend.backends = Backends::default();
		assert_eq!(no_backend.validate(8), Err(ProfileError::NoBackend));
	}

	#[test]
	fn endpoints_must_be_http_urls() {
		for ok in ["https://gpu1.example.org:8443/results", "http://10.0.0.2", "http://h/"] {
			assert_eq!(validate_endpoint(ok.as_bytes()), Ok(()), "{ok}");
		}
		for bad in ["", "ftp://x", "https://", "https:///path", "http://a b", "gpu1.example.org"] {
			assert_eq!(
				validate_endpoint(bad.as_bytes()),
				Err(ProfileError::InvalidEndpoint),
				"{bad}"
			);
		}
	}

	#[test]
	fn matching_counts_only_gpus_that_meet_both_minimums() {
		let p = profile(vec![gpu("H100", 80_000, 90, 2), gpu("T4", 16_000, 75, 4)]);
		assert_eq!(p.check(&req(16_000, 75, 6)), Ok(()));
		assert_eq!(p.check(&req(16_000, 80, 2)), Ok(()));
		assert_eq!(p.check(&req(16_000, 80, 3)), Err(Ineligibility::GpuCount));
		assert_eq!(p.check(&req(100_000, 0, 1)), Err(Ineligibility::Vram));
		assert_eq!(p.check(&req(0, 100, 1)), Err(Ineligibility::ComputeCapability));
		let mut cpu_job = req(0, 0, 0);
		cpu_job.backend = Backend::Cpu;
		assert_eq!(p.check(&cpu_job), Ok(()));
		let mut cuda_only = p.clone();
		cuda_only.backends.cpu = false;
		assert_eq!(cuda_only.check(&cpu_job), Err(Ineligibility::Backend));
		let mut in_france = req(0, 0, 1);
		in_france.region = Some(Region(*b"FR"));
		assert_eq!(p.check(&in_france), Err(Ineligibility::Region));
		in_france.region = Some(Region(*b"DE"));
		assert_eq!(p.check(&in_france), Ok(()));
	}

	/// A provider that leaves CUDA out gets the small CPU-sized hardware challenge, so the
	/// GPUs its profile lists must not win it a job that asks for GPUs, even one run on CPU.
	#[test]
	fn a_provider_without_cuda_cannot_take_gpu_jobs_with_unproven_gpus() {
		let mut cpu_only = profile(vec![gpu("H100", 80_000, 90, 8)]);
		cpu_only.backends.cuda = false;
		let mut gpus_on_cpu = req(0, 0, 1);
		gpus_on_cpu.backend = Backend::Cpu;
		assert_eq!(cpu_only.check(&gpus_on_cpu), Err(Ineligibility::Backend));
		let mut plain_cpu = req(0, 0, 0);
		plain_cpu.backend = Backend::Cpu;
		assert_eq!(cpu_only.check(&plain_cpu), Ok(()));
		assert_eq!(profile(vec![gpu("H100", 80_000, 90, 8)]).check(&gpus_on_cpu), Ok(()));
	}
}
