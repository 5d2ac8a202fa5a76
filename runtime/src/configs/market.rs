//! The market pallets: Market (jobs and reverse auctions) and Escrow (the clients' funds).

use crate::{
	currency::*,
	time::{DAYS, HOURS, MINUTES},
	AccountId, Balance, Balances, BlockNumber, Collateral, Escrow, Providers, Runtime,
	RuntimeEvent, RuntimeHoldReason,
};
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
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
		job_collateral: CollateralRule { fixed: KILN, percent_of_price: 100 },
		slash_missed_deadline: Perbill::from_percent(50),
		verification_window: MINUTES,
		second_price: false,
		max_bids_per_job: MAX_BIDS_PER_JOB,
		deposit_base: 100 * MILLI_KILN,
		deposit_per_byte: 100 * MICRO_KILN,
		retention_blocks: DAYS,
	};
}

impl pallet_escrow::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type TreasuryAccount = super::TreasuryAccount;
}

// TODO(governance issue): AdminOrigin becomes Root or a 2/3 Council motion (see providers.rs).
impl pallet_market::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = Providers;
	type Collateral = Collateral;
	type Escrow = Escrow;
	// Until proof-of-compute lands: settle `verification_window` after the reveal, unchecked.
	type Verification = pallet_market::SettleAfterWindow;
	type AdminOrigin = EnsureRoot<AccountId>;
	type DefaultConfig = MarketDefaults;
	type MaxBidsPerJob = ConstU32<MAX_BIDS_PER_JOB>;
	type MaxJobsPerBlock = ConstU32<MAX_JOBS_PER_BLOCK>;
	type WeightInfo = pallet_market::weights::SubstrateWeight<Runtime>;
}
