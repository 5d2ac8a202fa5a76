//! Random sequences of bond / bond_extra / unbond / withdraw / register / update / pause /
//! resume / deregister / job start and end / lock / unlock / slash across several accounts
//! and blocks. After every step both pallets' `try_state` holds, a failed call changed no
//! storage, and no balance was created or destroyed: total issuance is constant, the accounts'
//! balances sum to it, and the Treasury gained exactly the slashed amounts not paid to
//! reporters.
//!
//! Deterministic: a failure prints the seed and the step, so it can be replayed.

use crate::mock::*;
use frame_support::traits::{
	fungible::{Inspect, InspectHold},
	UnfilteredDispatchable,
};
use kiln_primitives::{Collateral as _, Outcome, ProviderRegistry, SlashReason};
use sp_runtime::{DispatchResult, StateVersion};
use std::collections::BTreeMap;

const SEQUENCES: u64 = 2_000;
const STEPS: usize = 100;
const ACCOUNTS: u64 = 3;

/// SplitMix64: small, fast and good enough to pick test actions.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}
	/// Amounts around the interesting thresholds (min bond, bond per GPU, balances).
	fn amount(&mut self) -> Balance {
		match self.below(8) {
			0 => self.below(MIN_BOND + 1),
			1 => self.below(INITIAL_BALANCE + 1),
			2 | 3 => MIN_BOND_PER_GPU * (1 + self.below(4)),
			_ => MIN_BOND + self.below(1_000),
		}
	}
}

#[derive(Debug)]
enum Action {
	Bond(AccountId, Balance),
	BondExtra(AccountId, Balance),
	Unbond(AccountId, Balance),
	Withdraw(AccountId),
	Register(AccountId, u16),
	Update(AccountId, u16),
	Pause(AccountId),
	Resume(AccountId),
	Deregister(AccountId),
	JobStart(AccountId, Balance),
	JobEnd(AccountId, bool, Balance),
	Slash(AccountId, Balance, Option<AccountId>),
	Advance(u64),
}

fn random_action(rng: &mut Rng) -> Action {
	let who = 1 + rng.below(ACCOUNTS);
	// Weighted so that every call both succeeds and fails often.
	match rng.below(18) {
		0 | 1 => Action::Bond(who, rng.amount()),
		2 => Action::BondExtra(who, rng.amount()),
		3 | 4 => Action::Unbond(who, rng.amount()),
		5 => Action::Withdraw(who),
		6 | 7 => Action::Register(who, rng.below(4) as u16 + u16::from(rng.below(8) != 0)),
		8 => Action::Update(who, rng.below(5) as u16),
		9 => Action::Pause(who),
		10 | 11 => Action::Resume(who),
		12 => Action::Deregister(who),
		13 => Action::JobStart(who, rng.below(300)),
		14 => Action::JobEnd(who, rng.below(2) == 0, rng.below(300)),
		15 => {
			let reporter = match rng.below(3) {
				0 => None,
				1 => Some(1 + rng.below(ACCOUNTS)),
				// An account that does not exist yet.
				_ => Some(100 + rng.below(3)),
			};
			Action::Slash(who, rng.amount(), reporter)
		},
		_ => Action::Advance(1 + rng.below(UNBONDING_PERIOD)),
	}
}

fn dispatch(call: impl Into<RuntimeCall>, who: AccountId) -> DispatchResult {
	call.into().dispatch_bypass_filter(RuntimeOrigin::signed(who)).map(|_| ()).map_err(|e| e.error)
}

/// Free plus everything on hold, summed over every account that could hold anything.
fn sum_of_balances() -> Balance {
	let mut accounts: Vec<AccountId> = (1..=9).collect();
	accounts.extend([100, 101, 102, TREASURY]);
	accounts.iter().map(|a| Balances::balance(a) + Balances::total_balance_on_hold(a)).sum()
}

