//! The validator set: the calls' logic and the session manager that hands the set to
//! `pallet-session` (through `pallet_session::historical`, which stores each session's
//! validator-key root so that equivocation proofs can be checked later).

use crate::{Config, Error, Event, Pallet, Validators};
use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::DispatchResult, traits::Get, BoundedVec};
use sp_runtime::traits::Convert;
use sp_staking::SessionIndex;

impl<T: Config> Pallet<T> {
	/// The set: `Validators`, or the session's validators until the first change (genesis
	/// fills only the session pallet).
	pub fn validator_set() -> BoundedVec<T::AccountId, T::MaxValidators> {
		let set = Validators::<T>::get();
		if !set.is_empty() {
			return set;
		}
		BoundedVec::truncate_from(pallet_session::Pallet::<T>::validators())
	}

	pub(crate) fn do_add_validator(who: T::AccountId) -> DispatchResult {
		let mut set = Self::validator_set();
		ensure!(!set.contains(&who), Error::<T>::AlreadyValidator);
		ensure!(pallet_session::Pallet::<T>::load_keys(&who).is_some(), Error::<T>::NoSessionKeys);
		set.try_push(who.clone()).map_err(|_| Error::<T>::TooManyValidators)?;
		Validators::<T>::put(set);
		Self::deposit_event(Event::ValidatorAdded { who });
		Ok(())
	}

	pub(crate) fn do_remove_validator(who: T::AccountId) -> DispatchResult {
		Self::take_out(&who)?;
		Self::deposit_event(Event::ValidatorRemoved { who });
		Ok(())
	}

	/// Removes `who` from the set unless it is absent or the set would shrink below
	/// `MinValidators`.
	pub(crate) fn take_out(who: &T::AccountId) -> DispatchResult {
		let mut set = Self::validator_set();
		let position = set.iter().position(|v| v == who).ok_or(Error::<T>::NotValidator)?;
		ensure!(set.len() as u32 > T::MinValidators::get(), Error::<T>::TooFewValidators);
		set.remove(position);
		Validators::<T>::put(set);
		Ok(())
	}

	/// The set the session after next takes. The session itself skips members without keys
	/// (they could not author): a validator that purges its keys leaves at the next session.
	fn planned_set() -> Option<Vec<T::AccountId>> {
		Some(Self::validator_set().into_inner())
	}

	/// The genesis set if this pallet's genesis gave one (else the session's keys decide).
	fn genesis_set() -> Option<Vec<T::AccountId>> {
		let set = Validators::<T>::get();
		(!set.is_empty()).then(|| set.into_inner())
	}

	/// Drops historical roots older than `HistoryDepth` sessions before `new_index`.
	fn prune_history(new_index: SessionIndex) {
		let first_kept = new_index.saturating_sub(T::HistoryDepth::get());
		if first_kept > 0 {
			pallet_session::historical::Pallet::<T>::prune_up_to(first_kept);
		}
	}
}

/// Every validator is identified by its account alone (no stake to expose).
pub struct Identified;
impl<A> Convert<A, Option<()>> for Identified {
	fn convert(_: A) -> Option<()> {
		Some(())
	}
}

fn identified<A>(set: Vec<A>) -> Vec<(A, ())> {
	set.into_iter().map(|v| (v, ())).collect()
}

impl<T: Config> pallet_session::historical::SessionManager<T::AccountId, ()> for Pallet<T> {
	fn new_session(new_index: SessionIndex) -> Option<Vec<(T::AccountId, ())>> {
		Self::prune_history(new_index);
		Self::planned_set().map(identified)
	}

	fn new_session_genesis(_: SessionIndex) -> Option<Vec<(T::AccountId, ())>> {
		Self::genesis_set().map(identified)
	}

	fn start_session(_: SessionIndex) {}
	fn end_session(_: SessionIndex) {}
}

/// The plain session manager, for a runtime without historical sessions (and required by the
/// historical one as its supertrait).
impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		Self::prune_history(new_index);
		Self::planned_set()
	}

	fn new_session_genesis(_: SessionIndex) -> Option<Vec<T::AccountId>> {
		Self::genesis_set()
	}

	fn start_session(_: SessionIndex) {}
	fn end_session(_: SessionIndex) {}
}
