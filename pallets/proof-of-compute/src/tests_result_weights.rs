//! What a provider's `commit_result` and `reveal_result` are charged: before dispatch the most
//! verification may do, after it the path it took (issue 15: a block of reveals was charged
//! six times what it took, every reveal as a sampled check past ten full agendas).

use crate::{
	mock::*, tests_full_agendas::fill, tests_spot_checks::*, Agenda, Task, WeightInfo as _,
};
use frame_support::{
	dispatch::{GetDispatchInfo, PostDispatchInfo},
	weights::Weight,
};
use kiln_primitives::{
	poc::{reference::Tree, Shape},
	result_commitment, ContentRef, JobId, Workload,
};
use kiln_support::{Searched, AGENDA_SEARCH};
use pallet_market::WeightInfo as _;
use sp_runtime::Perbill;

type Poc = <Test as crate::Config>::WeightInfo;
type MarketWeights = <Test as pallet_market::Config>::WeightInfo;

const SEARCH: u64 = AGENDA_SEARCH as u64;

/// Fills the market's agenda of every block in `blocks` with entries of other jobs.
fn fill_market(blocks: core::ops::Range<u64>) {
	for block in blocks {
		pallet_market::Agenda::<Test>::mutate(block, |list| {
			let mut filler = FILLER + block * 100;
			while list.try_push(filler).is_ok() {
				filler += 1;
			}
		});
	}
}

/// Where the filler entries' ids start (`fill`'s and `fill_market`'s).
const FILLER: u64 = 1_000_000;

/// Takes every filler entry off both agendas again (they belong to no work: the invariants,
/// checked at each block, would fail on them).
fn clear_fillers() {
	let keys: Vec<u64> = Agenda::<Test>::iter_keys().collect();
	for block in keys {
		Agenda::<Test>::mutate_exists(block, |list| {
			if let Some(items) = list {
				items.retain(|t| !matches!(t, Task::SpotCheck(id) if *id >= FILLER));
				if items.is_empty() {
					*list = None;
				}
			}
		});
	}
	let keys: Vec<u64> = pallet_market::Agenda::<Test>::iter_keys().collect();
	for block in keys {
		pallet_market::Agenda::<Test>::mutate_exists(block, |list| {
			if let Some(items) = list {
				items.retain(|job| *job < FILLER);
				if items.is_empty() {
					*list = None;
				}
			}
		});
	}
	try_state();
}

/// Commits `output` for `job_id` by `who`: the weight charged after dispatch, and checks it
/// is no more than the weight charged before.
fn commit_charged(who: AccountId, job_id: JobId, output: &ContentRef) -> Weight {
	let commitment = result_commitment(&output.hash, &salt(who));
	let call = pallet_market::Call::<Test>::commit_result { job_id, commitment };
	let before = call.get_dispatch_info().call_weight;
	let post = Market::commit_result(RuntimeOrigin::signed(who), job_id, commitment);
	let charged = after(post, before);
	clear_fillers();
	charged
}

fn reveal_charged(who: AccountId, job_id: JobId, output: &ContentRef) -> Weight {
	let call = pallet_market::Call::<Test>::reveal_result {
		job_id,
		output: output.clone(),
		salt: salt(who),
	};
	let before = call.get_dispatch_info().call_weight;
	let post = Market::reveal_result(RuntimeOrigin::signed(who), job_id, output.clone(), salt(who));
	let charged = after(post, before);
	clear_fillers();
	charged
}

fn after(post: frame_support::dispatch::DispatchResultWithPostInfo, before: Weight) -> Weight {
	let PostDispatchInfo { actual_weight, .. } = post.expect("the call succeeds");
	let actual = actual_weight.expect("charged by what it did");
	assert!(actual.all_lte(before), "{actual:?} charged after dispatch, {before:?} before");
	actual
}

fn wasm() -> Workload {
	Workload::Wasm { module: content(b"\0asm"), input: content(b"input"), fuel: 1_000 }
}

fn gemm_job(provider: AccountId) -> (JobId, ContentRef) {
	let (seed, shape) = ([3; 32], Shape { m: 32, n: 48, k: 16 });
	let job_id = awarded(provider, Workload::Gemm { m: shape.m, n: shape.n, k: shape.k, seed });
	let tree = Tree::build(&gemm_output(&seed, shape, false));
	(job_id, ContentRef { hash: tree.root(), ..content(b"c") })
}

/// What a placement past `passed` agendas filled without the hint did: read them, rewrote the
/// hint unless it found room at once, and waited in line if every block was full.
fn searched(passed: u32) -> Searched {
	Searched { passed, waits: passed == AGENDA_SEARCH, hint_written: passed > 0 }
}

#[test]
fn a_sampled_gemm_result_is_charged_its_challenge_by_the_agendas_it_passed() {
	build_and_execute(|| {
		setup(Perbill::one());
		// One job per provider (each can run one at a time).
		for (p, passed) in [(P1, 0), (P4, 3), (P5, AGENDA_SEARCH)] {
			let (job_id, output) = gemm_job(p);
			// Revealed at once, whatever the spot-check probability: no draw placed.
			assert_eq!(
				commit_charged(p, job_id, &output),
				MarketWeights::commit_result() + Poc::on_commit_at_once()
			);
			let opens_at = System::block_number() + DRAW_DELAY;
			fill(opens_at..opens_at + u64::from(passed));
			// The challenge's opening placed past `passed` full agendas; the market settles
			// nothing (the challenge's verdict does).
			assert_eq!(
				reveal_charged(p, job_id, &output),
				Market::held_reveal_weight()
					+ ProofOfCompute::on_reveal_sampled_weight(searched(passed))
			);
		}
		assert!(Poc::on_reveal(0).ref_time() < Poc::on_reveal(AGENDA_SEARCH).ref_time());
	});
}

