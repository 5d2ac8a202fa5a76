//! The market verified by this pallet: spot-checks (honest match, cheating provider, lazy and
//! colluding verifiers, no-shows), and `Gemm` jobs verified by sampling.

use crate::{mock::*, Configuration, DisputeOutcome, Error, Event, SpotCheckStage, SpotChecks};
use frame_support::{assert_noop, assert_ok};
use kiln_primitives::{
	dispute_answer,
	poc::{reference::Tree, Shape},
	result_commitment, Collateral as _, ContentRef, JobId, JobSpec, ProviderRegistry, Rejection,
	Requirements, Workload,
};
use pallet_market::{Event as MarketEvent, JobState, Jobs, RevealRequest};
use sp_runtime::Perbill;

pub const P4: AccountId = 14;
pub const P5: AccountId = 15;
pub const P6: AccountId = 16;
pub(crate) const PRICE: Balance = 500;
/// The job collateral at `PRICE` (the mock market's rule: 100 + 100 % of the price).
const JOB_COLLATERAL: Balance = 100 + PRICE;
pub(crate) const HONEST: &[u8] = b"the right output";
pub(crate) const WRONG: &[u8] = b"a made-up output";

/// Spot-checks every result (`probability`), no hardware challenges; P4–P6 registered too.
pub(crate) fn setup(probability: Perbill) {
	let mut config = Configuration::<Test>::get();
	config.challenge_rate = Perbill::zero();
	config.spot_check_probability = probability;
	assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), config));
	for p in [P4, P5, P6] {
		assert_ok!(Collateral::bond(RuntimeOrigin::signed(p), BOND));
		assert_ok!(Providers::register(
			RuntimeOrigin::signed(p),
			profile(),
			kiln_test_fixtures::endpoint(),
		));
	}
}

pub(crate) fn content(bytes: &[u8]) -> ContentRef {
	kiln_test_fixtures::content(bytes, "https://worker.example.org/out")
}

/// A CPU job anyone registered can run.
pub(crate) fn requirements() -> Requirements {
	Requirements::any_cpu()
}

/// A job of `workload` awarded to `provider` at `PRICE`, with an execution window shorter
/// than `verifier_blocks` (so verifiers get `verifier_blocks`).
pub(crate) fn awarded(provider: AccountId, workload: Workload) -> JobId {
	awarded_for(provider, workload, VERIFIER_BLOCKS - 1)
}

/// A job of `workload` awarded to `provider` at `PRICE` with `execution_blocks`.
pub(crate) fn awarded_for(provider: AccountId, workload: Workload, execution_blocks: u64) -> JobId {
	let spec = JobSpec {
		workload,
		requirements: requirements(),
		max_price: 1_000,
		bidding_blocks: 2,
		execution_blocks,
	};
	assert_ok!(Market::create_job(RuntimeOrigin::signed(CLIENT), spec));
	let job_id = pallet_market::Pallet::<Test>::next_job_id() - 1;
	assert_ok!(Market::place_bid(RuntimeOrigin::signed(provider), job_id, PRICE));
	run_to_block(System::block_number() + DRAW_DELAY);
	assert_eq!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Awarded);
	job_id
}

pub(crate) fn wasm_job(provider: AccountId) -> JobId {
	awarded(
		provider,
		Workload::Wasm { module: content(b"\0asm"), input: content(b"input"), fuel: 1_000 },
	)
}

pub(crate) fn salt(who: AccountId) -> [u8; 32] {
	[who as u8; 32]
}

pub(crate) fn commit(who: AccountId, job_id: JobId, output: &[u8]) {
	let commitment = result_commitment(&content(output).hash, &salt(who));
	assert_ok!(Market::commit_result(RuntimeOrigin::signed(who), job_id, commitment));
}

pub(crate) fn reveal(who: AccountId, job_id: JobId, output: &[u8]) {
	assert_ok!(Market::reveal_result(
		RuntimeOrigin::signed(who),
		job_id,
		content(output),
		salt(who)
	));
}

pub(crate) fn verifier_commit(who: AccountId, job_id: JobId, output: &[u8]) {
	let commitment = result_commitment(&content(output).hash, &salt(who));
	assert_ok!(ProofOfCompute::commit_spot_check(RuntimeOrigin::signed(who), job_id, commitment));
}

pub(crate) fn verifier_reveal(who: AccountId, job_id: JobId, output: &[u8]) {
	assert_ok!(ProofOfCompute::reveal_spot_check(
		RuntimeOrigin::signed(who),
		job_id,
		content(output).hash,
		salt(who),
	));
}

