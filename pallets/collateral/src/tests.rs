//! Stories of one provider's collateral; `try_state` runs after each.

use crate::{
	asset, mock::*, ConfigRecord, Configuration, Error, Event, Ledgers, TotalBonded, UnlockChunk,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use kiln_primitives::{Collateral as _, SlashReason};
use sp_runtime::{DispatchError, Perbill};

fn bond(who: AccountId, amount: Balance) {
	assert_ok!(Collateral::bond(RuntimeOrigin::signed(who), amount));
}

fn free_balance(who: AccountId) -> Balance {
	Balances::balance(&who)
}

#[test]
fn bond_holds_funds_and_records_a_ledger() {
	build_and_execute(|| {
		bond(1, 300);
		assert_eq!(free_balance(1), 700);
		assert_eq!(asset::held::<Test>(&1), 300);
		let ledger = Ledgers::<Test>::get(1).unwrap();
		assert_eq!((ledger.active, ledger.locked, ledger.unlocking.len()), (300, 0, 0));
		assert_eq!(TotalBonded::<Test>::get(), 300);
		assert_eq!(events(), vec![Event::Bonded { who: 1, amount: 300 }]);
	});
}

#[test]
fn bond_errors() {
	build_and_execute(|| {
		assert_noop!(Collateral::bond(RuntimeOrigin::signed(1), 0), Error::<Test>::ZeroAmount);
		assert_noop!(
			Collateral::bond(RuntimeOrigin::signed(1), MIN_BOND - 1),
			Error::<Test>::BondTooSmall
		);
		// The existential deposit must stay free.
		assert_noop!(
			Collateral::bond(RuntimeOrigin::signed(1), 1_000),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Collateral::bond(RuntimeOrigin::signed(7), MIN_BOND),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(Collateral::bond(RuntimeOrigin::none(), MIN_BOND), DispatchError::BadOrigin);
		bond(1, MIN_BOND);
		assert_noop!(
			Collateral::bond(RuntimeOrigin::signed(1), MIN_BOND),
			Error::<Test>::AlreadyBonded
		);
	});
}

#[test]
fn bond_extra_adds_to_the_active_bond() {
	build_and_execute(|| {
		bond(1, 200);
		assert_ok!(Collateral::bond_extra(RuntimeOrigin::signed(1), 5));
		assert_eq!(Ledgers::<Test>::get(1).unwrap().active, 205);
		assert_eq!(asset::held::<Test>(&1), 205);
		assert_eq!(TotalBonded::<Test>::get(), 205);
		assert_noop!(
			Collateral::bond_extra(RuntimeOrigin::signed(1), 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Collateral::bond_extra(RuntimeOrigin::signed(1), 800),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(Collateral::bond_extra(RuntimeOrigin::signed(2), 5), Error::<Test>::NotBonded);
	});
}

#[test]
fn unbond_then_withdraw_after_the_period() {
	build_and_execute(|| {
		bond(1, 500);
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 200));
		let unlock_at = 1 + UNBONDING_PERIOD;
		assert_eq!(events().last(), Some(&Event::Unbonded { who: 1, amount: 200, unlock_at }));
		let ledger = Ledgers::<Test>::get(1).unwrap();
		assert_eq!(ledger.active, 300);
		assert_eq!(ledger.unlocking.to_vec(), vec![UnlockChunk { value: 200, unlock_at }]);
		// Still held while unbonding.
		assert_eq!(asset::held::<Test>(&1), 500);

		run_to_block(unlock_at - 1);
		assert_noop!(
			Collateral::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NothingToWithdraw
		);
		run_to_block(unlock_at);
		// Charged for MaxUnlockingChunks, refunded down to the one chunk withdrawn.
		let info = Collateral::withdraw_unbonded(RuntimeOrigin::signed(1)).unwrap();
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::withdraw_unbonded(1)));
		assert!(
			<() as crate::WeightInfo>::withdraw_unbonded(1).ref_time()
				< <() as crate::WeightInfo>::withdraw_unbonded(MAX_CHUNKS).ref_time()
		);
		assert_eq!(events().last(), Some(&Event::Withdrawn { who: 1, amount: 200 }));
		assert_eq!(free_balance(1), 700);
		assert_eq!(asset::held::<Test>(&1), 300);
		assert_eq!(TotalBonded::<Test>::get(), 300);
	});
}

