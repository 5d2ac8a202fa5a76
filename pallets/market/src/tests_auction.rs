//! The close of the reverse auction: who wins, what the client pays, who is passed over.

use crate::{mock::*, tests::*, BidRefusal, Configuration, Event, JobState, Jobs};
use frame_support::assert_ok;
use kiln_primitives::{Collateral as _, Ineligibility, JobEscrow, Outcome, ProviderRegistry};

fn winner(job: u64) -> Option<(AccountId, Balance)> {
	Jobs::<Test>::get(job).and_then(|j| j.award).map(|a| (a.provider, a.price))
}

/// Runs to the close of `job`'s auction.
pub(crate) fn close(job: u64) {
	let ends = Jobs::<Test>::get(job).unwrap().bidding_ends;
	run_to_block(ends);
}

#[test]
fn the_lowest_price_wins_and_is_paid() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		bid(P1, job, 700);
		bid(P2, job, 500);
		bid(P3, job, 650);
		close(job);
		assert_eq!(winner(job), Some((P2, 500)));
		assert!(events().contains(&Event::JobAwarded {
			job_id: job,
			provider: P2,
			price: 500,
			deadline: 16
		}));
	});
}

#[test]
fn ties_go_to_the_higher_reputation_then_to_the_earlier_bid() {
	build_and_execute(|| {
		// Same reputation: the earlier bid wins.
		let job = create(CLIENT, 1_000);
		bid(P2, job, 500);
		bid(P1, job, 500);
		close(job);
		assert_eq!(winner(job), Some((P2, 500)));

		// P3 passed a challenge: a better score beats an earlier bid at the same price.
		Providers::record_outcome(&P3, Outcome::ChallengePassed);
		let job = create(CLIENT, 1_000);
		bid(P1, job, 500);
		bid(P3, job, 500);
		close(job);
		assert_eq!(winner(job), Some((P3, 500)));
	});
}

#[test]
fn a_changed_bid_counts_from_its_new_time() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		bid(P1, job, 500);
		run_to_block(2);
		bid(P2, job, 500);
		run_to_block(3);
		bid(P1, job, 500); // re-placed later: now behind P2
		close(job);
		assert_eq!(winner(job), Some((P2, 500)));
	});
}

#[test]
fn second_price_pays_the_runner_up_price() {
	build_and_execute(|| {
		let mut config = Configuration::<Test>::get();
		config.second_price = true;
		assert_ok!(Market::configure(RuntimeOrigin::root(), config));
		let job = create(CLIENT, 1_000);
		bid(P1, job, 700);
		bid(P2, job, 400);
		bid(P3, job, 650);
		close(job);
		assert_eq!(winner(job), Some((P2, 650)));
		// The winner's collateral follows the price paid.
		assert_eq!(Jobs::<Test>::get(job).unwrap().award.unwrap().collateral, 750);

		// A lone bid is paid the job's max_price.
		let job = create(CLIENT, 900);
		bid(P1, job, 300);
		close(job);
		assert_eq!(winner(job), Some((P1, 900)));
	});
}

#[test]
fn a_retracted_bid_cannot_win() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		bid(P1, job, 100);
		bid(P2, job, 900);
		assert_ok!(Market::retract_bid(RuntimeOrigin::signed(P1), job));
		close(job);
		assert_eq!(winner(job), Some((P2, 900)));
	});
}

/// The first bid's provider paused: it is passed over (counted as a refusal) and forfeits its
/// bid deposit to the client (finding 8 of issue 11); the next bid wins.
#[test]
fn a_winner_no_longer_eligible_at_the_close_is_passed_over_and_counted() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		bid(P1, job, 100);
		bid(P2, job, 200);
		bid(P3, job, 300);
		assert_ok!(Providers::pause(RuntimeOrigin::signed(P1)));
		// P2 spends its free collateral on another job awarded first.
		let other = create(OTHER_CLIENT, 1_000);
		bid(P2, other, 850); // locks 950 of 1 000 at block 6 ...
		let (client, p1, p3) = (free(CLIENT), free(P1), free(P3));
		close(job); // ... the same block: `other` (created later) closes after `job`.
		assert_eq!(winner(job), Some((P2, 200)));
		// P1's deposit is paid out of its bond; its free balance stays.
		assert_eq!((free(P1), free(CLIENT)), (p1, client + BID_DEPOSIT));
		assert_eq!(Collateral::bonded(&P1), PROVIDER_BOND - BID_DEPOSIT);
		assert_eq!(free(P3), p3);
		assert_eq!(Collateral::free(&P3), PROVIDER_BOND, "the losing bid's deposit comes back");
		assert_eq!(winner(other), None);
		assert!(matches!(Jobs::<Test>::get(other).unwrap().state, JobState::Expired { at: 6 }));
		// P2's collateral was taken by `job` (300 of 1 000), so `other` (950) could not lock.
		assert_eq!(Jobs::<Test>::get(other).unwrap().refusals.collateral, 1);
		let refusals = Jobs::<Test>::get(job).unwrap().refusals;
		assert_eq!((refusals.paused, refusals.total()), (1, 1));
		assert!(events().contains(&Event::BidRefused {
			job_id: job,
			provider: P1,
			reason: BidRefusal::Ineligible(Ineligibility::Paused)
		}));
	});
}

#[test]
fn no_bid_expires_the_job_with_a_full_refund_and_keeps_the_refusals() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		assert_ok!(Market::place_bid(RuntimeOrigin::signed(STRANGER), job, 500));
		close(job);
		assert!(events().contains(&Event::JobExpired { job_id: job }));
		assert_eq!(Escrow::escrowed(job), 0);
		assert_eq!(free(CLIENT), INITIAL_BALANCE - deposit_of(1_000));
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!((record.refusals.not_provider, record.award), (1, None));
	});
}