/// The first round: `v` commits `verified`, the provider reveals `revealed`, `v` reveals.
pub(crate) fn first_round(v: AccountId, job_id: JobId, revealed: &[u8], verified: &[u8]) {
	verifier_commit(v, job_id, verified);
	reveal(P1, job_id, revealed);
	verifier_reveal(v, job_id, verified);
}

/// The nonce of `job_id`'s dispute (`DisputeOpened`).
pub(crate) fn dispute_nonce(job_id: JobId) -> [u8; 32] {
	events()
		.into_iter()
		.find_map(|e| match e {
			Event::DisputeOpened { job_id: j, nonce, .. } if j == job_id => Some(nonce),
			_ => None,
		})
		.expect("DisputeOpened")
}

/// The blind round: each of `answers` commits its answer, then each reveals it.
pub(crate) fn blind_round(job_id: JobId, answers: &[(AccountId, [u8; 32])]) {
	for (who, answer) in answers {
		let commitment = result_commitment(answer, &salt(*who));
		assert_ok!(ProofOfCompute::commit_spot_check(
			RuntimeOrigin::signed(*who),
			job_id,
			commitment
		));
	}
	for (who, answer) in answers {
		assert_ok!(ProofOfCompute::reveal_spot_check(
			RuntimeOrigin::signed(*who),
			job_id,
			*answer,
			salt(*who)
		));
	}
}

/// The dispute: its two verifiers and its nonce are drawn (blocks after the mismatch), then
/// the panel, the first verifier (while counted) and the provider answer blind, each the
/// dispute answer of the output it computed; returns the panel.
pub(crate) fn dispute_round(
	job_id: JobId,
	first: &[u8],
	provider: &[u8],
	panel: [&[u8]; 2],
) -> Vec<AccountId> {
	let check = SpotChecks::<Test>::get(job_id).expect("a dispute");
	assert_eq!(check.stage, SpotCheckStage::Drawing);
	assert_eq!(assigned(job_id).len(), 1, "nobody drawn at the mismatch itself");
	run_to_block(check.next);
	let dispute: Vec<_> = assigned(job_id)[1..].to_vec();
	assert_eq!(dispute.len(), 2, "two more verifiers");
	let nonce = dispute_nonce(job_id);
	let check = SpotChecks::<Test>::get(job_id).unwrap();
	let mut answers: Vec<(AccountId, [u8; 32])> =
		dispute.iter().zip(panel).map(|(d, out)| (*d, dispute_answer(out, &nonce))).collect();
	let v = assigned(job_id)[0];
	if check.active().any(|x| x.account == v) {
		answers.push((v, dispute_answer(first, &nonce)));
	}
	answers.push((check.provider, dispute_answer(provider, &nonce)));
	blind_round(job_id, &answers);
	dispute
}

pub(crate) fn market_events() -> Vec<MarketEvent<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Market(e) = r.event { Some(e) } else { None })
		.collect()
}

/// The verifiers assigned to `job_id` so far, in order.
pub(crate) fn assigned(job_id: JobId) -> Vec<AccountId> {
	events()
		.into_iter()
		.filter_map(|e| match e {
			Event::SpotCheckAssigned { job_id: j, verifier, .. } if j == job_id => Some(verifier),
			_ => None,
		})
		.collect()
}

pub(crate) fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// The provider committed and the check was drawn: returns the first verifier.
pub(crate) fn drawn(provider: AccountId, job_id: JobId, output: &[u8]) -> AccountId {
	commit(provider, job_id, output);
	run_to_block(System::block_number() + DRAW_DELAY);
	let verifiers = assigned(job_id);
	assert_eq!(verifiers.len(), 1, "one verifier for the first round");
	assert_ne!(verifiers[0], provider);
	assert_ne!(verifiers[0], CLIENT);
	verifiers[0]
}

#[test]
fn an_honest_result_matched_by_the_verifier_is_paid_and_so_is_the_verifier() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let client_before =
			free(CLIENT) + pallet_market::Jobs::<Test>::get(job_id).unwrap().escrowed;
		let v = drawn(P1, job_id, HONEST);
		// The verifier's bond is locked while it verifies.
		assert_eq!(Collateral::free(&v), BOND - SLASH_WRONG);
		let verifier_before = free(v);
		verifier_commit(v, job_id, HONEST);
		assert!(market_events().contains(&MarketEvent::RevealRequested { job_id }));
		reveal(P1, job_id, HONEST);
		verifier_reveal(v, job_id, HONEST);

		assert!(events().contains(&Event::SpotCheckPassed { job_id, verifier: v }));
		assert_eq!(
			Jobs::<Test>::get(job_id).unwrap().state,
			JobState::Completed { at: System::block_number() }
		);
		assert_eq!(free(v), verifier_before + VERIFICATION_FEE);
		assert_eq!(Collateral::free(&v), BOND);
		// The client paid the price and the verification fee, nothing else.
		assert_eq!(free(CLIENT), client_before - PRICE - VERIFICATION_FEE);
		assert!(SpotChecks::<Test>::get(job_id).is_none());
	});
}

