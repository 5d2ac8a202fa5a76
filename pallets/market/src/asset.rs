//! Every currency operation of the pallet: the storage deposit of each job record, held under
//! `HoldReason::JobDeposit`, and each bid's deposit, held under `HoldReason::BidDeposit`.

use crate::{BalanceOf, Config, HoldReason};
use frame_support::traits::{
	fungible::{InspectHold, MutateHold},
	tokens::{Fortitude, Precision, Restriction},
};
use sp_runtime::{traits::Zero, DispatchResult};

fn reason<T: Config>() -> T::RuntimeHoldReason {
	HoldReason::JobDeposit.into()
}

fn bid_reason<T: Config>() -> T::RuntimeHoldReason {
	HoldReason::BidDeposit.into()
}

pub fn held<T: Config>(who: &T::AccountId) -> BalanceOf<T> {
	T::Currency::balance_on_hold(&reason::<T>(), who)
}

pub fn can_hold<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> bool {
	T::Currency::can_hold(&reason::<T>(), who, amount)
}

pub fn hold<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	T::Currency::hold(&reason::<T>(), who, amount)
}

pub fn release<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	T::Currency::release(&reason::<T>(), who, amount, Precision::Exact).map(|_| ())
}

/// What `who` has on hold for its bids.
pub fn bids_held<T: Config>(who: &T::AccountId) -> BalanceOf<T> {
	T::Currency::balance_on_hold(&bid_reason::<T>(), who)
}

/// Holds a bid's deposit (nothing for zero).
pub fn hold_bid<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	if amount.is_zero() {
		return Ok(());
	}
	T::Currency::hold(&bid_reason::<T>(), who, amount)
}

/// Returns a bid's deposit to its bidder.
pub fn release_bid<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) {
	if amount.is_zero() {
		return;
	}
	if let Err(e) = T::Currency::release(&bid_reason::<T>(), who, amount, Precision::BestEffort) {
		frame_support::defensive!("a bid deposit could not be released", e);
	}
}

/// Moves a bid's deposit from its bidder to `to` (free balance); returns what moved.
pub fn forfeit_bid<T: Config>(
	who: &T::AccountId,
	to: &T::AccountId,
	amount: BalanceOf<T>,
) -> BalanceOf<T> {
	if amount.is_zero() {
		return amount;
	}
	T::Currency::transfer_on_hold(
		&bid_reason::<T>(),
		who,
		to,
		amount,
		Precision::BestEffort,
		Restriction::Free,
		Fortitude::Polite,
	)
	.unwrap_or_else(|e| {
		frame_support::defensive!("a bid deposit could not be forfeited", e);
		Zero::zero()
	})
}
