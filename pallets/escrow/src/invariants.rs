//! `try_state`: every client's escrows add up to its hold, and all of them add up without
//! overflowing.

use crate::{asset, BalanceOf, Config, Escrows, Pallet};
use alloc::collections::BTreeMap;
use sp_runtime::{traits::CheckedAdd, TryRuntimeError};

impl<T: Config> Pallet<T> {
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let mut per_client: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut total = BalanceOf::<T>::default();
		for (_, record) in Escrows::<T>::iter() {
			let sum = per_client.entry(record.client.clone()).or_default();
			*sum = sum.checked_add(&record.held).ok_or("a client's escrows overflow")?;
			total = total.checked_add(&record.held).ok_or("total escrow overflows")?;
		}
		for (client, sum) in per_client {
			if asset::held::<T>(&client) != sum {
				return Err("a client's escrows do not equal its hold".into());
			}
		}
		Ok(())
	}
}
