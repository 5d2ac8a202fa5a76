//! Test fixtures shared by every Kiln mock runtime and the runtime's tests (a dev-dependency
//! only): the machines providers register, endpoints and content references, and macros for
//! the pallet configs every mock repeats (System and Balances with `u64` accounts, and the
//! Collateral and Providers pallets wired as the runtime wires them).
//!
//! The macros name the mock's own items (`RuntimeEvent`, `Balances`, `CollateralDefaults`…)
//! as they are written at the call site, so a mock that uses them defines those names.
//!
//! Inputs longer than their bounds are truncated (no fixture panics); every fixture here is
//! well within them.

use kiln_primitives::{Backends, ContentRef, Endpoint, GpuSpec, HardwareProfile, Region};
use sp_runtime::{
	traits::{BlakeTwo256, Hash},
	BoundedVec,
};

/// The endpoint every fixture provider registers.
pub const ENDPOINT: &[u8] = b"https://worker.example.org";

/// `count` GPUs of one kind.
pub fn gpu(model: &str, vram_mib: u32, compute_capability: u16, count: u16) -> GpuSpec {
	GpuSpec {
		model: BoundedVec::truncate_from(model.as_bytes().to_vec()),
		vram_mib,
		compute_capability,
		count,
	}
}

/// A machine with `gpus`, `cpu_cores` cores and `ram_mib` of memory in `region`, declaring
/// both backends (CUDA and CPU).
pub fn machine(
	gpus: Vec<GpuSpec>,
	cpu_cores: u16,
	ram_mib: u32,
	region: [u8; 2],
) -> HardwareProfile {
	HardwareProfile {
		gpus: BoundedVec::truncate_from(gpus),
		cpu_cores,
		ram_mib,
		region: Region(region),
		backends: Backends { cuda: true, cpu: true },
	}
}

/// One NVIDIA L4 (24 GB, compute capability 8.9) with 8 cores and 32 GiB in the Netherlands:
/// the proof-of-compute mock's and the runtime tests' provider.
pub fn l4() -> HardwareProfile {
	machine(vec![gpu("NVIDIA L4", 23_034, 89, 1)], 8, 32 * 1024, *b"NL")
}

/// The same machine without the CUDA backend: challenged at CPU size.
pub fn cpu_only(mut profile: HardwareProfile) -> HardwareProfile {
	profile.backends.cuda = false;
	profile
}

/// [`ENDPOINT`] as the registry takes it.
pub fn endpoint() -> Endpoint {
	BoundedVec::truncate_from(ENDPOINT.to_vec())
}

/// Content of `bytes` at `uri`: its BLAKE2-256 hash and length.
pub fn content(bytes: &[u8], uri: &str) -> ContentRef {
	ContentRef {
		hash: BlakeTwo256::hash(bytes).0,
		len: bytes.len() as u64,
		uri: BoundedVec::truncate_from(uri.as_bytes().to_vec()),
	}
}

/// `frame_system` and `pallet_balances` for a mock runtime `$runtime` with `u64` accounts and
/// balances; defines `Block` and uses the mock's `ExistentialDeposit`.
#[macro_export]
macro_rules! impl_system_and_balances {
	($runtime:ident) => {
		type Block = frame_system::mocking::MockBlock<$runtime>;

		#[frame_support::derive_impl(frame_system::config_preludes::TestDefaultConfig)]
		impl frame_system::Config for $runtime {
			type Block = Block;
			type AccountData = pallet_balances::AccountData<u64>;
		}

		#[frame_support::derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
		impl pallet_balances::Config for $runtime {
			type AccountStore = System;
			type RuntimeHoldReason = RuntimeHoldReason;
			type ExistentialDeposit = ExistentialDeposit;
		}
	};
}

/// `pallet_collateral` (its hooks `Providers`, the registry, as in the runtime) and
/// `pallet_providers` for a mock runtime `$runtime`, configured by the mock's
/// `CollateralDefaults`, `ProvidersDefaults` and `TreasuryAccount`, with root as the admin.
#[macro_export]
macro_rules! impl_collateral_and_providers {
	($runtime:ident) => {
		impl pallet_collateral::Config for $runtime {
			type RuntimeEvent = RuntimeEvent;
			type Currency = Balances;
			type RuntimeHoldReason = RuntimeHoldReason;
			type AdminOrigin = frame_system::EnsureRoot<u64>;
			type TreasuryAccount = TreasuryAccount;
			type Hooks = Providers;
			type DefaultConfig = CollateralDefaults;
			type MaxUnlockingChunks = frame_support::traits::ConstU32<4>;
			type WeightInfo = ();
		}

		impl pallet_providers::Config for $runtime {
			type RuntimeEvent = RuntimeEvent;
			type Currency = Balances;
			type RuntimeHoldReason = RuntimeHoldReason;
			type Collateral = Collateral;
			type AdminOrigin = frame_system::EnsureRoot<u64>;
			type DefaultConfig = ProvidersDefaults;
			type WeightInfo = ();
		}
	};
}

/// `pallet_escrow` for a mock runtime `$runtime`, paying fees to the mock's `TreasuryAccount`.
#[macro_export]
macro_rules! impl_escrow {
	($runtime:ident) => {
		impl pallet_escrow::Config for $runtime {
			type RuntimeEvent = RuntimeEvent;
			type Currency = Balances;
			type RuntimeHoldReason = RuntimeHoldReason;
			type TreasuryAccount = TreasuryAccount;
		}
	};
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn fixture_machines_are_valid_profiles() {
		for profile in [l4(), cpu_only(l4())] {
			assert_eq!(profile.validate(8), Ok(()));
		}
		assert!(!cpu_only(l4()).backends.cuda);
		assert_eq!(content(b"abc", "https://x").len, 3);
	}
}
