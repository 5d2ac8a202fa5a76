//! Proof of compute: PoC-GEMM hardware challenges, sampling of `Gemm` results, spot-checks of
//! other results and disputes; the market's verification policy.

use crate::{
	currency::*, time::MINUTES, Balance, Balances, BlockNumber, Collateral, Market, Providers,
	Runtime, RuntimeEvent,
};
use frame_support::{parameter_types, traits::ConstU32};
use pallet_proof_of_compute::ConfigRecord;
use sp_runtime::Perbill;

/// Most agenda entries (challenge steps, spot-check steps) one block handles.
pub const MAX_AGENDA_PER_BLOCK: u32 = 64;

/// Blocks of BABE randomness every draw mixes: a block author knows its own VRF output before
/// it publishes its block, so a draw must not be predictable from one block's
/// (pallets/proof-of-compute/README.md, "Where draws come from").
pub const ENTROPY_BLOCKS: u32 = 3;

parameter_types! {
	/// Used until genesis or governance sets a configuration (SPEC §4 defaults: 32 samples,
	/// a 10-block reveal window, a slash on a failure or no-show).
	pub ProofOfComputeDefaults: ConfigRecord<Balance, BlockNumber> = ConfigRecord {
		challenge_rate: Perbill::from_percent(1),
		providers_per_block: 4,
		// 275 G multiply-adds: well under a second on a data-centre GPU, many seconds on a
		// CPU; C is 64 MiB, 262 144 leaves (proofs of 18 hashes).
		m: 4_096,
		n: 4_096,
		k: 8_192,
		// 4.3 G multiply-adds, 1/64 of the GPU shape: about a second on two cores of a
		// current x86 CPU with the worker's CPU backend, well inside `commit_blocks`; C is
		// 4 MiB, 16 384 leaves.
		cpu_m: 1_024,
		cpu_n: 1_024,
		cpu_k: 4_096,
		commit_blocks: 3,
		reveal_blocks: 10,
		samples: 32,
		slash_failed_challenge: 10 * KILN,
		// 30 %: with the market's 500 % job collateral, cheating loses even against a
		// coalition with a third of the block authors or verifiers (tests_economics.rs).
		spot_check_probability: Perbill::from_percent(30),
		verifier_blocks: 10 * MINUTES,
		slash_wrong_result: 20 * KILN,
	};
}

/// BABE's randomness of the parent block, known since the parent block.
pub type ChallengeRandomness = pallet_babe::ParentBlockRandomness<Runtime>;

#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_proof_of_compute::BenchmarkHelper for BenchmarkHelper {
	fn make_randomness_available() {
		pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some([7u8; 32]));
	}
}

// `configure`: Root or a 2/3 Council motion (`super::AdminOrigin`).
impl pallet_proof_of_compute::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type Market = Market;
	type Registry = Providers;
	type Collateral = Collateral;
	type Randomness = ChallengeRandomness;
	type AdminOrigin = super::AdminOrigin;
	type DefaultConfig = ProofOfComputeDefaults;
	type MaxAgendaPerBlock = ConstU32<MAX_AGENDA_PER_BLOCK>;
	type EntropyBlocks = ConstU32<ENTROPY_BLOCKS>;
	type WeightInfo = pallet_proof_of_compute::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkHelper;
}