#[test]
fn unbonding_everything_removes_the_ledger_on_withdraw() {
	build_and_execute(|| {
		bond(1, 500);
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 500));
		run_to_block(1 + UNBONDING_PERIOD);
		assert_ok!(Collateral::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert!(Ledgers::<Test>::get(1).is_none());
		assert_eq!(free_balance(1), 1_000);
		assert_eq!(Ledgers::<Test>::count(), 0);
		// And the account can bond again from scratch.
		bond(1, MIN_BOND);
	});
}

#[test]
fn unbonds_in_one_block_share_a_chunk_and_chunks_are_bounded() {
	build_and_execute(|| {
		bond(1, 900);
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 10));
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 10));
		assert_eq!(Ledgers::<Test>::get(1).unwrap().unlocking.len(), 1);
		for block in 2..=MAX_CHUNKS as u64 {
			run_to_block(block);
			assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 10));
		}
		run_to_block(MAX_CHUNKS as u64 + 1);
		assert_noop!(
			Collateral::unbond(RuntimeOrigin::signed(1), 10),
			Error::<Test>::TooManyUnlockingChunks
		);
		// Withdrawing the first chunk makes room again.
		run_to_block(1 + UNBONDING_PERIOD);
		assert_ok!(Collateral::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(events().last(), Some(&Event::Withdrawn { who: 1, amount: 20 }));
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 10));
	});
}

#[test]
fn unbond_errors() {
	build_and_execute(|| {
		assert_noop!(Collateral::unbond(RuntimeOrigin::signed(1), 10), Error::<Test>::NotBonded);
		bond(1, 500);
		assert_noop!(Collateral::unbond(RuntimeOrigin::signed(1), 0), Error::<Test>::ZeroAmount);
		assert_noop!(
			Collateral::unbond(RuntimeOrigin::signed(1), 501),
			Error::<Test>::UnbondExceedsBond
		);
		// 450 would leave 50, under min_bond: unbond all or keep at least 100.
		assert_noop!(
			Collateral::unbond(RuntimeOrigin::signed(1), 450),
			Error::<Test>::BelowMinimumBond
		);
		// A registered provider's minimum.
		MockHooks::set_minimum(1, 400);
		assert_noop!(
			Collateral::unbond(RuntimeOrigin::signed(1), 101),
			Error::<Test>::BelowProviderMinimum
		);
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 100));
		MockHooks::set_minimum(1, 0);
		// Collateral locked by a job in flight.
		assert_ok!(<Collateral as kiln_primitives::Collateral<_>>::lock(&1, 250));
		assert_noop!(
			Collateral::unbond(RuntimeOrigin::signed(1), 151),
			Error::<Test>::WouldUnbondLockedCollateral
		);
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 150));
	});
}

#[test]
fn lock_and_unlock_for_jobs() {
	build_and_execute(|| {
		assert_noop!(Collateral::lock(&1, 1), Error::<Test>::NotBonded);
		bond(1, 300);
		assert_ok!(Collateral::lock(&1, 200));
		assert_eq!(Collateral::free(&1), 100);
		assert_eq!(Collateral::bonded(&1), 300);
		assert_noop!(Collateral::lock(&1, 101), Error::<Test>::InsufficientFreeCollateral);
		Collateral::unlock(&1, 150);
		assert_eq!(Collateral::free(&1), 250);
		// Unlocking more than is locked (after a slash) is harmless.
		Collateral::unlock(&1, 1_000);
		assert_eq!(Collateral::free(&1), 300);
		Collateral::unlock(&2, 10);
		assert_eq!(Collateral::bonded(&2), 0);
	});
}

