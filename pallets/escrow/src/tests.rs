//! Stories of one job's funds; `try_state` runs after each.

use crate::{asset, mock::*, Error, EscrowRecord, Escrows, Event};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use kiln_primitives::JobEscrow;

fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

#[test]
fn a_job_settles_price_to_the_provider_fee_to_the_treasury_rest_to_the_client() {
	build_and_execute(|| {
		let issuance = Balances::total_issuance();
		assert_ok!(Escrow::lock(7, &CLIENT, 500));
		assert_eq!(free(CLIENT), 500);
		assert_eq!(asset::held::<Test>(&CLIENT), 500);
		assert_eq!(Escrow::escrowed(7), 500);

		assert_ok!(Escrow::release_to(7, &PROVIDER, 300));
		assert_ok!(Escrow::collect_fee(7, 30));
		assert_eq!(Escrow::escrowed(7), 170);
		assert_eq!(Escrow::refund(7), Ok(170));

		assert_eq!(free(PROVIDER), 100 + 300);
		assert_eq!(free(TREASURY), ED + 30);
		assert_eq!(free(CLIENT), 1_000 - 300 - 30);
		assert_eq!(asset::held::<Test>(&CLIENT), 0);
		assert!(Escrows::<Test>::get(7).is_none());
		assert_eq!(Escrows::<Test>::iter().count(), 0);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_eq!(
			events(),
			vec![
				Event::Locked { job_id: 7, client: CLIENT, amount: 500 },
				Event::Released { job_id: 7, to: PROVIDER, amount: 300 },
				Event::FeeCollected { job_id: 7, amount: 30 },
				Event::Refunded { job_id: 7, client: CLIENT, amount: 170 },
			]
		);
	});
}

#[test]
fn escrows_of_several_jobs_share_one_hold_per_client() {
	build_and_execute(|| {
		assert_ok!(Escrow::lock(1, &CLIENT, 200));
		assert_ok!(Escrow::lock(2, &CLIENT, 300));
		assert_ok!(Escrow::lock(3, &OTHER_CLIENT, 400));
		assert_eq!(asset::held::<Test>(&CLIENT), 500);
		assert_eq!(Escrows::<Test>::iter().map(|(_, r)| r.held).sum::<Balance>(), 900);
		assert_eq!(Escrows::<Test>::iter().count(), 3);
		// Paying out of job 1 never touches job 2's funds.
		assert_noop!(Escrow::release_to(1, &PROVIDER, 201), Error::<Test>::ExceedsEscrow);
		assert_ok!(Escrow::release_to(1, &PROVIDER, 200));
		assert_eq!(Escrow::escrowed(2), 300);
		assert_eq!(Escrow::refund(1), Ok(0));
		assert_eq!(Escrow::refund(2), Ok(300));
		assert_eq!(asset::held::<Test>(&CLIENT), 0);
		assert_eq!(asset::held::<Test>(&OTHER_CLIENT), 400);
	});
}

#[test]
fn lock_errors() {
	build_and_execute(|| {
		assert_noop!(Escrow::lock(1, &CLIENT, 0), Error::<Test>::ZeroAmount);
		// The existential deposit stays free.
		assert_noop!(Escrow::lock(1, &CLIENT, 1_000), Error::<Test>::InsufficientBalance);
		assert_noop!(Escrow::lock(1, &VERIFIER, 1), Error::<Test>::InsufficientBalance);
		assert_ok!(Escrow::lock(1, &CLIENT, 100));
		assert_noop!(Escrow::lock(1, &OTHER_CLIENT, 100), Error::<Test>::AlreadyLocked);
	});
}

#[test]
fn payout_and_refund_errors() {
	build_and_execute(|| {
		assert_noop!(Escrow::release_to(1, &PROVIDER, 10), Error::<Test>::NoEscrow);
		assert_noop!(Escrow::collect_fee(1, 10), Error::<Test>::NoEscrow);
		assert_noop!(Escrow::refund(1), Error::<Test>::NoEscrow);
		assert_ok!(Escrow::lock(1, &CLIENT, 100));
		assert_noop!(Escrow::release_to(1, &PROVIDER, 0), Error::<Test>::ZeroAmount);
		assert_noop!(Escrow::collect_fee(1, 101), Error::<Test>::ExceedsEscrow);
		assert_eq!(Escrow::escrowed(1), 100);
		assert_eq!(Escrow::escrowed(2), 0);
	});
}

#[test]
fn a_payout_below_the_existential_deposit_to_a_new_account_fails_and_changes_nothing() {
	build_and_execute(|| {
		assert_ok!(Escrow::lock(1, &CLIENT, 100));
		// The verifier's account does not exist; 5 is below the existential deposit of 10.
		assert!(Escrow::release_to(1, &VERIFIER, 5).is_err());
		assert_eq!(Escrow::escrowed(1), 100);
		assert_eq!(asset::held::<Test>(&CLIENT), 100);
		// Enough to create the account works.
		assert_ok!(Escrow::release_to(1, &VERIFIER, ED));
		assert_eq!(free(VERIFIER), ED);
	});
}

#[test]
fn try_state_catches_an_escrow_that_does_not_match_the_hold() {
	new_test_ext().execute_with(|| {
		assert_ok!(Escrow::lock(1, &CLIENT, 100));
		assert_ok!(Escrow::do_try_state());
		Escrows::<Test>::insert(1, EscrowRecord { client: CLIENT, held: 99 });
		assert!(Escrow::do_try_state().is_err());
		Escrows::<Test>::insert(1, EscrowRecord { client: CLIENT, held: 100 });
		assert_ok!(Escrow::do_try_state());
		// Another client's escrow with no hold behind it.
		Escrows::<Test>::insert(2, EscrowRecord { client: OTHER_CLIENT, held: 1 });
		assert!(Escrow::do_try_state().is_err());
	});
}
