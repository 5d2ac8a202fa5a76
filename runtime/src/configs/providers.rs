//! The provider pallets: Collateral (bonds, unbonding, slashing) and Providers (the registry).

use crate::{
	currency::*, time::DAYS, AccountId, Balance, Balances, BlockNumber, Collateral, Providers,
	Runtime, RuntimeEvent, RuntimeHoldReason,
};
use frame_support::{parameter_types, traits::ConstU32};
use kiln_primitives::CollateralHooks;
use sp_runtime::Perbill;

parameter_types! {
	/// Used until genesis or governance sets a configuration.
	pub CollateralDefaults: pallet_collateral::ConfigRecord<Balance, BlockNumber> =
		pallet_collateral::ConfigRecord {
			min_bond: 10 * KILN,
			unbonding_period: 7 * DAYS,
			slash_reward_share: Perbill::from_percent(10),
		};
	/// Used until genesis or governance sets a configuration.
	pub ProvidersDefaults: pallet_providers::ConfigRecord<Balance> =
		pallet_providers::ConfigRecord {
			min_bond_per_gpu: 100 * KILN,
			deposit_base: KILN,
			deposit_per_byte: MILLI_KILN,
			max_gpus: 64,
		};
}

/// Who uses the bonds: the registry (each provider's minimum bond, pausing the underbonded,
/// jobs in flight) and proof of compute (an open hardware challenge, whose failure slashes
/// `slash_failed_challenge`). A provider cannot withdraw while either may still slash it, so
/// no `unbonding_period`, however short, takes collateral out of reach of a verdict.
pub struct BondUsers;

impl CollateralHooks<AccountId, Balance> for BondUsers {
	fn minimum_bond(who: &AccountId) -> Balance {
		<Providers as CollateralHooks<AccountId, Balance>>::minimum_bond(who)
	}

	fn on_slashed(who: &AccountId, remaining: Balance) {
		<Providers as CollateralHooks<AccountId, Balance>>::on_slashed(who, remaining)
	}

	fn on_forfeited(who: &AccountId, remaining: Balance) {
		<Providers as CollateralHooks<AccountId, Balance>>::on_forfeited(who, remaining)
	}

	fn has_work_in_flight(who: &AccountId) -> bool {
		<Providers as CollateralHooks<AccountId, Balance>>::has_work_in_flight(who)
			|| crate::ProofOfCompute::has_open_challenge(who)
	}
}

// `configure`: Root or a 2/3 Council motion (`super::AdminOrigin`).
impl pallet_collateral::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = super::AdminOrigin;
	type TreasuryAccount = super::TreasuryAccount;
	type Hooks = BondUsers;
	type DefaultConfig = CollateralDefaults;
	type MaxUnlockingChunks = ConstU32<16>;
	type WeightInfo = pallet_collateral::weights::SubstrateWeight<Runtime>;
}

impl pallet_providers::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Collateral = Collateral;
	type AdminOrigin = super::AdminOrigin;
	type DefaultConfig = ProvidersDefaults;
	type WeightInfo = pallet_providers::weights::SubstrateWeight<Runtime>;
}