#[test]
fn a_lazy_verifier_cannot_copy_the_result_and_loses_the_dispute() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let v = drawn(P1, job_id, HONEST);
		// Before the verifier commits, the provider's result is not on chain and cannot be.
		assert_noop!(
			Market::reveal_result(RuntimeOrigin::signed(P1), job_id, content(HONEST), salt(P1)),
			pallet_market::Error::<Test>::RevealNotRequested
		);
		assert!(matches!(
			Jobs::<Test>::get(job_id).unwrap().state,
			JobState::Committed { reveal: RevealRequest::NotYet, .. }
		));
		assert_eq!(SpotChecks::<Test>::get(job_id).unwrap().provider_output, None);
		// So the lazy verifier guesses; once it has committed it cannot change its answer.
		verifier_commit(v, job_id, b"a guess");
		reveal(P1, job_id, HONEST);
		assert_noop!(
			ProofOfCompute::reveal_spot_check(
				RuntimeOrigin::signed(v),
				job_id,
				content(HONEST).hash,
				salt(v)
			),
			Error::<Test>::CommitmentMismatch
		);
		verifier_reveal(v, job_id, b"a guess");
		assert!(events().contains(&Event::SpotCheckMismatch {
			job_id,
			provider_output: Some(content(HONEST).hash),
			verifier_output: Some(content(b"a guess").hash),
		}));
		let provider_bond = Collateral::bonded(&P1);
		let dispute = dispute_round(job_id, b"a guess", HONEST, [HONEST, HONEST]);
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::ProviderUpheld,
			slashed: vec![v],
		}));
		assert_eq!(Collateral::bonded(&v), BOND - SLASH_WRONG);
		assert_eq!(Collateral::bonded(&P1), provider_bond);
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Completed { .. }));
		// The two honest verifiers share the verification fee.
		assert!(market_events().contains(&MarketEvent::VerifiersPaid {
			job_id,
			verifiers: dispute.clone(),
			each: VERIFICATION_FEE / 2,
		}));
	});
}

#[test]
fn a_cheating_provider_is_outvoted_slashed_and_the_client_refunded() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let client_before = free(CLIENT) + Jobs::<Test>::get(job_id).unwrap().escrowed;
		let v = drawn(P1, job_id, WRONG);
		first_round(v, job_id, WRONG, HONEST);
		let dispute = dispute_round(job_id, HONEST, WRONG, [HONEST, HONEST]);
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::ProviderOverturned,
			slashed: vec![P1],
		}));
		// The whole job collateral and `slash_wrong_result`.
		assert!(market_events().contains(&MarketEvent::JobRejected {
			job_id,
			provider: P1,
			refunded: 1_000 + VERIFICATION_FEE - VERIFICATION_FEE / 3 * 3,
			slashed: JOB_COLLATERAL,
			why: Rejection::Wrong,
		}));
		assert_eq!(Collateral::bonded(&P1), BOND - JOB_COLLATERAL - SLASH_WRONG);
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Failed { .. }));
		// The client gets everything back but the verification fee, which the three honest
		// verifiers share.
		assert_eq!(free(CLIENT), client_before - VERIFICATION_FEE / 3 * 3);
		assert_eq!(Providers::reputation(&P1).unwrap().jobs_failed, 1);
		for w in [v, dispute[0], dispute[1]] {
			assert_eq!(Collateral::bonded(&w), BOND);
			assert_eq!(Collateral::free(&w), BOND);
		}
	});
}

#[test]
fn a_verifier_colluding_with_a_cheating_provider_is_outvoted_in_the_dispute() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let v = drawn(P1, job_id, WRONG);
		first_round(v, job_id, WRONG, HONEST);
		// The first dispute verifier echoes the provider, the second re-executes.
		let dispute = dispute_round(job_id, HONEST, WRONG, [WRONG, HONEST]);
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::ProviderOverturned,
			slashed: vec![dispute[0], P1],
		}));
		assert_eq!(Collateral::bonded(&dispute[0]), BOND - SLASH_WRONG);
		assert_eq!(Collateral::bonded(&P1), BOND - JOB_COLLATERAL - SLASH_WRONG);
		assert!(market_events().contains(&MarketEvent::VerifiersPaid {
			job_id,
			verifiers: vec![v, dispute[1]],
			each: VERIFICATION_FEE / 2,
		}));
	});
}

