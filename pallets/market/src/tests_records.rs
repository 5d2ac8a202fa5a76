//! What the market records for clients: each awarded job's outcome, the running totals and
//! the recent clearing prices quotes come from, and that a self-dealer cannot cheaply move them.

use crate::{
	mock::*,
	tests::{awarded, bid, commit_and_reveal, create},
	ClearingPrices, JobOutcome, Jobs, Outcomes, Totals,
};
use frame_support::assert_ok;
use kiln_primitives::{quote, Backend, VerifiedMarket as _, WorkloadKind, QUOTE_WINDOW};

/// A job of CLIENT awarded to P1 at `price`, revealed and settled.
fn settled(max_price: Balance, price: Balance) -> u64 {
	let job = create(CLIENT, max_price);
	bid(P1, job, price);
	run_to_block(System::block_number() + BIDDING);
	commit_and_reveal(P1, job);
	run_to_block(System::block_number() + WINDOW);
	job
}

#[test]
fn a_settled_job_records_its_outcome_totals_and_clearing_price() {
	build_and_execute(|| {
		let job = awarded(1_000, 600);
		assert_eq!(Outcomes::<Test>::get(job), None, "no outcome while the job runs");
		let out = commit_and_reveal(P1, job);
		run_to_block(System::block_number() + WINDOW);
		// 10 % fee on 600; 400 + the verification fee back (as in the settlement test); the
		// output stays readable after the state forgot it.
		assert_eq!(
			Outcomes::<Test>::get(job),
			Some(JobOutcome { output: Some(out), ..JobOutcome::settled(540, 60, 450, 0) })
		);
		let totals = Totals::<Test>::get();
		assert_eq!((totals.jobs_created, totals.jobs_completed), (1, 1));
		assert_eq!((totals.paid_to_providers, totals.protocol_fees, totals.slashed), (540, 60, 0));
		let prices = ClearingPrices::<Test>::get(WorkloadKind::Gemm);
		assert_eq!(prices.len(), 1);
		let price = &prices[0];
		assert_eq!((price.price, price.units), (600, 1_024 * 1_024 * 4_096));
		assert_eq!((price.backend, price.gpu_count), (Backend::Cuda, 1));
		assert!(ClearingPrices::<Test>::get(WorkloadKind::Wasm).is_empty());
		// The quote for half the work, on comparable hardware.
		let q = quote(&prices, WorkloadKind::Gemm, &requirements(), 512 * 1_024 * 4_096);
		assert_eq!(q.comparable.map(|r| (r.count, r.median)), Some((1, 300)));
		// The outcome goes with the record.
		run_to_block(System::block_number() + RETENTION);
		assert_ok!(crate::Pallet::<Test>::drop_job(RuntimeOrigin::signed(P2), job));
		assert_eq!(Outcomes::<Test>::get(job), None);
		assert_eq!(Jobs::<Test>::get(job), None);
	});
}

#[test]
fn failed_expired_and_cancelled_jobs_are_counted_and_priced_nowhere() {
	build_and_execute(|| {
		let failed = awarded(1_000, 600);
		run_to_block(System::block_number() + EXECUTION + 1);
		let outcome = Outcomes::<Test>::get(failed).expect("recorded");
		assert!(outcome.missed_deadline && outcome.rejected.is_none());
		assert_eq!((outcome.paid, outcome.refunded, outcome.slashed), (0, 1_050, 350));
		assert_eq!(outcome.output, None);
		let expired = create(CLIENT, 1_000);
		run_to_block(System::block_number() + BIDDING);
		let cancelled = create(CLIENT, 1_000);
		assert_ok!(crate::Pallet::<Test>::cancel_job(RuntimeOrigin::signed(CLIENT), cancelled));
		// Nothing was awarded: nothing to record but the count.
		assert_eq!(
			(Outcomes::<Test>::get(expired), Outcomes::<Test>::get(cancelled)),
			(None, None)
		);
		let totals = Totals::<Test>::get();
		assert_eq!(
			(totals.jobs_created, totals.jobs_failed, totals.jobs_expired, totals.jobs_cancelled),
			(3, 1, 1, 1)
		);
		assert_eq!((totals.jobs_completed, totals.slashed, totals.paid_to_providers), (0, 350, 0));
		assert!(ClearingPrices::<Test>::iter().next().is_none(), "only settled jobs set prices");
	});
}

