//! Every currency operation of the pallet: collateral is held under
//! `HoldReason::ProviderCollateral` in the provider's own account.

use crate::{BalanceOf, Config, HoldReason};
use frame_support::traits::{
	fungible::{InspectHold, MutateHold},
	tokens::{Fortitude, Precision, Restriction},
};
use sp_runtime::{DispatchError, DispatchResult};

fn reason<T: Config>() -> T::RuntimeHoldReason {
	HoldReason::ProviderCollateral.into()
}

/// Collateral on hold for `who`.
pub fn held<T: Config>(who: &T::AccountId) -> BalanceOf<T> {
	T::Currency::balance_on_hold(&reason::<T>(), who)
}

/// Whether `who` can put `amount` more on hold, keeping the existential deposit free.
pub fn can_hold<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> bool {
	T::Currency::can_hold(&reason::<T>(), who, amount)
}

pub fn hold<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	T::Currency::hold(&reason::<T>(), who, amount)
}

pub fn release<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	T::Currency::release(&reason::<T>(), who, amount, Precision::Exact).map(|_| ())
}

/// Moves `amount` of `who`'s collateral to `dest`'s free balance.
pub fn transfer_held<T: Config>(
	who: &T::AccountId,
	dest: &T::AccountId,
	amount: BalanceOf<T>,
) -> Result<BalanceOf<T>, DispatchError> {
	T::Currency::transfer_on_hold(
		&reason::<T>(),
		who,
		dest,
		amount,
		Precision::Exact,
		Restriction::Free,
		Fortitude::Force,
	)
}

/// Destroys `amount` of `who`'s collateral: only when the Treasury cannot receive it.
pub fn burn_held<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	T::Currency::burn_held(&reason::<T>(), who, amount, Precision::BestEffort, Fortitude::Force)
		.map(|_| ())
}
