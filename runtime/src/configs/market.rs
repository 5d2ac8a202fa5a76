//! The market pallets: Market (jobs and reverse auctions) and Escrow (the clients' funds).

use crate::{
	currency::*,
	time::{DAYS, HOURS, MINUTES},
	Balance, Balances, BlockNumber, Collateral, Escrow, ProofOfCompute, Providers, Runtime,
	RuntimeEvent, RuntimeHoldReason,
};
use frame_support::{parameter_types, traits::ConstU32};
use pallet_market::{CollateralRule, ConfigRecord};
use sp_runtime::Perbill;

/// Bound of a job's bid list.
pub const MAX_BIDS_PER_JOB: u32 = 32;
/// Most jobs one block's agenda holds (auction closes, deadlines and settlements together).
pub const MAX_JOBS_PER_BLOCK: u32 = 32;

parameter_types! {
	/// Used until genesis or governance sets a configuration.
	pub MarketDefaults: ConfigRecord<Balance, BlockNumber> = ConfigRecord {
		bidding_blocks: (MINUTES, HOURS),
		execution_blocks: (MINUTES, 7 * DAYS),
		protocol_fee: Perbill::from_percent(2),
		verification_fee: 100 * MILLI_KILN,
		// 500 %: with spot-checks at 30 %, a wrong result costs more than cheating can earn,
		// even for a coalition holding a third of the verifiers or of the block authors (300 %
		// held only against a lone cheater; see runtime/src/tests_economics.rs and
		// pallets/proof-of-compute/README.md).
		job_collateral: CollateralRule { fixed: KILN, percent_of_price: 500 },
		slash_missed_deadline: Perbill::from_percent(50),
		verification_window: MINUTES,
		second_price: false,
		max_bids_per_job: MAX_BIDS_PER_JOB,
		deposit_base: 100 * MILLI_KILN,
		deposit_per_byte: 100 * MICRO_KILN,
		retention_blocks: DAYS,
		// Blocking a job with a full list of bids that never run costs 32 KILN, paid to its
		// client (finding 8 of issue 11).
		bid_deposit: KILN,
		// A verifier that decides alone is paid the job's price on top of the fee, as much as
		// the provider for the same work (finding 7 of issue 11).
		verification_percent: 100,
		// A job counts towards its provider's reputation from 1 KILN: each counted job costs a
		// self-dealer at least the 0.02 KILN protocol fee (finding 9 of issue 11).
		reputation_min_price: KILN,
	};
}

impl pallet_escrow::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type TreasuryAccount = super::TreasuryAccount;
}

// `configure`: Root or a 2/3 Council motion (`super::AdminOrigin`).
impl pallet_market::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = Providers;
	type Collateral = Collateral;
	type Escrow = Escrow;
	// `Gemm` results sampled, others spot-checked (`pallet_market::SettleAfterWindow` would
	// settle every result `verification_window` after its reveal, unchecked).
	type Verification = ProofOfCompute;
	type AdminOrigin = super::AdminOrigin;
	type DefaultConfig = MarketDefaults;
	type MaxBidsPerJob = ConstU32<MAX_BIDS_PER_JOB>;
	type MaxJobsPerBlock = ConstU32<MAX_JOBS_PER_BLOCK>;
	type WeightInfo = pallet_market::weights::SubstrateWeight<Runtime>;
}
