//! Finding 6 of issue 11: full agendas must not switch verification off. Whoever fills the
//! blocks where a check's next step falls (here: entries of other work, which take the room
//! and are handled as nothing) only delays that step; it is never skipped, and no result is
//! paid or refunded because there was no room.

use crate::{
	agenda::TaskAgenda, mock::*, tests_spot_checks::*, Agenda, DisputeOutcome, Event,
	SpotCheckStage, SpotChecks, Task,
};
use frame_support::{assert_ok, traits::Hooks};
use kiln_primitives::{
	poc::{reference::Tree, Shape},
	result_commitment, ContentRef, Workload,
};
use kiln_support::AGENDA_SEARCH;
use pallet_market::{JobState, Jobs, RevealRequest};
use sp_runtime::Perbill;

const SEARCH: u64 = AGENDA_SEARCH as u64;

/// Fills the agenda of every block in `blocks` with entries of other work (ids from
/// 1 000 000 up).
pub(crate) fn fill(blocks: core::ops::Range<u64>) {
	for block in blocks {
		Agenda::<Test>::mutate(block, |list| {
			let mut filler = 1_000_000 + block * 100;
			while list.try_push(Task::SpotCheck(filler)).is_ok() {
				filler += 1;
			}
		});
	}
}

/// Like `run_to_block`, without the invariants (the filler entries belong to no work).
fn run_filled_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Market::on_initialize(next);
		ProofOfCompute::on_initialize(next);
	}
}

#[test]
fn full_agendas_cannot_switch_a_spot_check_off() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let decide_at = System::block_number() + DRAW_DELAY;
		fill(decide_at..decide_at + SEARCH);
		commit(P1, job_id, WRONG);
		// Held for the draw (before: revealed at once, unchecked): the draw waits in line.
		assert!(matches!(
			Jobs::<Test>::get(job_id).unwrap().state,
			JobState::Committed { reveal: RevealRequest::NotYet, .. }
		));
		assert_eq!(TaskAgenda::<Test>::line(), vec![(decide_at, Task::SpotCheck(job_id))]);
		run_filled_to(decide_at + SEARCH - 1);
		assert!(assigned(job_id).is_empty());
		// The first block with room draws, late.
		run_filled_to(decide_at + SEARCH);
		let verifiers = assigned(job_id);
		assert_eq!(verifiers.len(), 1);
		try_state();
		// And the made-up result is caught as it would have been on time.
		first_round(verifiers[0], job_id, WRONG, HONEST);
		assert!(events().contains(&Event::SpotCheckMismatch {
			job_id,
			provider_output: Some(content(WRONG).hash),
			verifier_output: Some(content(HONEST).hash),
		}));
		assert!(!matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Completed { .. }));
	});
}

#[test]
fn full_agendas_cannot_leave_a_dispute_without_its_panel() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let v = drawn(P1, job_id, HONEST);
		verifier_commit(v, job_id, b"a guess");
		reveal(P1, job_id, HONEST);
		// One block on, so the reveal deadline's entry lies before the blocks filled.
		run_to_block(System::block_number() + 1);
		let draw_at = System::block_number() + DRAW_DELAY;
		fill(draw_at..draw_at + SEARCH);
		// The mismatch: before, no room for the panel meant an inconclusive verdict (the honest
		// provider unpaid, the client refunded).
		verifier_reveal(v, job_id, b"a guess");
		let check = SpotChecks::<Test>::get(job_id).expect("the dispute goes on");
		assert_eq!((check.stage, check.next), (SpotCheckStage::Drawing, draw_at));
		assert_eq!(TaskAgenda::<Test>::line(), vec![(draw_at, Task::SpotCheck(job_id))]);
		run_filled_to(draw_at + SEARCH - 1);
		assert_eq!(assigned(job_id).len(), 1);
		run_filled_to(draw_at + SEARCH);
		let panel = assigned(job_id)[1..].to_vec();
		assert_eq!(panel.len(), 2, "the panel is drawn late, not skipped");
		try_state();
		let nonce = dispute_nonce(job_id);
		let honest = kiln_primitives::dispute_answer(HONEST, &nonce);
		let answers = [
			(panel[0], honest),
			(panel[1], honest),
			(v, kiln_primitives::dispute_answer(b"a guess", &nonce)),
			(P1, honest),
		];
		blind_round(job_id, &answers);
		assert!(events().contains(&Event::DisputeResolved {
			job_id,
			outcome: DisputeOutcome::ProviderUpheld,
			slashed: vec![v],
		}));
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Completed { .. }));
	});
}

