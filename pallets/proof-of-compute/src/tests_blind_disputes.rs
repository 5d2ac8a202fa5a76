//! Finding 7 of issue 11: the dispute panel committed after both first-round output hashes
//! were public, so a lazy panelist copied one (the provider's, usually) instead of running
//! the job; two such copies upheld a cheating provider and slashed the honest first verifier.
//! Now every answer of the dispute round is `dispute_answer(output, nonce)`, a digest of the
//! output's bytes with a nonce drawn with the panel, committed before any is revealed.

use crate::{mock::*, tests_spot_checks::*, DisputeOutcome, Event, SpotChecks};
use kiln_primitives::{dispute_answer, Collateral as _};
use pallet_market::{Event as MarketEvent, JobState, Jobs};
use sp_runtime::Perbill;

/// A cheating provider, an honest first verifier, and a dispute about to be drawn: returns the
/// first verifier and the panel with the dispute's nonce.
fn cheater_disputed(job_id: u64) -> (AccountId, Vec<AccountId>, [u8; 32]) {
	let v = drawn(P1, job_id, WRONG);
	first_round(v, job_id, WRONG, HONEST);
	run_to_block(SpotChecks::<Test>::get(job_id).unwrap().next);
	(v, assigned(job_id)[1..].to_vec(), dispute_nonce(job_id))
}

#[test]
fn a_panel_that_copies_the_revealed_hash_cannot_uphold_a_cheater() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let (v, panel, nonce) = cheater_disputed(job_id);
		// Both panelists copy what the chain shows: the provider's output hash.
		let copied = content(WRONG).hash;
		blind_round(
			job_id,
			&[
				(panel[0], copied),
				(panel[1], copied),
				(v, dispute_answer(HONEST, &nonce)),
				(P1, dispute_answer(WRONG, &nonce)),
			],
		);
		// Before: ProviderUpheld, the honest first verifier slashed, the copies paid. Now the
		// copies count for nothing: nobody is paid or slashed, the client gets its money back.
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::Inconclusive,
			slashed: vec![],
		}));
		assert_eq!(Collateral::bonded(&v), BOND);
		assert!(!market_events().iter().any(|e| matches!(e, MarketEvent::VerifiersPaid { .. })));
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Failed { .. }));
	});
}

#[test]
fn a_copying_panelist_loses_its_bond_when_the_others_ran_the_job() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let (v, panel, nonce) = cheater_disputed(job_id);
		let honest = dispute_answer(HONEST, &nonce);
		blind_round(
			job_id,
			&[
				(panel[0], content(WRONG).hash),
				(panel[1], honest),
				(v, honest),
				(P1, dispute_answer(WRONG, &nonce)),
			],
		);
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::ProviderOverturned,
			slashed: vec![panel[0], P1],
		}));
		assert_eq!(Collateral::bonded(&panel[0]), BOND - SLASH_WRONG);
		assert_eq!(Collateral::bonded(&v), BOND);
	});
}

#[test]
fn a_provider_that_does_not_answer_the_dispute_is_treated_as_silent() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let (v, panel, nonce) = cheater_disputed(job_id);
		let honest = dispute_answer(HONEST, &nonce);
		// The verifiers answer; the provider does not even commit.
		for who in [panel[0], panel[1], v] {
			let commitment = kiln_primitives::result_commitment(&honest, &salt(who));
			frame_support::assert_ok!(ProofOfCompute::commit_spot_check(
				RuntimeOrigin::signed(who),
				job_id,
				commitment
			));
		}
		run_to_block(SpotChecks::<Test>::get(job_id).unwrap().next);
		assert!(events().iter().any(|e| matches!(
			e,
			Event::ProviderSilent { job_id: j, provider: P1, .. } if *j == job_id
		)));
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Failed { .. }));
		assert!(Collateral::bonded(&P1) < BOND);
	});
}