#[test]
fn a_burst_of_reveals_skips_the_agendas_it_filled_and_is_charged_room_at_once() {
	build_and_execute(|| {
		setup(Perbill::one());
		// Both awarded at one close, so that both reveals come in one block.
		let (seed, shape) = ([3; 32], Shape { m: 32, n: 48, k: 16 });
		let workload = Workload::Gemm { m: shape.m, n: shape.n, k: shape.k, seed };
		let root = Tree::build(&gemm_output(&seed, shape, false)).root();
		let output = ContentRef { hash: root, ..content(b"c") };
		let jobs = [P1, P4].map(|p| {
			let spec = kiln_primitives::JobSpec {
				workload: workload.clone(),
				requirements: requirements(),
				max_price: 1_000,
				bidding_blocks: 2,
				execution_blocks: VERIFIER_BLOCKS - 1,
			};
			frame_support::assert_ok!(Market::create_job(RuntimeOrigin::signed(CLIENT), spec));
			let job_id = pallet_market::Pallet::<Test>::next_job_id() - 1;
			frame_support::assert_ok!(Market::place_bid(RuntimeOrigin::signed(p), job_id, PRICE));
			(p, job_id)
		});
		run_to_block(System::block_number() + DRAW_DELAY);
		let jobs = jobs.map(|(p, job_id)| {
			commit_charged(p, job_id, &output);
			(p, job_id, output.clone())
		});
		// The opening block one short of full: the first reveal fills it.
		let opens_at = System::block_number() + DRAW_DELAY;
		Agenda::<Test>::mutate(opens_at, |list| {
			let mut filler = FILLER;
			while list.len() + 1 < 8 {
				list.try_push(Task::SpotCheck(filler)).expect("room");
				filler += 1;
			}
		});
		let [(p1, job1, out1), (p4, job4, out4)] = jobs;
		let filled = Searched { passed: 0, waits: false, hint_written: true };
		assert_eq!(
			reveal_charged(p1, job1, &out1),
			Market::held_reveal_weight() + ProofOfCompute::on_reveal_sampled_weight(filled)
		);
		assert_eq!(crate::AgendaHint::<Test>::get(), Some((opens_at, opens_at + 1)));
		// The next reveal of the burst starts past the full block: no full list read, the
		// cheapest path. (Its fillers are gone again, so the hint is stale: the opening lands
		// a block later than it could have, within its search, never in the line.)
		assert_eq!(
			reveal_charged(p4, job4, &out4),
			Market::held_reveal_weight()
				+ ProofOfCompute::on_reveal_sampled_weight(Searched::default())
		);
		let id = ProofOfCompute::job_challenge_id(job4).unwrap();
		assert_eq!(crate::Challenges::<Test>::get(id).map(|c| c.opens_at), Some(opens_at + 1));
		assert_eq!(
			Poc::on_reveal_room(),
			ProofOfCompute::on_reveal_sampled_weight(Searched::default())
		);
	});
}

#[test]
fn a_result_held_for_the_draw_is_charged_by_the_agendas_its_draw_passed() {
	build_and_execute(|| {
		setup(Perbill::one());
		for (p, passed) in [(P1, 0), (P4, 4), (P5, AGENDA_SEARCH)] {
			let job_id = wasm_job(p);
			let draw_at = System::block_number() + DRAW_DELAY;
			fill(draw_at..draw_at + u64::from(passed));
			assert_eq!(
				commit_charged(p, job_id, &content(HONEST)),
				MarketWeights::commit_result()
					+ ProofOfCompute::on_commit_held_weight(searched(passed))
					+ Market::held_commit_weight()
			);
		}
		assert!(Poc::on_commit(0).ref_time() < Poc::on_commit(AGENDA_SEARCH).ref_time());
	});
}

#[test]
fn a_spot_checked_reveal_is_charged_as_the_most_a_check_may_cost() {
	build_and_execute(|| {
		setup(Perbill::one());
		let job_id = wasm_job(P1);
		let v = drawn(P1, job_id, HONEST);
		verifier_commit(v, job_id, HONEST);
		assert_eq!(
			reveal_charged(P1, job_id, &content(HONEST)),
			Market::held_reveal_weight()
				+ ProofOfCompute::on_reveal_sampled_weight(Searched::worst(AGENDA_SEARCH))
		);
	});
}

#[test]
fn an_unchecked_result_is_charged_by_the_agendas_its_settlement_passed() {
	build_and_execute(|| {
		setup(Perbill::zero());
		let window = pallet_market::Configuration::<Test>::get().verification_window;
		for (p, passed) in [(P1, 0), (P4, 2), (P5, AGENDA_SEARCH)] {
			// A deadline past the blocks filled (the reveal takes it off its agenda, which would
			// make room).
			let job_id = awarded_for(p, wasm(), 2 * SEARCH);
			assert_eq!(
				commit_charged(p, job_id, &content(HONEST)),
				MarketWeights::commit_result() + Poc::on_commit_at_once()
			);
			let settles = System::block_number() + window;
			fill_market(settles..settles + u64::from(passed));
			assert_eq!(
				reveal_charged(p, job_id, &content(HONEST)),
				Market::reveal_weight(searched(passed)) + Poc::on_reveal_settled()
			);
		}
		let most = MarketWeights::reveal_result(AGENDA_SEARCH);
		assert!(MarketWeights::reveal_result(0).ref_time() < most.ref_time());
	});
}
