//! The logic of the pallet's calls. Each checks everything first, then writes, then emits
//! one event.

use crate::{
	asset, BalanceOf, Config, ConfigRecordOf, Configuration, Error, Event, Ledger, Ledgers, Pallet,
	TotalBonded, UnlockChunk,
};
use frame_support::ensure;
use kiln_primitives::CollateralHooks;
use sp_runtime::{
	traits::{CheckedAdd, CheckedSub, Zero},
	DispatchError, DispatchResult,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_bond(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		ensure!(!Ledgers::<T>::contains_key(who), Error::<T>::AlreadyBonded);
		ensure!(amount >= Configuration::<T>::get().min_bond, Error::<T>::BondTooSmall);
		ensure!(asset::can_hold::<T>(who, amount), Error::<T>::InsufficientBalance);
		let total = TotalBonded::<T>::get().checked_add(&amount).ok_or(Error::<T>::Overflow)?;

		asset::hold::<T>(who, amount)?;
		Ledgers::<T>::insert(who, Ledger::<T>::new(amount));
		TotalBonded::<T>::put(total);
		Self::deposit_event(Event::Bonded { who: who.clone(), amount });
		Ok(())
	}

	pub(crate) fn do_bond_extra(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut ledger = Ledgers::<T>::get(who).ok_or(Error::<T>::NotBonded)?;
		ensure!(asset::can_hold::<T>(who, amount), Error::<T>::InsufficientBalance);
		ledger.active = ledger.active.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
		let total = TotalBonded::<T>::get().checked_add(&amount).ok_or(Error::<T>::Overflow)?;

		asset::hold::<T>(who, amount)?;
		Ledgers::<T>::insert(who, ledger);
		TotalBonded::<T>::put(total);
		Self::deposit_event(Event::Bonded { who: who.clone(), amount });
		Ok(())
	}

	pub(crate) fn do_unbond(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut ledger = Ledgers::<T>::get(who).ok_or(Error::<T>::NotBonded)?;
		let config = Configuration::<T>::get();
		let remaining = ledger.active.checked_sub(&amount).ok_or(Error::<T>::UnbondExceedsBond)?;
		ensure!(remaining >= ledger.locked, Error::<T>::WouldUnbondLockedCollateral);
		ensure!(remaining >= T::Hooks::minimum_bond(who), Error::<T>::BelowProviderMinimum);
		ensure!(remaining.is_zero() || remaining >= config.min_bond, Error::<T>::BelowMinimumBond);

		let now = frame_system::Pallet::<T>::block_number();
		let unlock_at = now.checked_add(&config.unbonding_period).ok_or(Error::<T>::Overflow)?;
		// Two unbonds in one block share a chunk.
		match ledger.unlocking.iter_mut().find(|c| c.unlock_at == unlock_at) {
			Some(chunk) => {
				chunk.value = chunk.value.checked_add(&amount).ok_or(Error::<T>::Overflow)?
			},
			None => ledger
				.unlocking
				.try_push(UnlockChunk { value: amount, unlock_at })
				.map_err(|_| Error::<T>::TooManyUnlockingChunks)?,
		}
		ledger.active = remaining;

		Ledgers::<T>::insert(who, ledger);
		Self::deposit_event(Event::Unbonded { who: who.clone(), amount, unlock_at });
		Ok(())
	}

	/// Returns how many chunks were withdrawn.
	pub(crate) fn do_withdraw_unbonded(who: &T::AccountId) -> Result<u32, DispatchError> {
		let mut ledger = Ledgers::<T>::get(who).ok_or(Error::<T>::NotBonded)?;
		// A provider could unbond its free bond right after committing a result and withdraw it
		// before a long verification ends, out of reach of `slash_wrong_result`.
		ensure!(!T::Hooks::has_work_in_flight(who), Error::<T>::WorkInFlight);
		let chunks_before = ledger.unlocking.len() as u32;
		let now = frame_system::Pallet::<T>::block_number();
		let mut amount = BalanceOf::<T>::zero();
		let mut overflow = false;
		ledger.unlocking.retain(|chunk| {
			if chunk.unlock_at > now {
				return true;
			}
			match amount.checked_add(&chunk.value) {
				Some(sum) => amount = sum,
				None => overflow = true,
			}
			false
		});
		ensure!(!overflow, Error::<T>::Overflow);
		ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
		let total = TotalBonded::<T>::get().checked_sub(&amount).ok_or(Error::<T>::Overflow)?;

		asset::release::<T>(who, amount)?;
		let withdrawn = chunks_before.saturating_sub(ledger.unlocking.len() as u32);
		Self::store_ledger(who, ledger);
		TotalBonded::<T>::put(total);
		Self::deposit_event(Event::Withdrawn { who: who.clone(), amount });
		Ok(withdrawn)
	}

	pub(crate) fn do_configure(config: ConfigRecordOf<T>) -> DispatchResult {
		config.validate().map_err(|field| Error::<T>::InvalidConfiguration { field })?;
		Configuration::<T>::put(&config);
		Self::deposit_event(Event::ConfigurationSet { config });
		Ok(())
	}
}
