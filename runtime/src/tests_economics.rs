//! The adversarial economics test of issue 11, against the wired runtime with its default
//! market and proof-of-compute parameters.
//!
//! For each price, each strategy plays whole jobs through the real pallets (Market, Escrow,
//! Collateral, Providers, ProofOfCompute), block by block, with the other parties honest. A
//! spot-check draw has two outcomes, so each strategy is played in both worlds (the job drawn
//! for a check, and not drawn) and its expected result is weighted by the chance of each:
//! `spot_check_probability`, or less for a coalition that holds a third of the block authors
//! and withholds each of its blocks that would end a draw's window with a check
//! ([`checked_despite_withholding`]). A provider with an accomplice among the verifiers gets
//! it as its first verifier with a third's chance; a provider dealing with its own client is
//! weighed with the client's wallet. What a strategy earns is the change of the account's
//! whole balance (free and held), before any cost of computing: a deviation that loses money
//! outright loses against honesty at any cost of compute.
//!
//! The table is printed for pallets/proof-of-compute/README.md. Asserted: every deviation
//! loses money at every price, for every coalition up to a third ([`COALITION_SHARE`]), and no
//! honest account is ever slashed. A block author holding every slot is outside the model: its
//! figures are printed, not asserted.

use crate::{
	configs::{MarketDefaults, ProofOfComputeDefaults},
	currency::KILN,
	AccountId, AllPalletsWithSystem, Balance, Balances, Runtime, RuntimeOrigin, System,
};
use frame_support::{
	assert_ok,
	traits::{fungible::Mutate, OnInitialize},
};
use kiln_primitives::{result_commitment, ContentRef, JobId, JobSpec, Requirements, Workload};
use pallet_market::{JobState, Jobs, RevealRequest};
use pallet_proof_of_compute::{SpotCheckStage, SpotChecks};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::{BlakeTwo256, Hash},
	Perbill,
};

/// What the provider of the job does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Provider {
	/// Computes and reveals the right result.
	Honest,
	/// Reveals a made-up result without computing.
	Wrong,
	/// A made-up result, and no reveal once drawn for a check.
	SilentWhenDrawn,
}

/// What the first verifier drawn does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verifier {
	/// Re-executes and reveals the right result.
	Honest,
	/// Commits a guess without re-executing.
	Lazy,
	/// Never commits.
	Silent,
	/// The provider's accomplice: answers what the provider answered, without re-executing.
	Accomplice,
}

/// The largest share of block authorship, and of the verifier draws for a job, that a
/// coalition is assumed to hold: a third. GRANDPA's finality already assumes less than a third
/// of the validators faulty, and a third of the registered providers able to run a job is a
/// Sybil investment of a third of the registry's bonds. Above it the tables below do not hold
/// (pallets/proof-of-compute/README.md, "What cheating earns").
const COALITION_SHARE: f64 = 1.0 / 3.0;

/// The chance that a job is checked when a coalition with `share` of the block authors
/// withholds every block of its own that would end a draw's window with a check: a block by
/// an outside author decides with the spot-check probability `q`; one of the coalition's
/// (chance `share`) is published only when it draws no check, and otherwise replaced by the
/// next author's. So `x = (1 − share)·q + share·q·x`.
fn checked_despite_withholding(q: f64, share: f64) -> f64 {
	(1.0 - share) * q / (1.0 - share * q)
}

const PROVIDER: Sr25519Keyring = Sr25519Keyring::Bob;
const CLIENT: Sr25519Keyring = Sr25519Keyring::Charlie;

fn account(seed: u8) -> AccountId {
	AccountId::from([seed; 32])
}

/// Honest verifiers (and the one playing a strategy, whichever is drawn first).
fn verifiers() -> Vec<AccountId> {
	(100..108).map(account).collect()
}

fn content(tag: &[u8]) -> ContentRef {
	kiln_test_fixtures::content(tag, "https://worker.example.org/out")
}

pub(crate) use kiln_test_fixtures::l4 as profile;

/// Everything held and free.
fn wealth(who: &AccountId) -> i128 {
	<Balances as frame_support::traits::fungible::Inspect<AccountId>>::total_balance(who) as i128
}

pub(crate) fn signed(who: &AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.clone())
}

