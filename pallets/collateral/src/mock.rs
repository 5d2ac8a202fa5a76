//! A runtime with System, Balances and Collateral; the provider registry is mocked by
//! [`MockHooks`] (a per-account minimum bond and a log of slash notifications).

use crate::{self as pallet_collateral, ConfigRecord};
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use kiln_primitives::CollateralHooks;
use sp_runtime::{BuildStorage, Perbill};
use std::{cell::RefCell, collections::BTreeMap};

pub type AccountId = u64;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Collateral: pallet_collateral,
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
pub const UNBONDING_PERIOD: u64 = 10;
pub const MAX_CHUNKS: u32 = 4;

parameter_types! {
	pub const ExistentialDeposit: Balance = ED;
	pub const TreasuryAccount: AccountId = TREASURY;
	pub DefaultConfig: ConfigRecord<Balance, u64> = ConfigRecord {
		min_bond: MIN_BOND,
		unbonding_period: UNBONDING_PERIOD,
		slash_reward_share: Perbill::from_percent(10),
	};
}

thread_local! {
	static MINIMUM_BONDS: RefCell<BTreeMap<AccountId, Balance>> = const { RefCell::new(BTreeMap::new()) };
	static SLASH_NOTES: RefCell<Vec<(AccountId, Balance)>> = const { RefCell::new(Vec::new()) };
	static FORFEIT_NOTES: RefCell<Vec<(AccountId, Balance)>> = const { RefCell::new(Vec::new()) };
}

/// Stands in for the provider registry.
pub struct MockHooks;

impl MockHooks {
	pub fn set_minimum(who: AccountId, amount: Balance) {
		MINIMUM_BONDS.with(|m| m.borrow_mut().insert(who, amount));
	}
	/// `(who, remaining)` for each `on_slashed` call so far.
	pub fn slash_notes() -> Vec<(AccountId, Balance)> {
		SLASH_NOTES.with(|n| n.borrow().clone())
	}
	/// `(who, remaining)` for each `on_forfeited` call so far.
	pub fn forfeit_notes() -> Vec<(AccountId, Balance)> {
		FORFEIT_NOTES.with(|n| n.borrow().clone())
	}
}

impl CollateralHooks<AccountId, Balance> for MockHooks {
	fn minimum_bond(who: &AccountId) -> Balance {
		MINIMUM_BONDS.with(|m| m.borrow().get(who).copied().unwrap_or(0))
	}
	fn on_slashed(who: &AccountId, remaining: Balance) {
		SLASH_NOTES.with(|n| n.borrow_mut().push((*who, remaining)));
	}
	fn on_forfeited(who: &AccountId, remaining: Balance) {
		FORFEIT_NOTES.with(|n| n.borrow_mut().push((*who, remaining)));
	}
	fn has_work_in_flight(_: &AccountId) -> bool {
		false
	}
}

impl pallet_collateral::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type TreasuryAccount = TreasuryAccount;
	type Hooks = MockHooks;
	type DefaultConfig = DefaultConfig;
	type MaxUnlockingChunks = ConstU32<MAX_CHUNKS>;
	type WeightInfo = ();
}

/// Accounts 1–5 hold 1 000 each; 6 holds only the existential deposit; the Treasury exists.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(1, 1_000),
			(2, 1_000),
			(3, 1_000),
			(4, 1_000),
			(5, 1_000),
			(6, ED),
			(TREASURY, ED),
		],
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
		Collateral::do_try_state().expect("try_state after the test");
	});
}

pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		System::set_block_number(System::block_number() + 1);
	}
}

pub fn events() -> Vec<pallet_collateral::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Collateral(e) = r.event { Some(e) } else { None })
		.collect()
}
