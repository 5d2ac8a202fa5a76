//! Every currency operation of the pallet: the storage deposit of each job record, held under
//! `HoldReason::JobDeposit`.

use crate::{BalanceOf, Config, HoldReason};
use frame_support::traits::{
	fungible::{InspectHold, MutateHold},
	tokens::Precision,
};
use sp_runtime::DispatchResult;

fn reason<T: Config>() -> T::RuntimeHoldReason {
	HoldReason::JobDeposit.into()
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
