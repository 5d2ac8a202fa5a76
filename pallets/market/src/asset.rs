//! Every currency operation of the pallet: the storage deposit of each job record, held under
//! `HoldReason::JobDeposit`. Bid deposits are collateral locks (see `auction`); the
//! `HoldReason::BidDeposit` holds of older versions are only read and released here.

use crate::{BalanceOf, Config, HoldReason};
use frame_support::traits::{
	fungible::{InspectHold, MutateHold},
	tokens::Precision,
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

/// What `who` has on hold under `HoldReason::BidDeposit`: bid deposits of storage version 2
/// and before, moved into collateral locks by `migrations::V3`; zero ever since.
pub fn bids_held<T: Config>(who: &T::AccountId) -> BalanceOf<T> {
	T::Currency::balance_on_hold(&bid_reason::<T>(), who)
}

/// Releases up to `amount` of `who`'s old bid-deposit hold (`migrations::V3`); returns what
/// was released.
pub fn release_old_bid_hold<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
	T::Currency::release(&bid_reason::<T>(), who, amount, Precision::BestEffort)
		.unwrap_or_else(|_| Zero::zero())
}