#[test]
fn three_different_answers_refund_the_client_and_slash_nobody() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let v = drawn(P1, job_id, WRONG);
		first_round(v, job_id, WRONG, b"one");
		dispute_round(job_id, b"one", WRONG, [b"two", b"three"]);
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::Inconclusive,
			slashed: vec![],
		}));
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Failed { .. }));
		// Nothing proven against the provider: its collateral is unlocked, not slashed.
		assert_eq!(Collateral::bonded(&P1), BOND);
		assert_eq!(Collateral::free(&P1), BOND);
	});
}

#[test]
fn a_verifier_that_does_not_commit_is_slashed_and_replaced() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let v = drawn(P1, job_id, HONEST);
		run_to_block(System::block_number() + VERIFIER_BLOCKS);
		assert!(events().iter().any(|e| matches!(
			e,
			Event::VerifierDropped { job_id: j, verifier, slashed } if *j == job_id && *verifier == v && *slashed == SLASH_WRONG
		)));
		assert_eq!(Collateral::bonded(&v), BOND - SLASH_WRONG);
		assert_eq!(Collateral::free(&v), BOND - SLASH_WRONG);
		let verifiers = assigned(job_id);
		assert_eq!(verifiers.len(), 2);
		let replacement = verifiers[1];
		assert!(![v, P1, CLIENT].contains(&replacement));
		// The dropped verifier can no longer commit; the replacement can.
		assert_noop!(
			ProofOfCompute::commit_spot_check(RuntimeOrigin::signed(v), job_id, [0; 32]),
			Error::<Test>::NotVerifier
		);
		verifier_commit(replacement, job_id, HONEST);
		reveal(P1, job_id, HONEST);
		verifier_reveal(replacement, job_id, HONEST);
		assert!(events().contains(&Event::SpotCheckPassed { job_id, verifier: replacement }));
	});
}

#[test]
fn a_verifier_that_does_not_reveal_is_slashed_and_the_dispute_decides() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let v = drawn(P1, job_id, HONEST);
		verifier_commit(v, job_id, HONEST);
		reveal(P1, job_id, HONEST);
		run_to_block(System::block_number() + poc_config().reveal_blocks);
		assert!(events().iter().any(|e| matches!(
			e,
			Event::VerifierDropped { verifier, .. } if *verifier == v
		)));
		assert!(events().contains(&Event::SpotCheckMismatch {
			job_id,
			provider_output: Some(content(HONEST).hash),
			verifier_output: None,
		}));
		dispute_round(job_id, HONEST, HONEST, [HONEST, HONEST]);
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::ProviderUpheld,
			slashed: vec![],
		}));
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Completed { .. }));
	});
}

/// Finding 1 of issue 11: a cheater that sees it was drawn (`SpotCheckAssigned`) used to stay
/// silent and lose only `slash_missed_deadline` (half its job collateral); now silence after a
/// draw costs exactly what a result found wrong costs, and the verifier who showed up is paid.
#[test]
fn a_drawn_provider_that_stays_silent_loses_as_much_as_a_wrong_result() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let client_before = free(CLIENT) + Jobs::<Test>::get(job_id).unwrap().escrowed;
		let v = drawn(P1, job_id, WRONG);
		verifier_commit(v, job_id, HONEST);
		assert_eq!(
			Jobs::<Test>::get(job_id).unwrap().state,
			JobState::Committed {
				commitment: result_commitment(&content(WRONG).hash, &salt(P1)),
				reveal: RevealRequest::ByVerification,
			}
		);
		verifier_reveal(v, job_id, HONEST);
		let verifier_before = free(v);
		let deadline = Jobs::<Test>::get(job_id).unwrap().deadline;
		run_to_block(deadline);

		// The market did not fail the job on its own at the deadline: verification rejected it.
		assert!(!market_events().iter().any(|e| matches!(e, MarketEvent::JobFailed { .. })));
		assert!(market_events().contains(&MarketEvent::JobRejected {
			job_id,
			provider: P1,
			refunded: 1_000,
			slashed: JOB_COLLATERAL,
			why: Rejection::UnrevealedWhenChecked,
		}));
		assert!(events().contains(&Event::ProviderSilent {
			job_id,
			provider: P1,
			slashed: SLASH_WRONG
		}));
		// Exactly what a result found wrong costs (see the dispute test above).
		assert_eq!(Collateral::bonded(&P1), BOND - JOB_COLLATERAL - SLASH_WRONG);
		assert_eq!(Providers::reputation(&P1).unwrap().jobs_failed, 1);
		assert!(SpotChecks::<Test>::get(job_id).is_none());
		// The verifier is released, paid the verification fee and the reporter's share of both
		// slashes (10 % in the mock).
		assert_eq!(Collateral::free(&v), BOND);
		let share = (JOB_COLLATERAL + SLASH_WRONG) / 10;
		assert_eq!(free(v), verifier_before + VERIFICATION_FEE + share);
		// The client gets everything back but the verification fee.
		assert_eq!(free(CLIENT), client_before - VERIFICATION_FEE);
	});
}

