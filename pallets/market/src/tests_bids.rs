//! Finding 8 of issue 11: bids cost nothing and lock nothing, so Sybil bids filled a job's
//! list, shut honest bidders out, then retracted or paused so that the job expired. Every
//! bid now locks `bid_deposit` of its provider's collateral; a full list gives way to a
//! cheaper bid; a retracted bid, or one whose provider cannot take the job when the close
//! reaches it, pays its deposit out of the bond to the client; every other bid gets its
//! deposit back.

use crate::{
	asset, mock::*, tests::*, tests_auction::close, BidRefusal, Bids, Error, Event, JobState, Jobs,
};
use frame_support::{assert_noop, assert_ok};
use kiln_primitives::Collateral as _;

/// The mock's bid list holds four: four Sybil providers fill it.
const SYBILS: [AccountId; 4] = [21, 22, 23, 24];
const HONEST: AccountId = P1;

fn sybils() {
	for s in SYBILS {
		register(s, profile(1, 24_564, 89, *b"DE"));
	}
}

/// What `who` has locked of its collateral: its bid deposits and job collateral.
fn locked(who: AccountId) -> Balance {
	Collateral::bonded(&who) - Collateral::free(&who)
}

#[test]
fn a_bid_locks_its_deposit_in_collateral_and_a_changed_bid_locks_it_once() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		let before = free(P1);
		bid(P1, job, 800);
		// The deposit is a lock of the bond, not a hold of the free balance.
		assert_eq!((locked(P1), free(P1)), (BID_DEPOSIT, before));
		assert_eq!(asset::bids_held::<Test>(&P1), 0);
		bid(P1, job, 700);
		assert_eq!(locked(P1), BID_DEPOSIT);
		// The locked deposit cannot be unbonded while the bid stands.
		assert_noop!(
			Collateral::unbond(RuntimeOrigin::signed(P1), PROVIDER_BOND),
			pallet_collateral::Error::<Test>::WouldUnbondLockedCollateral
		);
	});
}

#[test]
fn a_new_bid_needs_its_deposit_free_and_a_changed_one_only_its_collateral() {
	build_and_execute(|| {
		// A deposit dearer than the job collateral of a cheap bid (100 + price).
		crate::Configuration::<Test>::mutate(|c| c.bid_deposit = 300);
		let job = create(CLIENT, 1_000);
		bid(P1, job, 150);
		// P2 has 250 free: enough for the job collateral of 150, not for the deposit.
		assert_ok!(Collateral::lock(&P2, PROVIDER_BOND - 250));
		bid(P2, job, 150);
		assert_eq!(
			last_event(),
			Event::BidRefused { job_id: job, provider: P2, reason: BidRefusal::Collateral }
		);
		assert!(Bids::<Test>::get(job).iter().all(|b| b.provider != P2));
		// P1's changed bid needs 240 free for its collateral; it has 700 besides its deposit.
		bid(P1, job, 140);
		assert_eq!(locked(P1), 300);
		Collateral::unlock(&P2, PROVIDER_BOND);
	});
}

#[test]
fn sybil_bids_filling_the_list_give_way_to_a_cheaper_honest_bid() {
	build_and_execute(|| {
		sybils();
		let job = create(CLIENT, 1_000);
		for (i, s) in SYBILS.into_iter().enumerate() {
			bid(s, job, 600 + i as Balance);
		}
		// Before: `TooManyBids`. Now the dearest Sybil leaves, its deposit unlocked.
		let dearest = SYBILS[3];
		let dearest_free = free(dearest);
		bid(HONEST, job, 500);
		assert!(events().contains(&Event::BidEvicted {
			job_id: job,
			provider: dearest,
			by: HONEST
		}));
		assert_eq!((locked(dearest), free(dearest)), (0, dearest_free));
		assert_eq!(Collateral::bonded(&dearest), PROVIDER_BOND);
		let bidders: Vec<_> = Bids::<Test>::get(job).iter().map(|b| b.provider).collect();
		assert_eq!(bidders, vec![SYBILS[0], SYBILS[1], SYBILS[2], HONEST]);
		// The honest bid is the cheapest: it wins, its deposit lock becomes the job's collateral
		// lock (100 + 500), and the losers get their deposits back.
		close(job);
		assert_eq!(Jobs::<Test>::get(job).unwrap().award.unwrap().provider, HONEST);
		assert_eq!(locked(HONEST), 600);
		for who in [SYBILS[0], SYBILS[1], SYBILS[2]] {
			assert_eq!((locked(who), Collateral::bonded(&who)), (0, PROVIDER_BOND));
		}
	});
}

