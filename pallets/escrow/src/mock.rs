//! A runtime with System, Balances and Escrow.

use crate as pallet_escrow;
use frame_support::{derive_impl, parameter_types};
use sp_runtime::BuildStorage;

pub type AccountId = u64;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_escrow,
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
pub const CLIENT: AccountId = 1;
pub const OTHER_CLIENT: AccountId = 2;
pub const PROVIDER: AccountId = 3;
pub const VERIFIER: AccountId = 4;

parameter_types! {
	pub const ExistentialDeposit: Balance = ED;
	pub const TreasuryAccount: AccountId = TREASURY;
}

kiln_test_fixtures::impl_escrow!(Test);

/// Clients 1 and 2 hold 1 000 each, the provider 100; the verifier (4) does not exist yet;
/// the Treasury exists.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(CLIENT, 1_000), (OTHER_CLIENT, 1_000), (PROVIDER, 100), (TREASURY, ED)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` and then the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Escrow::do_try_state().expect("try_state after the test");
	});
}

pub fn events() -> Vec<pallet_escrow::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Escrow(e) = r.event { Some(e) } else { None })
		.collect()
}