/// Finding 2 of issue 11: every verifier had a fixed `verifier_blocks` to re-execute, while a
/// job may run for days, so honest verifiers of long jobs were slashed. A verifier now gets as
/// long as the provider had (the job's `execution_blocks`), never less than `verifier_blocks`.
#[test]
fn a_verifier_of_a_long_job_gets_as_long_as_the_provider_had() {
	build_and_execute(|| {
		setup(Perbill::one());
		let long = 10 * VERIFIER_BLOCKS;
		let job_id = awarded_for(
			P1,
			Workload::Wasm { module: content(b"\0asm"), input: content(b"input"), fuel: 1_000 },
			long,
		);
		let v = drawn(P1, job_id, HONEST);
		let commit_by = events()
			.into_iter()
			.find_map(|e| match e {
				Event::SpotCheckAssigned { job_id: j, commit_by, .. } if j == job_id => {
					Some(commit_by)
				},
				_ => None,
			})
			.unwrap();
		assert_eq!(commit_by, System::block_number() + long);
		// Long after `verifier_blocks`, the honest verifier is still re-executing, not dropped.
		run_to_block(commit_by - 1);
		assert!(!events().iter().any(|e| matches!(e, Event::VerifierDropped { .. })));
		first_round(v, job_id, HONEST, HONEST);
		assert!(events().contains(&Event::SpotCheckPassed { job_id, verifier: v }));
		assert_eq!(Collateral::bonded(&v), BOND);
	});
}

/// A result not drawn keeps the market's own deadline: a provider that misses it loses
/// `slash_missed_deadline`, no more (it could not know anything it would want to hide).
#[test]
fn a_provider_not_drawn_that_misses_its_deadline_loses_the_missed_deadline_share() {
	build_and_execute(|| {
		setup(Perbill::zero());
		let mut config = Configuration::<Test>::get();
		config.spot_check_probability = Perbill::from_parts(1);
		assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), config));
		let job_id = wasm_job(P1);
		commit(P1, job_id, HONEST);
		run_to_block(System::block_number() + DRAW_DELAY);
		assert!(events().contains(&Event::SpotCheckSkipped { job_id }));
		let deadline = Jobs::<Test>::get(job_id).unwrap().deadline;
		run_to_block(deadline);
		assert!(market_events().iter().any(|e| matches!(
			e,
			MarketEvent::JobFailed { job_id: j, slashed, .. } if *j == job_id && *slashed == JOB_COLLATERAL / 2
		)));
		assert_eq!(Collateral::bonded(&P1), BOND - JOB_COLLATERAL / 2);
	});
}

#[test]
fn a_result_not_drawn_is_revealed_and_settled_after_the_window() {
	build_and_execute(|| {
		setup(Perbill::zero());
		let job_id = wasm_job(P1);
		commit(P1, job_id, HONEST);
		// Zero probability: asked to reveal at once, nothing on the verification agenda.
		assert!(market_events().contains(&MarketEvent::RevealRequested { job_id }));
		reveal(P1, job_id, HONEST);
		run_to_block(System::block_number() + market_config().verification_window);
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Completed { .. }));

		// A tiny probability: drawn the next block and (almost surely) skipped.
		let mut config = Configuration::<Test>::get();
		config.spot_check_probability = Perbill::from_parts(1);
		assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), config));
		let job_id = wasm_job(P2);
		commit(P2, job_id, HONEST);
		assert!(!market_events().contains(&MarketEvent::RevealRequested { job_id }));
		run_to_block(System::block_number() + DRAW_DELAY);
		assert!(events().contains(&Event::SpotCheckSkipped { job_id }));
		assert!(market_events().contains(&MarketEvent::RevealRequested { job_id }));
		reveal(P2, job_id, HONEST);
		run_to_block(System::block_number() + market_config().verification_window);
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Completed { .. }));
	});
}