#[test]
fn full_agendas_cannot_leave_a_gemm_result_unsampled_or_shorten_its_reveal() {
	build_and_execute(|| {
		setup(Perbill::one());
		let (seed, shape) = ([3; 32], Shape { m: 32, n: 48, k: 16 });
		let job_id = awarded(P1, Workload::Gemm { m: shape.m, n: shape.n, k: shape.k, seed });
		// A lazy provider: every other leaf made up.
		let c = gemm_output(&seed, shape, true);
		let tree = Tree::build(&c);
		let output = ContentRef { hash: tree.root(), ..content(b"c") };
		let commitment = result_commitment(&output.hash, &salt(P1));
		assert_ok!(Market::commit_result(RuntimeOrigin::signed(P1), job_id, commitment));
		let opens_at = System::block_number() + DRAW_DELAY;
		fill(opens_at..opens_at + SEARCH);
		assert_ok!(Market::reveal_result(RuntimeOrigin::signed(P1), job_id, output, salt(P1)));
		// Before: no room, no sampling, the result paid after the market's window.
		let id = events()
			.into_iter()
			.find_map(|e| match e {
				Event::JobChallenged { job_id: j, id, opens_at: at } if j == job_id => {
					assert_eq!(at, opens_at);
					Some(id)
				},
				_ => None,
			})
			.expect("sampled");
		run_filled_to(opens_at + SEARCH);
		let opened = System::block_number();
		let indices = events()
			.into_iter()
			.find_map(|e| match e {
				Event::ChallengeOpened { id: i, indices, reveal_by } if i == id => {
					// The whole reveal window, from the block that opened.
					assert_eq!(reveal_by, opened + REVEAL_BLOCKS);
					Some(indices)
				},
				_ => None,
			})
			.expect("opened, late");
		try_state();
		let openings = crate::tests::openings(&c, &tree, &indices);
		assert_ok!(ProofOfCompute::reveal_challenge(RuntimeOrigin::signed(P1), id, openings));
		assert!(matches!(events().pop().unwrap(), Event::ChallengeFailed { provider: P1, .. }));
		assert!(matches!(Jobs::<Test>::get(job_id).unwrap().state, JobState::Failed { .. }));
	});
}

#[test]
fn full_agendas_cannot_let_a_provider_dodge_its_hardware_challenge() {
	build_and_execute(|| {
		// No sweep: the one challenge is issued by hand.
		let mut config = crate::Configuration::<Test>::get();
		config.challenge_rate = Perbill::zero();
		assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), config.clone()));
		let now = System::block_number();
		let wanted = now + COMMIT_BLOCKS + ENTROPY_BLOCKS;
		// Only the block the opening wants is searched: fill it.
		fill(wanted..wanted + 1);
		let id = crate::NextChallengeId::<Test>::get();
		crate::Pallet::<Test>::issue(&P2, [7; 32], now, &config);
		// Before: no room, no challenge. Now it is issued and its opening waits in line.
		assert_eq!(crate::OpenChallenge::<Test>::get(P2), Some(id));
		assert_eq!(crate::Challenges::<Test>::get(id).unwrap().opens_at, wanted);
		assert!(TaskAgenda::<Test>::line().contains(&(wanted, Task::Challenge(id))));
		// Nothing committed: the opening, handled late, fails it for want of a root.
		run_filled_to(wanted + 1);
		assert!(events().iter().any(|e| matches!(
			e,
			Event::ChallengeFailed { id: i, reason: crate::FailReason::NoCommit, .. } if *i == id
		)));
		try_state();
	});
}
