//! A runtime with System, Balances and the real Collateral, Providers and Escrow pallets
//! wired to the market as the real runtime wires them.

use crate::{self as pallet_market, CollateralRule, ConfigRecord, SettleAfterWindow};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Hooks},
};
use frame_system::EnsureRoot;
use kiln_primitives::{Backend, ContentRef, HardwareProfile, JobSpec, Requirements, Workload};
use sp_runtime::{BuildStorage, Perbill};

pub type AccountId = u64;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Collateral: pallet_collateral,
		Providers: pallet_providers,
		Escrow: pallet_escrow,
		Market: pallet_market,
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
kiln_test_fixtures::impl_collateral_and_providers!(Test);
kiln_test_fixtures::impl_escrow!(Test);

pub const ED: Balance = 10;
pub const TREASURY: AccountId = 999;
pub const CLIENT: AccountId = 1;
pub const OTHER_CLIENT: AccountId = 2;
/// Registered providers (1 GPU each) after [`new_test_ext`].
pub const P1: AccountId = 11;
pub const P2: AccountId = 12;
pub const P3: AccountId = 13;
/// Funded, not registered.
pub const STRANGER: AccountId = 20;
pub const INITIAL_BALANCE: Balance = 100_000;
pub const PROVIDER_BOND: Balance = 1_000;
pub const MIN_BOND_PER_GPU: Balance = 200;
pub const VERIFICATION_FEE: Balance = 50;
pub const DEPOSIT_BASE: Balance = 30;
pub const BIDDING: u64 = 5;
pub const EXECUTION: u64 = 10;
pub const WINDOW: u64 = 3;
pub const RETENTION: u64 = 5;
pub const MAX_BIDS: u32 = 4;
pub const MAX_JOBS_PER_BLOCK: u32 = 3;
pub const BID_DEPOSIT: Balance = 25;
/// The least price of a job that counts towards reputation.
pub const REPUTATION_MIN_PRICE: Balance = 100;

parameter_types! {
	pub const ExistentialDeposit: Balance = ED;
	pub const TreasuryAccount: AccountId = TREASURY;
	pub CollateralDefaults: pallet_collateral::ConfigRecord<Balance, u64> =
		pallet_collateral::ConfigRecord {
			min_bond: 100,
			unbonding_period: 10,
			slash_reward_share: Perbill::from_percent(10),
		};
	pub ProvidersDefaults: pallet_providers::ConfigRecord<Balance> =
		pallet_providers::ConfigRecord {
			min_bond_per_gpu: MIN_BOND_PER_GPU,
			deposit_base: 20,
			deposit_per_byte: 1,
			max_gpus: 16,
		};
	pub MarketDefaults: ConfigRecord<Balance, u64> = market_config();
}

pub fn market_config() -> ConfigRecord<Balance, u64> {
	ConfigRecord {
		bidding_blocks: (2, 20),
		execution_blocks: (2, 50),
		protocol_fee: Perbill::from_percent(10),
		verification_fee: VERIFICATION_FEE,
		job_collateral: CollateralRule { fixed: 100, percent_of_price: 100 },
		slash_missed_deadline: Perbill::from_percent(50),
		verification_window: WINDOW,
		second_price: false,
		max_bids_per_job: MAX_BIDS,
		deposit_base: DEPOSIT_BASE,
		deposit_per_byte: 1,
		retention_blocks: RETENTION,
		bid_deposit: BID_DEPOSIT,
		// The flat fee only: the tests' amounts stay simple (`tests_verification_pay` turns the
		// share on).
		verification_percent: 0,
		reputation_min_price: REPUTATION_MIN_PRICE,
	}
}

impl pallet_market::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = Providers;
	type Collateral = Collateral;
	type Escrow = Escrow;
	type Verification = SettleAfterWindow;
	type AdminOrigin = EnsureRoot<AccountId>;
	type DefaultConfig = MarketDefaults;
	type MaxBidsPerJob = ConstU32<MAX_BIDS>;
	type MaxJobsPerBlock = ConstU32<MAX_JOBS_PER_BLOCK>;
	type WeightInfo = ();
}

/// Accounts 1–30 hold [`INITIAL_BALANCE`]; P1–P3 have bonded [`PROVIDER_BOND`] and registered
/// one RTX 4090 in Germany; the Treasury exists.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<_> = (1..=30).map(|a| (a, INITIAL_BALANCE)).collect();
	balances.push((TREASURY, ED));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		for p in [P1, P2, P3] {
			register(p, profile(1, 24_564, 89, *b"DE"));
		}
	});
	ext
}

/// Bonds [`PROVIDER_BOND`] for `who` and registers `profile`.
pub fn register(who: AccountId, profile: HardwareProfile) {
	Collateral::bond(RuntimeOrigin::signed(who), PROVIDER_BOND).unwrap();
	Providers::register(RuntimeOrigin::signed(who), profile, kiln_test_fixtures::endpoint())
		.unwrap();
}

/// The invariants of every pallet in the mock.
pub fn try_state() {
	Market::do_try_state().expect("market try_state");
	Escrow::do_try_state().expect("escrow try_state");
	pallet_collateral::Pallet::<Test>::do_try_state().expect("collateral try_state");
	Providers::do_try_state().expect("providers try_state");
}

/// Runs `test` and then every pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		try_state();
	});
}

/// Starts each block up to `n` as the runtime would (the market's agenda runs).
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Market::on_initialize(next);
	}
}

/// `gpus` RTX 4090-like GPUs with `vram_mib` and compute capability `cc` in `region`.
pub fn profile(gpus: u16, vram_mib: u32, cc: u16, region: [u8; 2]) -> HardwareProfile {
	let gpu = kiln_test_fixtures::gpu("NVIDIA GeForce RTX 4090", vram_mib, cc, gpus);
	kiln_test_fixtures::machine(vec![gpu], 16, 65_536, region)
}

pub fn requirements() -> Requirements {
	Requirements {
		min_vram_mib: 16_000,
		min_compute_capability: 80,
		gpu_count: 1,
		backend: Backend::Cuda,
		region: None,
		min_reputation: Perbill::zero(),
	}
}

/// A GEMM job for one GPU paying at most `max_price`.
pub fn spec(max_price: Balance) -> JobSpec<Balance, u64> {
	JobSpec {
		workload: Workload::Gemm { m: 1_024, n: 1_024, k: 4_096, seed: [7; 32] },
		requirements: requirements(),
		max_price,
		bidding_blocks: BIDDING,
		execution_blocks: EXECUTION,
	}
}

pub fn output(bytes: &[u8]) -> ContentRef {
	kiln_test_fixtures::content(bytes, "https://worker.example.org/out")
}

pub fn events() -> Vec<pallet_market::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Market(e) = r.event { Some(e) } else { None })
		.collect()
}

pub fn last_event() -> pallet_market::Event<Test> {
	events().pop().expect("a market event")
}
