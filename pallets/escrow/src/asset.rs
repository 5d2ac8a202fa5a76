//! Every currency operation of the pallet: escrows are held under `HoldReason::JobEscrow` in
//! the client's own account.

use crate::{BalanceOf, Config, HoldReason};
use frame_support::traits::{
	fungible::{InspectHold, MutateHold},
	tokens::{Fortitude, Precision, Restriction},
};
use sp_runtime::DispatchResult;

fn reason<T: Config>() -> T::RuntimeHoldReason {
	HoldReason::JobEscrow.into()
}

/// Everything `client` has on hold for its jobs.
pub fn held<T: Config>(client: &T::AccountId) -> BalanceOf<T> {
	T::Currency::balance_on_hold(&reason::<T>(), client)
}

pub fn can_hold<T: Config>(client: &T::AccountId, amount: BalanceOf<T>) -> bool {
	T::Currency::can_hold(&reason::<T>(), client, amount)
}

pub fn hold<T: Config>(client: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	T::Currency::hold(&reason::<T>(), client, amount)
}

pub fn release<T: Config>(client: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	T::Currency::release(&reason::<T>(), client, amount, Precision::Exact).map(|_| ())
}

/// Pays `amount` of `client`'s held funds into `to`'s free balance.
pub fn pay<T: Config>(
	client: &T::AccountId,
	to: &T::AccountId,
	amount: BalanceOf<T>,
) -> DispatchResult {
	T::Currency::transfer_on_hold(
		&reason::<T>(),
		client,
		to,
		amount,
		Precision::Exact,
		Restriction::Free,
		Fortitude::Force,
	)
	.map(|_| ())
}