#[test]
fn the_draw_uses_randomness_unknown_at_the_commitment() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		commit(P1, job_id, HONEST);
		let committed_at = System::block_number();
		let check = SpotChecks::<Test>::get(job_id).unwrap();
		assert_eq!((check.stage, check.draw_after), (SpotCheckStage::Deciding, committed_at));
		// Drawn in the hook of the first block whose mixed randomness comes only from blocks
		// after the commitment's.
		assert_eq!(check.next, committed_at + DRAW_DELAY);
		run_to_block(committed_at + DRAW_DELAY - 1);
		assert!(assigned(job_id).is_empty());
		run_to_block(committed_at + DRAW_DELAY);
		assert_eq!(assigned(job_id).len(), 1);

		// Without randomness the check is skipped rather than drawn from something stale.
		let job_id = wasm_job(P2);
		commit(P2, job_id, HONEST);
		RANDOMNESS_AVAILABLE.with(|r| r.set(false));
		run_to_block(System::block_number() + DRAW_DELAY);
		RANDOMNESS_AVAILABLE.with(|r| r.set(true));
		assert!(events().contains(&Event::SpotCheckSkipped { job_id }));
		assert!(market_events().contains(&MarketEvent::RevealRequested { job_id }));
	});
}

/// Finding 3 of issue 11: the dispute panel used to be drawn inside `reveal_spot_check` from
/// the parent block's randomness, which the last revealer knows before it sends its reveal (it
/// could wait for a block that draws its own accounts). Now no verifier is drawn in the
/// reveal; the panel comes from the hook of a later block, and which accounts it holds
/// depends on randomness revealed after the reveal (here: another VRF output for the block
/// after it gives another panel, from the same state at the reveal).
#[test]
fn the_last_revealer_cannot_pick_the_dispute_panel() {
	let panel = |salt: u64| {
		let mut panel = Vec::new();
		build_and_execute(|| {
			setup(Perbill::one());
			// More candidates, so that panels can differ.
			for p in 17..=20 {
				assert_ok!(Collateral::bond(RuntimeOrigin::signed(p), BOND));
				assert_ok!(Providers::register(
					RuntimeOrigin::signed(p),
					profile(),
					kiln_test_fixtures::endpoint(),
				));
			}
			let job_id = wasm_job(P1);
			let v = drawn(P1, job_id, HONEST);
			verifier_commit(v, job_id, b"a lie");
			reveal(P1, job_id, HONEST);
			let before = System::events().len();
			verifier_reveal(v, job_id, b"a lie");
			// Nothing drawn in the reveal itself.
			assert!(!System::events()[before..].iter().any(|r| matches!(
				r.event,
				RuntimeEvent::ProofOfCompute(Event::SpotCheckAssigned { .. })
			)));
			let check = SpotChecks::<Test>::get(job_id).unwrap();
			assert_eq!(check.stage, SpotCheckStage::Drawing);
			assert_eq!(check.next, System::block_number() + DRAW_DELAY);
			// The blocks after the reveal reveal their VRF outputs (`salt` stands for them).
			for block in System::block_number() + 1..check.next {
				salt_vrf(block, salt);
			}
			run_to_block(check.next);
			panel = assigned(job_id)[1..].to_vec();
			assert_eq!(panel.len(), 2);
		});
		panel
	};
	let panels: std::collections::BTreeSet<Vec<AccountId>> = (0..8).map(panel).collect();
	assert!(panels.len() > 1, "the panel follows randomness revealed after the last reveal");
}

