//! A runtime with System, Balances, the real Collateral, Providers, Escrow and Market pallets
//! (the market verified by this pallet, as in the runtime), and a randomness source the tests
//! control.

use crate::{self as pallet_proof_of_compute, ConfigRecord};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Hooks, Randomness},
};
use frame_system::EnsureRoot;
pub use kiln_test_fixtures::l4 as profile;
use sp_core::H256;
use sp_runtime::{
	traits::{BlakeTwo256, Hash},
	BuildStorage, Perbill,
};
use std::cell::Cell;

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
		ProofOfCompute: pallet_proof_of_compute,
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
pub const P1: AccountId = 11;
pub const P2: AccountId = 12;
pub const P3: AccountId = 13;
pub const BOND: Balance = 1_000;
pub const SLASH: Balance = 50;
pub const COMMIT_BLOCKS: u64 = 3;
pub const REVEAL_BLOCKS: u64 = 3;
pub const SAMPLES: u32 = 8;
pub const VERIFIER_BLOCKS: u64 = 4;
pub const SLASH_WRONG: Balance = 80;
pub const VERIFICATION_FEE: Balance = 60;
pub const CLIENT: AccountId = 1;

thread_local! {
	/// When false the randomness source has nothing to give (as BABE before its first VRF).
	pub static RANDOMNESS_AVAILABLE: Cell<bool> = const { Cell::new(true) };
	/// Mixed into the randomness of a block: a test sets one to stand for another author's
	/// (or a withheld block's) VRF output for that block.
	pub static VRF_SALTS: std::cell::RefCell<std::collections::BTreeMap<u64, u64>> =
		const { std::cell::RefCell::new(std::collections::BTreeMap::new()) };
}

/// Gives `block` another VRF output (as another author, or a replacement block, would).
pub fn salt_vrf(block: u64, salt: u64) {
	VRF_SALTS.with(|s| s.borrow_mut().insert(block, salt));
}

/// Blocks of randomness each draw mixes.
pub const ENTROPY_BLOCKS: u64 = 2;
/// Blocks from an event to the first hook that may draw for it.
pub const DRAW_DELAY: u64 = ENTROPY_BLOCKS + 1;

/// Like BABE's `ParentBlockRandomness`: a hash of the subject and the parent block (and
/// its salt in [`VRF_SALTS`]), known since the parent block.
pub struct TestRandomness;
impl Randomness<Option<H256>, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let parent = System::block_number().saturating_sub(1);
		let salt = VRF_SALTS.with(|s| s.borrow().get(&parent).copied().unwrap_or(0));
		let value = RANDOMNESS_AVAILABLE.with(Cell::get).then(|| {
			BlakeTwo256::hash(&[subject, &parent.to_le_bytes(), &salt.to_le_bytes()].concat())
		});
		(value, parent)
	}
}

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
			min_bond_per_gpu: 200,
			deposit_base: 20,
			deposit_per_byte: 1,
			max_gpus: 16,
		};
	pub PocDefaults: ConfigRecord<Balance, u64> = poc_config();
	pub MarketDefaults: pallet_market::ConfigRecord<Balance, u64> = market_config();
}

pub fn poc_config() -> ConfigRecord<Balance, u64> {
	ConfigRecord {
		challenge_rate: Perbill::one(),
		providers_per_block: 10,
		m: 16,
		n: 16,
		k: 8,
		cpu_m: 16,
		cpu_n: 8,
		cpu_k: 4,
		commit_blocks: COMMIT_BLOCKS,
		reveal_blocks: REVEAL_BLOCKS,
		samples: SAMPLES,
		slash_failed_challenge: SLASH,
		spot_check_probability: Perbill::zero(),
		verifier_blocks: VERIFIER_BLOCKS,
		slash_wrong_result: SLASH_WRONG,
	}
}

pub fn market_config() -> pallet_market::ConfigRecord<Balance, u64> {
	pallet_market::ConfigRecord {
		bidding_blocks: (2, 20),
		execution_blocks: (2, 50),
		protocol_fee: Perbill::from_percent(10),
		verification_fee: VERIFICATION_FEE,
		job_collateral: pallet_market::CollateralRule { fixed: 100, percent_of_price: 100 },
		slash_missed_deadline: Perbill::from_percent(50),
		verification_window: 2,
		second_price: false,
		max_bids_per_job: 8,
		deposit_base: 30,
		deposit_per_byte: 1,
		retention_blocks: 5,
		bid_deposit: 15,
		verification_percent: 0,
		// Every job counts, as before the floor.
		reputation_min_price: 0,
	}
}

impl pallet_market::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = Providers;
	type Collateral = Collateral;
	type Escrow = Escrow;
	type Verification = ProofOfCompute;
	type AdminOrigin = EnsureRoot<AccountId>;
	type DefaultConfig = MarketDefaults;
	type MaxBidsPerJob = ConstU32<8>;
	type MaxJobsPerBlock = ConstU32<8>;
	type WeightInfo = ();
}

impl pallet_proof_of_compute::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type Market = Market;
	type Registry = Providers;
	type Collateral = Collateral;
	type Randomness = TestRandomness;
	type AdminOrigin = EnsureRoot<AccountId>;
	type DefaultConfig = PocDefaults;
	type MaxAgendaPerBlock = ConstU32<8>;
	type EntropyBlocks = ConstU32<{ ENTROPY_BLOCKS as u32 }>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

/// P1–P3 have bonded [`BOND`] and registered one GPU; the Treasury exists; block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<_> = (1..=20).map(|a| (a, 100_000)).collect();
	balances.push((TREASURY, ED));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		RANDOMNESS_AVAILABLE.with(|r| r.set(true));
		VRF_SALTS.with(|s| s.borrow_mut().clear());
		// Block 1's hook recorded block 0's randomness (so block 2's hook can draw).
		ProofOfCompute::record_entropy(1);
		for p in [P1, P2, P3] {
			Collateral::bond(RuntimeOrigin::signed(p), BOND).unwrap();
			Providers::register(
				RuntimeOrigin::signed(p),
				profile(),
				kiln_test_fixtures::endpoint(),
			)
			.unwrap();
		}
	});
	ext
}

pub fn try_state() {
	ProofOfCompute::do_try_state().expect("proof-of-compute try_state");
	Market::do_try_state().expect("market try_state");
	Escrow::do_try_state().expect("escrow try_state");
	pallet_collateral::Pallet::<Test>::do_try_state().expect("collateral try_state");
	Providers::do_try_state().expect("providers try_state");
}

pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		try_state();
	});
}

/// Starts each block up to `n` (the market's hook, then this pallet's, as in the runtime),
/// checking the invariants after each.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Market::on_initialize(next);
		ProofOfCompute::on_initialize(next);
		try_state();
	}
}

pub fn events() -> Vec<pallet_proof_of_compute::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::ProofOfCompute(e) = r.event { Some(e) } else { None })
		.collect()
}