/// Applies one action; `None` for actions that are not calls (they cannot fail).
fn apply(action: &Action, treasury_due: &mut Balance) -> Option<DispatchResult> {
	use crate::Call as P;
	use pallet_collateral::Call as C;
	let url = endpoint("https://worker.example.org");
	Some(match *action {
		Action::Bond(who, amount) => dispatch(C::bond { amount }, who),
		Action::BondExtra(who, amount) => dispatch(C::bond_extra { amount }, who),
		Action::Unbond(who, amount) => dispatch(C::unbond { amount }, who),
		Action::Withdraw(who) => dispatch(C::withdraw_unbonded {}, who),
		Action::Register(who, gpus) => {
			dispatch(P::register { profile: profile(gpus), endpoint: url }, who)
		},
		Action::Update(who, gpus) => {
			dispatch(P::update_profile { profile: profile(gpus), endpoint: url }, who)
		},
		Action::Pause(who) => dispatch(P::pause {}, who),
		Action::Resume(who) => dispatch(P::resume {}, who),
		Action::Deregister(who) => dispatch(P::deregister {}, who),
		// What the market will do when it awards a job: lock collateral, count the job.
		Action::JobStart(who, collateral) => {
			if Providers::is_active(&who) && Collateral::lock(&who, collateral).is_ok() {
				assert_eq!(Providers::job_started(&who), Ok(()), "an active provider starts a job");
			}
			return None;
		},
		Action::JobEnd(who, completed, collateral) => {
			let in_flight = crate::Providers::<Test>::get(who).map_or(0, |r| r.jobs_in_flight);
			if in_flight > 0 {
				Collateral::unlock(&who, collateral);
				let outcome = if completed { Outcome::JobCompleted } else { Outcome::JobFailed };
				Providers::record_outcome(&who, outcome);
			}
			return None;
		},
		Action::Slash(who, amount, reporter) => {
			let before = reporter.map(|r| Balances::balance(&r));
			let slashed =
				Collateral::slash(&who, amount, SlashReason::WrongResult, reporter.as_ref());
			assert!(slashed <= amount);
			let reward = match (reporter, before) {
				(Some(r), Some(b)) => Balances::balance(&r) - b,
				_ => 0,
			};
			// The configured 10 %, or nothing when the reporter could not receive it.
			let share = sp_runtime::Perbill::from_percent(10) * slashed;
			assert!(reward == share || reward == 0, "reward {reward} for a slash of {slashed}");
			*treasury_due += slashed - reward;
			return None;
		},
		Action::Advance(blocks) => {
			run_to_block(System::block_number() + blocks);
			return None;
		},
	})
}

impl Action {
	fn name(&self) -> &'static str {
		match self {
			Action::Bond(..) => "bond",
			Action::BondExtra(..) => "bond_extra",
			Action::Unbond(..) => "unbond",
			Action::Withdraw(..) => "withdraw_unbonded",
			Action::Register(..) => "register",
			Action::Update(..) => "update_profile",
			Action::Pause(..) => "pause",
			Action::Resume(..) => "resume",
			Action::Deregister(..) => "deregister",
			Action::JobStart(..) => "job start",
			Action::JobEnd(..) => "job end",
			Action::Slash(..) => "slash",
			Action::Advance(..) => "advance",
		}
	}
}

/// Per call: how many times it succeeded and failed.
type Tally = BTreeMap<&'static str, (u32, u32)>;

fn run_sequence(seed: u64, tally: &mut Tally) {
	let mut rng = Rng(seed);
	new_test_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		let mut treasury_due = ED;
		for step in 0..STEPS {
			let action = random_action(&mut rng);
			let root_before = sp_io::storage::root(StateVersion::V1);
			let result = apply(&action, &mut treasury_due);
			let context = || format!("seed {seed}, step {step}: {action:?} -> {result:?}");
			match result {
				Some(Ok(())) => tally.entry(action.name()).or_default().0 += 1,
				Some(Err(_)) => {
					tally.entry(action.name()).or_default().1 += 1;
					assert_eq!(
						sp_io::storage::root(StateVersion::V1),
						root_before,
						"a failed call changed storage; {}",
						context()
					);
				},
				None => {},
			}
			pallet_collateral::Pallet::<Test>::do_try_state()
				.unwrap_or_else(|e| panic!("collateral try_state: {e:?}; {}", context()));
			Providers::do_try_state()
				.unwrap_or_else(|e| panic!("providers try_state: {e:?}; {}", context()));
			assert_eq!(Balances::total_issuance(), issuance, "issuance changed; {}", context());
			assert_eq!(sum_of_balances(), issuance, "balances do not add up; {}", context());
			assert_eq!(
				Balances::balance(&TREASURY),
				treasury_due,
				"the Treasury did not get what slashes sent it; {}",
				context()
			);
		}
	});
}

#[test]
fn random_sequences_keep_the_invariants_and_conserve_value() {
	let mut tally = Tally::new();
	for seed in 0..SEQUENCES {
		run_sequence(seed, &mut tally);
	}
	println!("{SEQUENCES} sequences of {STEPS} steps; per call (succeeded, failed): {tally:?}");
	// Every call must both succeed and fail often, or the test explores too little.
	for (call, (ok, failed)) in &tally {
		assert!(*ok >= 300 && *failed >= 300, "{call}: {ok} succeeded, {failed} failed");
	}
	assert_eq!(tally.len(), 9, "every call was tried");
}