#[test]
fn forfeit_pays_a_locked_deposit_to_the_receiver_without_a_slash() {
	build_and_execute(|| {
		bond(1, 500);
		assert_ok!(Collateral::lock(&1, 100)); // a bid deposit
		assert_ok!(Collateral::lock(&1, 200)); // a job's collateral
		let issuance = Balances::total_issuance();
		assert_eq!(Collateral::forfeit(&1, 100, &2), 100);
		assert_eq!(free_balance(2), 1_100);
		assert_eq!(free_balance(1), 500);
		assert_eq!(asset::held::<Test>(&1), 400);
		let ledger = Ledgers::<Test>::get(1).unwrap();
		// The job's lock stays whole.
		assert_eq!((ledger.active, ledger.locked), (400, 200));
		assert_eq!(TotalBonded::<Test>::get(), 400);
		assert_eq!(Balances::total_issuance(), issuance);
		// Not a slash: no slash event, no slash total, no reputation hook.
		assert_eq!(crate::TotalSlashed::<Test>::get(), 0);
		assert_eq!(events(), vec![Event::Bonded { who: 1, amount: 500 }]);
		assert!(MockHooks::slash_notes().is_empty());
		assert_eq!(MockHooks::forfeit_notes(), vec![(1, 400)]);
		// Nobody bonded: nothing to pay.
		assert_eq!(Collateral::forfeit(&3, 100, &2), 0);
	});
}

#[test]
fn forfeit_pays_only_what_a_slash_left() {
	build_and_execute(|| {
		bond(1, 500);
		assert_ok!(Collateral::lock(&1, 100));
		assert_eq!(Collateral::slash(&1, 450, SlashReason::WrongResult, None), 450);
		assert_eq!(Collateral::forfeit(&1, 100, &2), 50);
		assert_eq!(free_balance(2), 1_050);
		assert!(Ledgers::<Test>::get(1).is_none());
		assert_eq!(TotalBonded::<Test>::get(), 0);
		assert_eq!(MockHooks::forfeit_notes(), vec![(1, 0)]);
	});
}

#[test]
fn a_forfeit_the_receiver_cannot_take_only_releases_the_lock() {
	build_and_execute(|| {
		bond(1, 500);
		assert_ok!(Collateral::lock(&1, ED - 1));
		// Account 42 does not exist, and less than the existential deposit cannot create it.
		assert_eq!(Collateral::forfeit(&1, ED - 1, &42), 0);
		assert_eq!(free_balance(42), 0);
		let ledger = Ledgers::<Test>::get(1).unwrap();
		assert_eq!((ledger.active, ledger.locked), (500, 0));
		assert_eq!(asset::held::<Test>(&1), 500);
		assert!(MockHooks::forfeit_notes().is_empty());
	});
}

#[test]
fn slash_pays_the_reporter_its_share_and_the_treasury_the_rest() {
	build_and_execute(|| {
		bond(1, 500);
		let issuance = Balances::total_issuance();
		assert_eq!(Collateral::slash(&1, 200, SlashReason::WrongResult, Some(&2)), 200);
		// 10 % of 200 to the reporter, 180 to the Treasury.
		assert_eq!(free_balance(2), 1_020);
		assert_eq!(free_balance(TREASURY), ED + 180);
		assert_eq!(asset::held::<Test>(&1), 300);
		assert_eq!(free_balance(1), 500);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_eq!(
			events().last(),
			Some(&Event::Slashed { who: 1, amount: 200, reason: SlashReason::WrongResult })
		);
		assert_eq!(MockHooks::slash_notes(), vec![(1, 300)]);
		// Without a reporter all of it goes to the Treasury.
		assert_eq!(Collateral::slash(&1, 100, SlashReason::MissedDeadline, None), 100);
		assert_eq!(free_balance(TREASURY), ED + 280);
		assert_eq!(TotalBonded::<Test>::get(), 200);
		assert_eq!(crate::TotalSlashed::<Test>::get(), 300);
	});
}