/// Starts the next block with BABE's randomness for its parent (what `ParentBlockRandomness`
/// reads), as a block author would have revealed it.
pub(crate) fn next_block() {
	let n = System::block_number() + 1;
	System::set_block_number(n);
	let vrf = BlakeTwo256::hash(&(n - 1).to_le_bytes()).0;
	pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some(vrf));
	AllPalletsWithSystem::on_initialize(n);
}

/// The development chain with the default market and proof-of-compute parameters (hardware
/// challenges off: they are not part of a job), spot-checks drawn with `chance`; the provider,
/// the client and the verifiers funded, bonded and registered.
fn world(chance: Perbill) -> sp_io::TestExternalities {
	let mut ext = crate::tests::preset_ext("development");
	ext.execute_with(|| {
		assert_ok!(crate::Market::configure(RuntimeOrigin::root(), MarketDefaults::get()));
		let mut poc = ProofOfComputeDefaults::get();
		poc.challenge_rate = Perbill::zero();
		poc.spot_check_probability = chance;
		assert_ok!(crate::ProofOfCompute::configure(RuntimeOrigin::root(), poc));
		let provider = PROVIDER.to_account_id();
		let mut providers = verifiers();
		providers.push(provider);
		for who in &providers {
			Balances::set_balance(who, 10_000_000 * KILN);
			assert_ok!(crate::Collateral::bond(signed(who), 1_000_000 * KILN));
			let endpoint = kiln_test_fixtures::endpoint();
			assert_ok!(crate::Providers::register(signed(who), profile(), endpoint));
		}
		Balances::set_balance(&CLIENT.to_account_id(), 10_000_000 * KILN);
		// Enough blocks for every draw's window.
		for _ in 0..5 {
			next_block();
		}
	});
	ext
}

/// What one job did to the accounts playing it.
struct Played {
	/// The provider's wealth change.
	provider: i128,
	/// The first verifier drawn and its wealth change.
	first: Option<(AccountId, i128)>,
	/// Every account slashed.
	slashed: Vec<AccountId>,
	/// The client's wealth change.
	client: i128,
}

