//! A runtime with System, Balances, the real Collateral pallet (wired to this registry as the
//! real runtime does) and Providers.

use crate::{self as pallet_providers, ConfigRecord};
use frame_support::{derive_impl, parameter_types};
use kiln_primitives::HardwareProfile;
use sp_runtime::{BuildStorage, Perbill};

pub type AccountId = u64;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Collateral: pallet_collateral,
		Providers: pallet_providers,
	}
);

type Block = frame_system::mocking::MockBlock<Test>;

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExistentialDeposit = ExistentialDeposit;
}

pub const ED: Balance = 10;
pub const TREASURY: AccountId = 999;
pub const MIN_BOND: Balance = 100;
pub const MIN_BOND_PER_GPU: Balance = 200;
pub const DEPOSIT_BASE: Balance = 20;
pub const DEPOSIT_PER_BYTE: Balance = 1;
pub const UNBONDING_PERIOD: u64 = 10;
pub const MAX_GPUS: u32 = 16;
/// What every test account starts with.
pub const INITIAL_BALANCE: Balance = 10_000;

parameter_types! {
	pub const ExistentialDeposit: Balance = ED;
	pub const TreasuryAccount: AccountId = TREASURY;
	pub CollateralDefaults: pallet_collateral::ConfigRecord<Balance, u64> =
		pallet_collateral::ConfigRecord {
			min_bond: MIN_BOND,
			unbonding_period: UNBONDING_PERIOD,
			slash_reward_share: Perbill::from_percent(10),
		};
	pub ProvidersDefaults: ConfigRecord<Balance> = ConfigRecord {
		min_bond_per_gpu: MIN_BOND_PER_GPU,
		deposit_base: DEPOSIT_BASE,
		deposit_per_byte: DEPOSIT_PER_BYTE,
		max_gpus: MAX_GPUS,
	};
}

kiln_test_fixtures::impl_collateral_and_providers!(Test);

/// Accounts 1–8 hold [`INITIAL_BALANCE`] each, 9 holds 50; the Treasury exists.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<_> = (1..=8).map(|a| (a, INITIAL_BALANCE)).collect();
	balances.extend([(9, 50), (TREASURY, ED)]);
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Both pallets' invariants.
pub fn try_state() {
	pallet_collateral::Pallet::<Test>::do_try_state().expect("collateral try_state");
	Providers::do_try_state().expect("providers try_state");
}

/// Runs `test` and then both pallets' invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		try_state();
	});
}

pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		System::set_block_number(System::block_number() + 1);
	}
}

pub use kiln_test_fixtures::gpu;

/// A machine with `count` RTX 4090s in Germany, CUDA and CPU.
pub fn profile(count: u16) -> HardwareProfile {
	kiln_test_fixtures::machine(
		vec![gpu("NVIDIA GeForce RTX 4090", 24_564, 89, count)],
		16,
		65_536,
		*b"DE",
	)
}

pub fn endpoint(url: &str) -> kiln_primitives::Endpoint {
	url.as_bytes().to_vec().try_into().unwrap()
}

pub fn events() -> Vec<pallet_providers::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Providers(e) = r.event { Some(e) } else { None })
		.collect()
}
