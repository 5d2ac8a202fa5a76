//! The [`kiln_primitives::Collateral`] trait: what the market and proof-of-compute pallets
//! do with a provider's bond (lock it for a job, unlock it, slash it).

use crate::{
	asset, BalanceOf, Config, Configuration, Error, Event, LedgerOf, Ledgers, Pallet, TotalBonded,
	TotalSlashed,
};
use frame_support::{ensure, traits::Get};
use kiln_primitives::{Collateral, CollateralHooks, SlashReason};
use sp_runtime::{
	traits::{CheckedAdd, Saturating, Zero},
	DispatchResult,
};

impl<T: Config> Collateral<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;

	fn bonded(who: &T::AccountId) -> BalanceOf<T> {
		Ledgers::<T>::get(who).map_or_else(Zero::zero, |l| l.active)
	}

	fn free(who: &T::AccountId) -> BalanceOf<T> {
		Ledgers::<T>::get(who).map_or_else(Zero::zero, |l| l.free())
	}

	fn lock(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		let mut ledger = Ledgers::<T>::get(who).ok_or(Error::<T>::NotBonded)?;
		ensure!(ledger.free() >= amount, Error::<T>::InsufficientFreeCollateral);
		ledger.locked = ledger.locked.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
		Ledgers::<T>::insert(who, ledger);
		Ok(())
	}

	fn unlock(who: &T::AccountId, amount: BalanceOf<T>) {
		Ledgers::<T>::mutate(who, |ledger| {
			if let Some(ledger) = ledger {
				ledger.locked = ledger.locked.saturating_sub(amount);
			}
		});
	}

	fn forfeit(who: &T::AccountId, amount: BalanceOf<T>, to: &T::AccountId) -> BalanceOf<T> {
		let Some(mut ledger) = Ledgers::<T>::get(who) else { return Zero::zero() };
		ledger.locked = ledger.locked.saturating_sub(amount);
		let paid = amount.min(ledger.active);
		if paid.is_zero() || asset::transfer_held::<T>(who, to, paid).is_err() {
			// Nothing left to pay, or `to` cannot receive it (it would stay below the existential
			// deposit): the deposit is only released.
			Ledgers::<T>::insert(who, ledger);
			return Zero::zero();
		}
		ledger.active = ledger.active.saturating_sub(paid);
		ledger.locked = ledger.locked.min(ledger.active);
		let remaining = ledger.active;
		Self::store_ledger(who, ledger);
		TotalBonded::<T>::mutate(|total| *total = total.saturating_sub(paid));
		T::Hooks::on_forfeited(who, remaining);
		paid
	}

	fn slash(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		reason: SlashReason,
		reporter: Option<&T::AccountId>,
	) -> BalanceOf<T> {
		Self::do_slash(who, amount, reason, reporter)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn bond_for_benchmark(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if Ledgers::<T>::contains_key(who) {
			Self::do_bond_extra(who, amount)
		} else {
			Self::do_bond(who, amount)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Stores `who`'s ledger, or removes it once nothing is bonded or unbonding.
	pub(crate) fn store_ledger(who: &T::AccountId, ledger: LedgerOf<T>) {
		if ledger.is_empty() {
			Ledgers::<T>::remove(who);
		} else {
			Ledgers::<T>::insert(who, ledger);
		}
	}

	/// Takes up to `amount` from `who`'s ledger (active first, then the newest unlocking
	/// chunks), pays the reporter's share and sends the rest to the Treasury.
	pub(crate) fn do_slash(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		reason: SlashReason,
		reporter: Option<&T::AccountId>,
	) -> BalanceOf<T> {
		let Some(mut ledger) = Ledgers::<T>::get(who) else { return Zero::zero() };
		let slashed = take_from_ledger::<T>(&mut ledger, amount);
		if slashed.is_zero() {
			return slashed;
		}

		pay_out_slash::<T>(who, slashed, reporter);
		let remaining = ledger.active;
		Self::store_ledger(who, ledger);
		TotalBonded::<T>::mutate(|total| *total = total.saturating_sub(slashed));
		TotalSlashed::<T>::mutate(|total| *total = total.saturating_add(slashed));
		Self::deposit_event(Event::Slashed { who: who.clone(), amount: slashed, reason });
		if slashed < amount {
			Self::deposit_event(Event::SlashExceededBond {
				who: who.clone(),
				requested: amount,
				slashed,
			});
		}
		T::Hooks::on_slashed(who, remaining);
		slashed
	}
}

/// Reduces the ledger by up to `amount` and returns how much it took.
fn take_from_ledger<T: Config>(ledger: &mut LedgerOf<T>, amount: BalanceOf<T>) -> BalanceOf<T> {
	let from_active = amount.min(ledger.active);
	ledger.active = ledger.active.saturating_sub(from_active);
	// A job's locked collateral cannot exceed what is left.
	ledger.locked = ledger.locked.min(ledger.active);
	let mut taken = from_active;
	for chunk in ledger.unlocking.iter_mut().rev() {
		let want = amount.saturating_sub(taken);
		if want.is_zero() {
			break;
		}
		let from_chunk = want.min(chunk.value);
		chunk.value = chunk.value.saturating_sub(from_chunk);
		taken = taken.saturating_add(from_chunk);
	}
	ledger.unlocking.retain(|c| !c.value.is_zero());
	taken
}

/// Sends `slashed` of `who`'s held collateral: `slash_reward_share` to the reporter, the rest
/// to the Treasury. A share the reporter cannot receive (e.g. below the existential deposit
/// of a new account) goes to the Treasury; if even the Treasury cannot receive it, it is
/// burned.
fn pay_out_slash<T: Config>(
	who: &T::AccountId,
	slashed: BalanceOf<T>,
	reporter: Option<&T::AccountId>,
) {
	let mut to_treasury = slashed;
	if let Some(reporter) = reporter {
		let reward = Configuration::<T>::get().slash_reward_share * slashed;
		if !reward.is_zero() && asset::transfer_held::<T>(who, reporter, reward).is_ok() {
			to_treasury = slashed.saturating_sub(reward);
		}
	}
	if to_treasury.is_zero() {
		return;
	}
	let treasury = T::TreasuryAccount::get();
	if asset::transfer_held::<T>(who, &treasury, to_treasury).is_err() {
		let _ = asset::burn_held::<T>(who, to_treasury);
	}
}