/// Plays one job at `price` to its end.
fn play(price: Balance, provider: Provider, first: Verifier) -> Played {
	let who = PROVIDER.to_account_id();
	let client = CLIENT.to_account_id();
	let spec = JobSpec {
		workload: Workload::Wasm { module: content(b"module"), input: content(b"input"), fuel: 1 },
		requirements: Requirements::any_cpu(),
		max_price: price,
		bidding_blocks: MarketDefaults::get().bidding_blocks.0,
		execution_blocks: MarketDefaults::get().execution_blocks.0 * 60,
	};
	assert_ok!(crate::Market::create_job(signed(&client), spec));
	let job: JobId = pallet_market::Pallet::<Runtime>::next_job_id() - 1;
	assert_ok!(crate::Market::place_bid(signed(&who), job, price));
	let before: Vec<(AccountId, i128)> = verifiers()
		.into_iter()
		.chain([who.clone(), client.clone()])
		.map(|a| (a.clone(), wealth(&a)))
		.collect();
	let bytes: &[u8] = match provider {
		Provider::Honest => b"the right output",
		_ => b"made up",
	};
	let output = content(bytes);
	let truth = content(b"the right output").hash;
	let salt = [7; 32];
	let mut first_verifier: Option<AccountId> = None;
	let mut committed = false;
	for _ in 0..2_000 {
		next_block();
		let Some(record) = Jobs::<Runtime>::get(job) else { break };
		if record.state.ended_at().is_some() {
			break;
		}
		let check = SpotChecks::<Runtime>::get(job);
		match record.state {
			JobState::Awarded if !committed => {
				let commitment = result_commitment(&output.hash, &salt);
				assert_ok!(crate::Market::commit_result(signed(&who), job, commitment));
				committed = true;
			},
			JobState::Committed { reveal, .. } if reveal != RevealRequest::NotYet => {
				let silent = provider == Provider::SilentWhenDrawn && check.is_some();
				if !silent {
					assert_ok!(crate::Market::reveal_result(
						signed(&who),
						job,
						output.clone(),
						salt
					));
				}
			},
			_ => {},
		}
		let Some(check) = SpotChecks::<Runtime>::get(job) else { continue };
		// A blind dispute: the provider answers the dispute answer of its output.
		if let Some(nonce) = check.nonce {
			let answer = kiln_primitives::dispute_answer(bytes, &nonce);
			match check.stage {
				SpotCheckStage::Committing if check.provider_commitment.is_none() => {
					let commitment = result_commitment(&answer, &salt);
					assert_ok!(crate::ProofOfCompute::commit_spot_check(
						signed(&who),
						job,
						commitment
					));
				},
				SpotCheckStage::Revealing if check.provider_answer.is_none() => {
					assert_ok!(crate::ProofOfCompute::reveal_spot_check(
						signed(&who),
						job,
						answer,
						salt
					));
				},
				_ => {},
			}
		}
		let Some(check) = SpotChecks::<Runtime>::get(job) else { continue };
		for v in check.active() {
			let account = v.account.clone();
			let strategy = match &first_verifier {
				None => {
					first_verifier = Some(account.clone());
					first
				},
				Some(f) if *f == account => first,
				Some(_) => Verifier::Honest,
			};
			let vsalt = [9; 32];
			let answer = match (strategy, check.nonce) {
				(Verifier::Lazy, _) => BlakeTwo256::hash(b"a guess").0,
				(Verifier::Accomplice, None) => output.hash,
				(Verifier::Accomplice, Some(nonce)) => {
					kiln_primitives::dispute_answer(bytes, &nonce)
				},
				(_, None) => truth,
				(_, Some(nonce)) => kiln_primitives::dispute_answer(b"the right output", &nonce),
			};
			match check.stage {
				SpotCheckStage::Committing
					if v.commitment.is_none() && strategy != Verifier::Silent =>
				{
					let commitment = result_commitment(&answer, &vsalt);
					assert_ok!(crate::ProofOfCompute::commit_spot_check(
						signed(&account),
						job,
						commitment
					));
				},
				SpotCheckStage::Revealing if v.output.is_none() && v.commitment.is_some() => {
					assert_ok!(crate::ProofOfCompute::reveal_spot_check(
						signed(&account),
						job,
						answer,
						vsalt
					));
				},
				_ => {},
			}
		}
	}
	let state = Jobs::<Runtime>::get(job).expect("kept until dropped").state;
	assert!(state.ended_at().is_some(), "job {job} did not end: {state:?}");
	let slashed: Vec<AccountId> = System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			crate::RuntimeEvent::Collateral(pallet_collateral::Event::Slashed { who, .. }) => {
				Some(who)
			},
			_ => None,
		})
		.collect();
	let change = |a: &AccountId| {
		let start = before.iter().find(|(b, _)| b == a).map_or(0, |(_, w)| *w);
		wealth(a) - start
	};
	let played = Played {
		provider: change(&who),
		first: first_verifier.map(|f| {
			let gain = change(&f);
			(f, gain)
		}),
		slashed,
		client: change(&client),
	};
	assert_honest_not_slashed(provider, first, &played);
	played
}

/// What `gain` measures of a job played in each world: (drawn, not drawn).
fn worlds(
	price: Balance,
	provider: Provider,
	first: Verifier,
	gain: fn(&Played) -> i128,
) -> (i128, i128) {
	let drawn = world(Perbill::one()).execute_with(|| {
		let played = play(price, provider, first);
		assert!(played.first.is_some(), "drawn for a check");
		gain(&played)
	});
	let missed = world(Perbill::zero()).execute_with(|| {
		let played = play(price, provider, first);
		assert!(played.first.is_none(), "not drawn");
		gain(&played)
	});
	(drawn, missed)
}

/// The provider's wealth change in each world, the first verifier honest.
fn provider_worlds(price: Balance, provider: Provider) -> (i128, i128) {
	worlds(price, provider, Verifier::Honest, |p| p.provider)
}

/// An honest provider and every honest verifier are never slashed: only the provider when it
/// deviates, and only the first verifier when it does.
fn assert_honest_not_slashed(provider: Provider, first: Verifier, played: &Played) {
	for who in &played.slashed {
		if *who == PROVIDER.to_account_id() {
			assert_ne!(provider, Provider::Honest, "an honest provider was slashed");
		} else {
			let deviating = played.first.as_ref().filter(|_| first != Verifier::Honest);
			assert!(
				deviating.is_some_and(|(f, _)| f == who),
				"an honest verifier was slashed ({provider:?}, first verifier {first:?})"
			);
		}
	}
}

fn kiln(planck: f64) -> f64 {
	planck / KILN as f64
}