#[test]
fn spot_check_calls_out_of_turn_get_specific_errors() {
	build_and_execute(|| {
		setup(Perbill::one());
		assert_noop!(
			ProofOfCompute::commit_spot_check(RuntimeOrigin::signed(P2), 42, [0; 32]),
			Error::<Test>::NoSuchSpotCheck
		);
		let job_id = wasm_job(P1);
		commit(P1, job_id, HONEST);
		// Still deciding: nobody is a verifier yet.
		assert_noop!(
			ProofOfCompute::commit_spot_check(RuntimeOrigin::signed(P2), job_id, [0; 32]),
			Error::<Test>::NotVerifier
		);
		run_to_block(System::block_number() + DRAW_DELAY);
		let v = assigned(job_id)[0];
		let outsider = [P2, P3, P4, P5, P6].into_iter().find(|p| *p != v).unwrap();
		assert_noop!(
			ProofOfCompute::commit_spot_check(RuntimeOrigin::signed(outsider), job_id, [0; 32]),
			Error::<Test>::NotVerifier
		);
		assert_noop!(
			ProofOfCompute::commit_spot_check(RuntimeOrigin::signed(P1), job_id, [0; 32]),
			Error::<Test>::NotVerifier
		);
		// Reveal before the commitments are in.
		assert_noop!(
			ProofOfCompute::reveal_spot_check(RuntimeOrigin::signed(v), job_id, [0; 32], [0; 32]),
			Error::<Test>::NotRevealing
		);
		verifier_commit(v, job_id, HONEST);
		// A second commitment.
		assert_noop!(
			ProofOfCompute::commit_spot_check(RuntimeOrigin::signed(v), job_id, [1; 32]),
			Error::<Test>::NotCommitting
		);
		verifier_reveal(v, job_id, HONEST);
		assert_noop!(
			ProofOfCompute::reveal_spot_check(
				RuntimeOrigin::signed(v),
				job_id,
				content(HONEST).hash,
				salt(v)
			),
			Error::<Test>::NotRevealing
		);
	});
}

/// C for a GEMM job: the real one, or with every other leaf made up.
pub(crate) fn gemm_output(seed: &[u8; 32], shape: Shape, lazy: bool) -> Vec<i32> {
	let mut c = kiln_primitives::poc::reference::gemm(seed, shape);
	if lazy {
		kiln_primitives::poc::reference::cheat_half(&mut c);
	}
	c
}

const GEMM_SEED: [u8; 32] = [3; 32];
const GEMM_SHAPE: Shape = Shape { m: 32, n: 48, k: 16 };

/// A GEMM job committed and revealed with `c`'s root: (job, its challenge, its opening block).
fn gemm_revealed(provider: AccountId, c: &[i32]) -> (JobId, crate::ChallengeId, u64) {
	let Shape { m, n, k } = GEMM_SHAPE;
	let job_id = awarded(provider, Workload::Gemm { m, n, k, seed: GEMM_SEED });
	let output = ContentRef { hash: Tree::build(c).root(), ..content(b"c") };
	let commitment = result_commitment(&output.hash, &salt(provider));
	assert_ok!(Market::commit_result(RuntimeOrigin::signed(provider), job_id, commitment));
	assert_ok!(Market::reveal_result(
		RuntimeOrigin::signed(provider),
		job_id,
		output,
		salt(provider)
	));
	let (id, opens_at) = events()
		.into_iter()
		.find_map(|e| match e {
			Event::JobChallenged { job_id: j, id, opens_at } if j == job_id => Some((id, opens_at)),
			_ => None,
		})
		.expect("JobChallenged");
	(job_id, id, opens_at)
}

/// Runs a GEMM job through the market; the provider answers the sampling with `c`.
fn gemm_job(provider: AccountId, lazy: bool) -> (JobId, Event<Test>) {
	let c = gemm_output(&GEMM_SEED, GEMM_SHAPE, lazy);
	let tree = Tree::build(&c);
	let (job_id, id, opens_at) = gemm_revealed(provider, &c);
	run_to_block(opens_at);
	let indices = events()
		.into_iter()
		.find_map(|e| match e {
			Event::ChallengeOpened { id: i, indices, .. } if i == id => Some(indices),
			_ => None,
		})
		.expect("ChallengeOpened");
	let openings = crate::tests::openings(&c, &tree, &indices);
	assert_ok!(ProofOfCompute::reveal_challenge(RuntimeOrigin::signed(provider), id, openings));
	(job_id, events().pop().unwrap())
}

#[test]
fn a_gemm_job_is_verified_by_sampling_without_re_execution() {
	build_and_execute(|| {
		setup(Perbill::one());
		let (job_id, last) = gemm_job(P1, false);
		assert!(matches!(last, Event::ChallengePassed { provider: P1, .. }));
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Completed { .. }));
		// No verifier was involved.
		assert!(assigned(job_id).is_empty());
		assert_eq!(Providers::reputation(&P1).unwrap().jobs_completed, 1);
	});
}