#[test]
fn sybils_that_block_a_job_then_retract_or_pause_pay_its_client() {
	build_and_execute(|| {
		sybils();
		let job = create(CLIENT, 1_000);
		// The cheapest possible bids: nobody can bid under them.
		for s in SYBILS {
			bid(s, job, 1);
		}
		let sybil_free: Vec<Balance> = SYBILS.iter().map(|s| free(*s)).collect();
		let (client, honest) = (free(CLIENT), free(HONEST));
		let bonded = pallet_collateral::TotalBonded::<Test>::get();
		assert_noop!(
			Market::place_bid(RuntimeOrigin::signed(HONEST), job, 1),
			Error::<Test>::TooManyBids
		);
		// Two retract, two pause before the close: the job expires, as before...
		assert_ok!(Market::retract_bid(RuntimeOrigin::signed(SYBILS[0]), job));
		assert_ok!(Market::retract_bid(RuntimeOrigin::signed(SYBILS[1]), job));
		assert_ok!(Providers::pause(RuntimeOrigin::signed(SYBILS[2])));
		assert_ok!(Providers::pause(RuntimeOrigin::signed(SYBILS[3])));
		close(job);
		assert!(matches!(Jobs::<Test>::get(job).unwrap().state, JobState::Expired { .. }));
		// ...but every Sybil paid its deposit out of its bond to the client (two at the
		// retract, two at the close), on top of the escrow's refund.
		for (s, before) in SYBILS.iter().zip(sybil_free) {
			assert_eq!(free(*s), before, "{s}'s free balance moved");
			assert_eq!(
				(locked(*s), Collateral::bonded(s)),
				(0, PROVIDER_BOND - BID_DEPOSIT),
				"{s} got its deposit back"
			);
			assert!(events().contains(&Event::BidDepositForfeited {
				job_id: job,
				provider: *s,
				amount: BID_DEPOSIT
			}));
		}
		assert_eq!(pallet_collateral::TotalBonded::<Test>::get(), bonded - 4 * BID_DEPOSIT);
		assert_eq!(free(CLIENT), client + 4 * BID_DEPOSIT + 1_000 + VERIFICATION_FEE);
		// The honest provider, shut out, lost nothing.
		assert_eq!(free(HONEST), honest);
		assert_eq!(Collateral::bonded(&HONEST), PROVIDER_BOND);
	});
}

#[test]
fn a_cancelled_job_returns_every_bid_deposit() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		let before = [free(P1), free(P2)];
		bid(P1, job, 100);
		bid(P2, job, 200);
		assert_eq!((locked(P1), locked(P2)), (BID_DEPOSIT, BID_DEPOSIT));
		assert_ok!(Market::cancel_job(RuntimeOrigin::signed(CLIENT), job));
		assert_eq!([free(P1), free(P2)], before);
		assert_eq!((locked(P1), locked(P2)), (0, 0));
	});
}

/// Each way of storing a bid is charged its own benchmark after dispatch, and never more than
/// the weight charged before it: a new bid, a changed one (no deposit moves), one that evicts
/// the dearest (another provider's deposit goes back: the most storage), and a refusal.
#[test]
fn each_bid_outcome_is_charged_its_own_weight() {
	use crate::WeightInfo as _;
	use frame_support::dispatch::GetDispatchInfo;
	type W = <Test as crate::Config>::WeightInfo;
	build_and_execute(|| {
		sybils();
		let job = create(CLIENT, 1_000);
		let call = crate::Call::<Test>::place_bid { job_id: job, price: 900 };
		let charged = call.get_dispatch_info().call_weight;
		let place = |who: AccountId, price: Balance| {
			let post = Market::place_bid(RuntimeOrigin::signed(who), job, price)
				.expect("the bid is placed or refused, not failed");
			let actual = post.actual_weight.expect("place_bid reports its weight");
			assert!(actual.all_lte(charged), "{actual:?} above the {charged:?} charged");
			actual
		};

		assert_eq!(place(SYBILS[0], 600), W::place_bid(0));
		assert_eq!(place(SYBILS[1], 601), W::place_bid(1));
		assert_eq!(place(SYBILS[1], 599), W::change_bid(2));
		assert_eq!(place(SYBILS[2], 602), W::place_bid(2));
		assert_eq!(place(SYBILS[3], 603), W::place_bid(3));
		// The list is full: a cheaper bid evicts the dearest.
		assert_eq!(place(HONEST, 500), W::place_bid_evicting());
		// Not a provider: refused, charged as a new bid would be.
		assert_eq!(place(CLIENT + 100, 400), W::place_bid(4));
		assert!(events().iter().any(|e| matches!(e, Event::BidRefused { .. })));
	});
}