#[test]
fn every_deviation_loses_money_at_every_price_and_the_honest_are_never_slashed() {
	let q = f64::from(ProofOfComputeDefaults::get().spot_check_probability.deconstruct()) / 1e9;
	let expect = |(drawn, missed): (i128, i128), chance: f64| {
		chance * drawn as f64 + (1.0 - chance) * missed as f64
	};
	let withheld = checked_despite_withholding(q, COALITION_SHARE);
	println!(
		"spot-check probability {:.0} %, {:.1} % against a coalition with a third of the block \
		 authors; expected KILN per job, before the cost of computing",
		q * 100.0,
		withheld * 100.0
	);
	println!(
		"| price (KILN) | provider honest | wrong | silent when drawn | wrong + validator \
		 knowing the next block | wrong + validators withholding (⅓ of blocks) | wrong + \
		 accomplice verifier (⅓ of draws) | wrong, provider + its client | verifier honest | \
		 verifier lazy | verifier silent |"
	);
	println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
	let mut captured = Vec::new();
	for price_kiln in [1u128, 10, 100, 1_000, 100_000] {
		let price = price_kiln * KILN / 10;
		let honest = provider_worlds(price, Provider::Honest);
		let wrong = provider_worlds(price, Provider::Wrong);
		let silent = provider_worlds(price, Provider::SilentWhenDrawn);
		// A validator that knows the next block's VRF output learns nothing about a draw that
		// mixes several blocks: the draw is as likely as for anyone.
		let knowing = expect(wrong, q);
		let withholding = expect(wrong, withheld);
		// The accomplice is the first verifier drawn with a third's chance; the coalition
		// gains what both gain.
		let accomplice = world(Perbill::one()).execute_with(|| {
			let played = play(price, Provider::Wrong, Verifier::Accomplice);
			played.provider + played.first.expect("drawn for a check").1
		});
		let with_accomplice = q
			* (COALITION_SHARE * accomplice as f64 + (1.0 - COALITION_SHARE) * wrong.0 as f64)
			+ (1.0 - q) * wrong.1 as f64;
		let self_dealt =
			expect(worlds(price, Provider::Wrong, Verifier::Honest, |p| p.provider + p.client), q);
		let verifier = |first: Verifier| {
			world(Perbill::one()).execute_with(|| {
				play(price, Provider::Honest, first).first.expect("drawn for a check").1
			})
		};
		let (v_honest, v_lazy, v_silent) =
			(verifier(Verifier::Honest), verifier(Verifier::Lazy), verifier(Verifier::Silent));
		let (e_honest, e_wrong, e_silent) =
			(expect(honest, q), expect(wrong, q), expect(silent, q));
		println!(
			"| {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
			price_kiln as f64 / 10.0,
			kiln(e_honest),
			kiln(e_wrong),
			kiln(e_silent),
			kiln(knowing),
			kiln(withholding),
			kiln(with_accomplice),
			kiln(self_dealt),
			kiln(v_honest as f64),
			kiln(v_lazy as f64),
			kiln(v_silent as f64),
		);
		// Outside the model: a coalition that authors every block re-draws until no check.
		captured.push((price_kiln as f64 / 10.0, kiln(expect(wrong, q * q))));
		// The honest provider is paid in both worlds.
		assert!(honest.0 > 0 && honest.1 > 0, "{honest:?}");
		for (what, ev) in [
			("wrong", e_wrong),
			("silent when drawn", e_silent),
			("knowing", knowing),
			("withholding", withholding),
			("accomplice verifier", with_accomplice),
			("self-dealt", self_dealt),
		] {
			assert!(ev < 0.0, "{what} at {price_kiln}/10 KILN: {ev}");
			assert!(ev < e_honest, "{what} at {price_kiln}/10 KILN");
		}
		// Silence after a draw costs at least what a result found wrong costs (finding 1).
		assert!(silent.0 <= wrong.0, "silent {silent:?} wrong {wrong:?}");
		assert!(v_honest > 0);
		assert!(v_lazy < 0 && v_silent < 0, "lazy {v_lazy}, silent {v_silent}");
	}
	println!(
		"outside the model, one block author withholding every window's last block (q²): {}",
		captured.iter().map(|(p, ev)| format!("{p} KILN: {ev:.3}")).collect::<Vec<_>>().join(", ")
	);
}