#[test]
fn a_half_computed_gemm_job_is_refunded_and_the_provider_slashed() {
	build_and_execute(|| {
		setup(Perbill::one());
		let client_before = free(CLIENT);
		let (job_id, last) = gemm_job(P1, true);
		assert!(matches!(last, Event::ChallengeFailed { provider: P1, slashed: SLASH_WRONG, .. }));
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Failed { .. }));
		assert_eq!(Collateral::bonded(&P1), BOND - JOB_COLLATERAL - SLASH_WRONG);
		// Refunded in full (only the job deposit stays held until the record is dropped).
		let deposit = Jobs::<Test>::get(job_id).unwrap().deposit;
		assert_eq!(free(CLIENT), client_before - deposit);
		assert_eq!(Providers::reputation(&P1).unwrap().jobs_failed, 1);
	});
}

#[test]
fn a_gemm_job_s_challenge_is_keyed_by_its_job_and_never_meets_a_hardware_id() {
	build_and_execute(|| {
		setup(Perbill::one());
		// The reveal takes the job's own id: no counter read or written.
		let counted = crate::NextChallengeId::<Test>::get();
		let c = gemm_output(&GEMM_SEED, GEMM_SHAPE, false);
		let (job_id, id, _) = gemm_revealed(P1, &c);
		assert_eq!(id, crate::JOB_CHALLENGE_IDS + job_id);
		assert_eq!(ProofOfCompute::job_challenge_id(job_id), Some(id));
		assert_eq!(crate::NextChallengeId::<Test>::get(), counted);
		// Hardware ids are counted up to the jobs' range and no further: the last one below it
		// is handed out, then no hardware challenge at all rather than a job's id.
		let config = Configuration::<Test>::get();
		let now = System::block_number();
		crate::NextChallengeId::<Test>::put(crate::JOB_CHALLENGE_IDS - 1);
		crate::Pallet::<Test>::issue(&P2, [7; 32], now, &config);
		assert_eq!(crate::OpenChallenge::<Test>::get(P2), Some(crate::JOB_CHALLENGE_IDS - 1));
		crate::Pallet::<Test>::issue(&P3, [8; 32], now, &config);
		assert_eq!(crate::OpenChallenge::<Test>::get(P3), None);
		assert_eq!(crate::NextChallengeId::<Test>::get(), crate::JOB_CHALLENGE_IDS);
	});
}

#[test]
fn try_state_accepts_a_counted_job_challenge_and_catches_one_under_another_id() {
	build_and_execute(|| {
		setup(Perbill::one());
		let c = gemm_output(&GEMM_SEED, GEMM_SHAPE, false);
		let (_, id, opens_at) = gemm_revealed(P1, &c);
		let rekey = |from: u64, to: u64| {
			let challenge = crate::Challenges::<Test>::take(from).expect("the challenge");
			crate::Challenges::<Test>::insert(to, challenge);
			crate::Agenda::<Test>::mutate(opens_at, |list| {
				for task in list.iter_mut() {
					if *task == crate::Task::Challenge(from) {
						*task = crate::Task::Challenge(to);
					}
				}
			});
		};
		// Numbered by the counter, as a runtime before job-keyed ids did: still valid.
		let counted = crate::NextChallengeId::<Test>::get();
		crate::NextChallengeId::<Test>::put(counted + 1);
		rekey(id, counted);
		ProofOfCompute::do_try_state().expect("a counted job challenge is valid");
		// Under another job's id (or any uncounted one that is not its job's): caught.
		rekey(counted, id + 1);
		assert_eq!(
			ProofOfCompute::do_try_state(),
			Err("a job challenge's id is not its job's".into())
		);
		rekey(id + 1, id);
	});
}

#[test]
fn an_honest_verifier_is_paid_in_proportion_to_the_job_it_re_ran() {
	// Finding 7 of issue 11: the flat fee paid a verifier less than re-executing cost it.
	build_and_execute(|| {
		setup(Perbill::one());
		let mut config = pallet_market::Configuration::<Test>::get();
		config.verification_percent = 100;
		assert_ok!(Market::configure(RuntimeOrigin::root(), config));
		let job_id = wasm_job(P1);
		let client_before = free(CLIENT) + Jobs::<Test>::get(job_id).unwrap().escrowed;
		let v = drawn(P1, job_id, HONEST);
		let verifier_before = free(v);
		first_round(v, job_id, HONEST, HONEST);
		assert!(events().contains(&Event::SpotCheckPassed { job_id, verifier: v }));
		// The flat fee and the job's price: as much as the provider got for the same work.
		assert_eq!(free(v), verifier_before + VERIFICATION_FEE + PRICE);
		assert_eq!(free(CLIENT), client_before - PRICE - VERIFICATION_FEE - PRICE);
	});
}
