//! Finding 8 of issue 11: bids cost nothing and lock nothing, so Sybil bids filled a job's
//! list, shut honest bidders out, then retracted or paused so that the job expired. Every
//! bid now holds `bid_deposit`; a full list gives way to a cheaper bid; a retracted bid, or
//! one whose provider cannot take the job when the close reaches it, pays its deposit to the
//! client; every other bid gets its deposit back.

use crate::{asset, mock::*, tests::*, tests_auction::close, Bids, Error, Event, JobState, Jobs};
use frame_support::{assert_noop, assert_ok, traits::fungible::Mutate};

/// The mock's bid list holds four: four Sybil providers fill it.
const SYBILS: [AccountId; 4] = [21, 22, 23, 24];
const HONEST: AccountId = P1;

fn sybils() {
	for s in SYBILS {
		register(s, profile(1, 24_564, 89, *b"DE"));
	}
}

fn bid_hold(who: AccountId) -> Balance {
	asset::bids_held::<Test>(&who)
}

#[test]
fn a_bid_holds_its_deposit_and_a_changed_bid_holds_it_once() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		let before = free(P1);
		bid(P1, job, 800);
		assert_eq!((bid_hold(P1), free(P1)), (BID_DEPOSIT, before - BID_DEPOSIT));
		bid(P1, job, 700);
		assert_eq!(bid_hold(P1), BID_DEPOSIT);
		// No free balance for the deposit: refused, nothing written.
		let poor = 25;
		register(poor, profile(1, 24_564, 89, *b"DE"));
		Balances::set_balance(&poor, BID_DEPOSIT - 1);
		assert_noop!(
			Market::place_bid(RuntimeOrigin::signed(poor), job, 600),
			Error::<Test>::InsufficientBalance
		);
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
		// Before: `TooManyBids`. Now the dearest Sybil leaves, with its deposit back.
		let dearest = SYBILS[3];
		let dearest_free = free(dearest);
		bid(HONEST, job, 500);
		assert!(events().contains(&Event::BidEvicted {
			job_id: job,
			provider: dearest,
			by: HONEST
		}));
		assert_eq!((bid_hold(dearest), free(dearest)), (0, dearest_free + BID_DEPOSIT));
		let bidders: Vec<_> = Bids::<Test>::get(job).iter().map(|b| b.provider).collect();
		assert_eq!(bidders, vec![SYBILS[0], SYBILS[1], SYBILS[2], HONEST]);
		// The honest bid is the cheapest: it wins and gets its deposit back, as do the losers.
		close(job);
		assert_eq!(Jobs::<Test>::get(job).unwrap().award.unwrap().provider, HONEST);
		for who in [HONEST, SYBILS[0], SYBILS[1], SYBILS[2]] {
			assert_eq!(bid_hold(who), 0);
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
		// ...but every Sybil paid its deposit to the client (two at the retract, two at the
		// close), on top of the escrow's refund.
		for (s, before) in SYBILS.iter().zip(sybil_free) {
			assert_eq!((bid_hold(*s), free(*s)), (0, before), "{s} got nothing back");
			assert!(events().contains(&Event::BidDepositForfeited {
				job_id: job,
				provider: *s,
				amount: BID_DEPOSIT
			}));
		}
		assert_eq!(free(CLIENT), client + 4 * BID_DEPOSIT + 1_000 + VERIFICATION_FEE);
		// The honest provider, shut out, lost nothing.
		assert_eq!(free(HONEST), honest);
	});
}

#[test]
fn a_cancelled_job_returns_every_bid_deposit() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		let before = [free(P1), free(P2)];
		bid(P1, job, 100);
		bid(P2, job, 200);
		assert_ok!(Market::cancel_job(RuntimeOrigin::signed(CLIENT), job));
		assert_eq!([free(P1), free(P2)], before);
		assert_eq!((bid_hold(P1), bid_hold(P2)), (0, 0));
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