#[test]
fn slashing_more_than_is_bonded_takes_all_and_says_so() {
	build_and_execute(|| {
		bond(1, 500);
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 200));
		assert_ok!(Collateral::lock(&1, 300));
		assert_eq!(Collateral::slash(&1, 10_000, SlashReason::FailedChallenge, None), 500);
		let events = events();
		assert_eq!(
			events[events.len() - 2..],
			[
				Event::Slashed { who: 1, amount: 500, reason: SlashReason::FailedChallenge },
				Event::SlashExceededBond { who: 1, requested: 10_000, slashed: 500 },
			]
		);
		assert!(Ledgers::<Test>::get(1).is_none());
		assert_eq!(asset::held::<Test>(&1), 0);
		assert_eq!(free_balance(TREASURY), ED + 500);
		// What was taken, not what was asked.
		assert_eq!(crate::TotalSlashed::<Test>::get(), 500);
		// Nothing left: a further slash takes nothing and emits nothing.
		let before = System::events().len();
		assert_eq!(Collateral::slash(&1, 10, SlashReason::FailedChallenge, None), 0);
		assert_eq!(System::events().len(), before);
		assert_eq!(crate::TotalSlashed::<Test>::get(), 500);
	});
}

#[test]
fn slash_takes_active_first_then_the_newest_unlocking_chunk_and_clamps_locks() {
	build_and_execute(|| {
		bond(1, 600);
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 100));
		run_to_block(2);
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 100));
		assert_ok!(Collateral::lock(&1, 400));
		// active 400 (all locked), chunks [100 @ 11, 100 @ 12]
		assert_eq!(Collateral::slash(&1, 450, SlashReason::MissedDeadline, None), 450);
		let ledger = Ledgers::<Test>::get(1).unwrap();
		assert_eq!((ledger.active, ledger.locked), (0, 0));
		assert_eq!(
			ledger.unlocking.to_vec(),
			vec![
				UnlockChunk { value: 100, unlock_at: 1 + UNBONDING_PERIOD },
				UnlockChunk { value: 50, unlock_at: 2 + UNBONDING_PERIOD }
			]
		);
	});
}

#[test]
fn a_reward_the_reporter_cannot_receive_goes_to_the_treasury() {
	build_and_execute(|| {
		bond(1, 500);
		// Account 42 does not exist and 10 % of 50 is below the existential deposit.
		assert_eq!(Collateral::slash(&1, 50, SlashReason::WrongResult, Some(&42)), 50);
		assert_eq!(free_balance(42), 0);
		assert_eq!(free_balance(TREASURY), ED + 50);
	});
}

#[test]
fn configure_is_for_the_admin_only_and_validated() {
	build_and_execute(|| {
		let config = ConfigRecord {
			min_bond: 50,
			unbonding_period: 3,
			slash_reward_share: Perbill::from_percent(50),
		};
		assert_noop!(
			Collateral::configure(RuntimeOrigin::signed(1), config.clone()),
			DispatchError::BadOrigin
		);
		// Each refused value names its field; a reporter's share above half would let a
		// provider reporting its own fault through another account lose too little.
		use crate::ConfigField as F;
		for (bad, field) in [
			(ConfigRecord { unbonding_period: 0, ..config.clone() }, F::UnbondingPeriod),
			(ConfigRecord { min_bond: 0, ..config.clone() }, F::MinBond),
			(
				ConfigRecord { slash_reward_share: Perbill::from_percent(51), ..config.clone() },
				F::SlashRewardShare,
			),
		] {
			assert_noop!(
				Collateral::configure(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidConfiguration { field }
			);
		}
		assert_ok!(Collateral::configure(RuntimeOrigin::root(), config.clone()));
		assert_eq!(Configuration::<Test>::get(), config);
		assert_eq!(events().last(), Some(&Event::ConfigurationSet { config }));
		// The new values apply: a bond of 50 and a 3-block unbonding period.
		bond(1, 50);
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 50));
		run_to_block(4);
		assert_ok!(Collateral::withdraw_unbonded(RuntimeOrigin::signed(1)));
	});
}

#[test]
fn try_state_catches_a_ledger_that_does_not_match_the_hold() {
	new_test_ext().execute_with(|| {
		bond(1, 300);
		assert_ok!(Collateral::do_try_state());
		Ledgers::<Test>::mutate(1, |l| l.as_mut().unwrap().active = 299);
		assert!(Collateral::do_try_state().is_err());
		Ledgers::<Test>::mutate(1, |l| l.as_mut().unwrap().active = 300);
		TotalBonded::<Test>::put(1);
		assert!(Collateral::do_try_state().is_err());
	});
}
