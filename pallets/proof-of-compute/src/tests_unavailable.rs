//! Finding 2 of issue 11, second half: a verifier had no "I cannot run this" answer (the
//! job's inputs gone, or not matching their hashes) and was slashed for silence, so a client
//! and provider acting together could aim slashes at chosen verifiers. A verifier now answers
//! `kiln_primitives::UNAVAILABLE`, committed and revealed like an output hash: two such
//! answers end the job with nobody slashed or paid; one against a panel that ran the job
//! loses like a wrong answer (the inputs were there).

use crate::{mock::*, tests_spot_checks::*, DisputeOutcome, Event, SpotCheckStage, SpotChecks};
use frame_support::{assert_noop, assert_ok};
use kiln_primitives::{
	dispute_answer, result_commitment, Collateral as _, JobId, ProviderRegistry as _, Rejection,
	UNAVAILABLE,
};
use pallet_market::{Event as MarketEvent, JobState, Jobs};
use sp_runtime::Perbill;

/// `who`'s answer: an output (hashed like a result) or `None` for `UNAVAILABLE`.
fn answer_hash(answer: Option<&[u8]>) -> [u8; 32] {
	answer.map_or(UNAVAILABLE, |bytes| content(bytes).hash)
}

fn commit_answer(who: AccountId, job_id: JobId, answer: Option<&[u8]>) {
	let commitment = result_commitment(&answer_hash(answer), &salt(who));
	assert_ok!(ProofOfCompute::commit_spot_check(RuntimeOrigin::signed(who), job_id, commitment));
}

fn reveal_answer(who: AccountId, job_id: JobId, answer: Option<&[u8]>) {
	assert_ok!(ProofOfCompute::reveal_spot_check(
		RuntimeOrigin::signed(who),
		job_id,
		answer_hash(answer),
		salt(who)
	));
}

/// The first verifier answers `first`; the provider reveals the honest result; the panel
/// (drawn later) answers `panel`. Returns the first verifier and the panel.
fn check_with(
	job_id: JobId,
	first: Option<&[u8]>,
	panel: [Option<&[u8]>; 2],
) -> (AccountId, Vec<AccountId>) {
	let v = drawn(P1, job_id, HONEST);
	commit_answer(v, job_id, first);
	reveal(P1, job_id, HONEST);
	reveal_answer(v, job_id, first);
	let check = SpotChecks::<Test>::get(job_id).expect("a dispute");
	assert_eq!(check.stage, SpotCheckStage::Drawing);
	run_to_block(check.next);
	let drawn_panel: Vec<AccountId> = assigned(job_id)[1..].to_vec();
	assert_eq!(drawn_panel.len(), 2);
	// The blind round: each answers the dispute answer of its output, or `UNAVAILABLE`.
	let nonce = dispute_nonce(job_id);
	let blind = |answer: Option<&[u8]>| answer.map_or(UNAVAILABLE, |o| dispute_answer(o, &nonce));
	let mut answers: Vec<(AccountId, [u8; 32])> =
		drawn_panel.iter().zip(panel).map(|(d, a)| (*d, blind(a))).collect();
	answers.push((v, blind(first)));
	answers.push((P1, blind(Some(HONEST))));
	blind_round(job_id, &answers);
	(v, drawn_panel)
}

#[test]
fn verifiers_that_cannot_fetch_the_inputs_answer_unavailable_and_are_not_slashed() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let escrowed = Jobs::<Test>::get(job_id).unwrap().escrowed;
		let client = free(CLIENT);
		let (v, panel) = check_with(job_id, None, [None, None]);
		// Before: `UNAVAILABLE` was just another hash, so two of them overturned the provider
		// (slashed as wrong); and silence cost each verifier its bond.
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::InputsUnavailable,
			slashed: vec![],
		}));
		for who in [v, panel[0], panel[1]] {
			assert_eq!((Collateral::bonded(&who), Collateral::free(&who)), (BOND, BOND));
		}
		assert_eq!(Collateral::bonded(&P1), BOND);
		// The job ends as nobody's fault: the client refunded in full, no verifier paid (none
		// ran the job), the provider's record not marked.
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Failed { .. }));
		assert!(market_events().iter().any(|e| matches!(
			e,
			MarketEvent::JobRejected { job_id: j, slashed: 0, why: Rejection::Unconfirmed, .. }
				if *j == job_id
		)));
		assert!(!market_events().iter().any(|e| matches!(e, MarketEvent::VerifiersPaid { .. })));
		assert_eq!(free(CLIENT), client + escrowed);
		assert_eq!(Providers::reputation(&P1).unwrap().jobs_failed, 0);
	});
}

#[test]
fn a_verifier_claiming_unavailable_when_the_panel_ran_the_job_loses_its_bond() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let (v, _) = check_with(job_id, None, [Some(HONEST), Some(HONEST)]);
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::ProviderUpheld,
			slashed: vec![v],
		}));
		assert_eq!(Collateral::bonded(&v), BOND - SLASH_WRONG);
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Completed { .. }));
	});
}

#[test]
fn a_verifier_that_ran_the_job_is_not_slashed_when_the_others_could_not() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let (v, panel) = check_with(job_id, None, [Some(HONEST), None]);
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::InputsUnavailable,
			slashed: vec![],
		}));
		for who in [v, panel[0], panel[1], P1] {
			assert_eq!(Collateral::bonded(&who), BOND, "{who} slashed");
		}
	});
}

#[test]
fn a_provider_cannot_reveal_the_unavailable_answer_as_its_result() {
	build_and_execute(|| {
		setup(Perbill::zero());
		let job_id = wasm_job(P1);
		let commitment = result_commitment(&UNAVAILABLE, &salt(P1));
		assert_ok!(Market::commit_result(RuntimeOrigin::signed(P1), job_id, commitment));
		let output = kiln_primitives::ContentRef { hash: UNAVAILABLE, ..content(HONEST) };
		// Else a verifier that did no work would "agree" with it.
		assert_noop!(
			Market::reveal_result(RuntimeOrigin::signed(P1), job_id, output, salt(P1)),
			pallet_market::Error::<Test>::ReservedOutputHash
		);
	});
}