#[test]
fn a_rejected_job_records_why_and_what_the_verifiers_got() {
	build_and_execute(|| {
		let job = awarded(1_000, 600);
		commit_and_reveal(P1, job);
		// Verification (here called directly, as pallet-proof-of-compute does) rejects it.
		// The mock settles after a window, so the job must be awaiting a verdict: take the
		// settlement off the agenda as a verifying pallet would have held it.
		let mut record = Jobs::<Test>::get(job).unwrap();
		let crate::JobState::Revealed { output, settles_at: Some(at) } = record.state.clone()
		else {
			panic!("revealed")
		};
		crate::Pallet::<Test>::unschedule(job, at);
		record.state = crate::JobState::Revealed { output, settles_at: None };
		Jobs::<Test>::insert(job, record);
		assert_ok!(crate::Pallet::<Test>::reject(job, &[P2], kiln_primitives::Rejection::Wrong));
		let outcome = Outcomes::<Test>::get(job).expect("recorded");
		assert_eq!(outcome.rejected, Some(kiln_primitives::Rejection::Wrong));
		// The flat verification fee to P2; the whole job collateral (100 + 600) slashed.
		assert_eq!((outcome.verifiers_paid, outcome.slashed, outcome.paid), (50, 700, 0));
		assert!(outcome.output.is_some(), "the rejected output stays for the client to see");
		let totals = Totals::<Test>::get();
		assert_eq!((totals.jobs_rejected, totals.paid_to_verifiers, totals.slashed), (1, 50, 700));
		assert!(ClearingPrices::<Test>::get(WorkloadKind::Gemm).is_empty());
	});
}

#[test]
fn the_price_list_keeps_the_latest_window_of_settled_jobs() {
	build_and_execute(|| {
		for i in 0..=QUOTE_WINDOW as Balance {
			settled(1_000, 200 + i);
		}
		let prices = ClearingPrices::<Test>::get(WorkloadKind::Gemm);
		assert_eq!(prices.len() as u32, QUOTE_WINDOW);
		// The first (200) went out; oldest first.
		assert_eq!(
			(prices[0].price, prices[prices.len() - 1].price),
			(201, 200 + QUOTE_WINDOW as Balance)
		);
	});
}

/// The attack: a self-dealer (client and provider both its own) posts jobs far below the
/// going rate so that quotes tell clients to offer too little and their jobs go unbid. Jobs
/// under `reputation_min_price` never enter the price list; at the floor each one costs the
/// protocol fee, and the median does not move until the self-dealer owns more than half the
/// window.
#[test]
fn cheap_self_dealt_jobs_do_not_move_quotes() {
	build_and_execute(|| {
		for _ in 0..3 {
			settled(1_000, 600);
		}
		let treasury = Balances::free_balance(TREASURY);
		for _ in 0..10 {
			let job = create(OTHER_CLIENT, REPUTATION_MIN_PRICE - 1);
			bid(P1, job, REPUTATION_MIN_PRICE - 1);
			run_to_block(System::block_number() + BIDDING);
			commit_and_reveal(P1, job);
			run_to_block(System::block_number() + WINDOW);
		}
		let prices = ClearingPrices::<Test>::get(WorkloadKind::Gemm);
		assert_eq!(prices.len(), 3, "jobs under the floor are not prices");
		// At the floor, two self-dealt jobs against three honest ones: the median holds.
		for _ in 0..2 {
			let job = create(OTHER_CLIENT, REPUTATION_MIN_PRICE);
			bid(P1, job, REPUTATION_MIN_PRICE);
			run_to_block(System::block_number() + BIDDING);
			commit_and_reveal(P1, job);
			run_to_block(System::block_number() + WINDOW);
		}
		let prices = ClearingPrices::<Test>::get(WorkloadKind::Gemm);
		let units = prices[0].units;
		let q = quote(&prices, WorkloadKind::Gemm, &requirements(), units);
		assert_eq!(q.comparable.map(|r| (r.count, r.min, r.median)), Some((5, 100, 600)));
		// What the attack cost in fees so far: 10 % of every self-dealt price.
		let fee = |price| market_config().protocol_fee * price;
		let fees = 10 * fee(REPUTATION_MIN_PRICE - 1) + 2 * fee(REPUTATION_MIN_PRICE);
		assert_eq!(Balances::free_balance(TREASURY) - treasury, fees);
	});
}
