//! `try_state`: the ledgers equal the holds and the counters agree.

use crate::{asset, BalanceOf, Config, Ledgers, Pallet, TotalBonded};
use sp_runtime::{
	traits::{CheckedAdd, Zero},
	TryRuntimeError,
};

impl<T: Config> Pallet<T> {
	/// Checks, for every ledger: its total equals the account's hold, it is not empty, locked
	/// collateral is part of the active bond, no chunk is empty; and that `TotalBonded` is the
	/// sum of all ledgers.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let mut sum = BalanceOf::<T>::zero();
		let mut count: u32 = 0;
		for (who, ledger) in Ledgers::<T>::iter() {
			let total = ledger.total().ok_or("ledger total overflows")?;
			if total != asset::held::<T>(&who) {
				return Err("a ledger does not equal the account's collateral hold".into());
			}
			if ledger.is_empty() {
				return Err("an empty ledger is stored".into());
			}
			if ledger.locked > ledger.active {
				return Err("locked collateral exceeds the active bond".into());
			}
			if ledger.unlocking.iter().any(|c| c.value.is_zero()) {
				return Err("an unlocking chunk is empty".into());
			}
			sum = sum.checked_add(&total).ok_or("total collateral overflows")?;
			count = count.checked_add(1).ok_or("ledger count overflows")?;
		}
		if sum != TotalBonded::<T>::get() {
			return Err("TotalBonded is not the sum of the ledgers".into());
		}
		if count != Ledgers::<T>::count() {
			return Err("the ledger counter is wrong".into());
		}
		Ok(())
	}
}
