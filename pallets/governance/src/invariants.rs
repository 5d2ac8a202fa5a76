//! `try_state`: the set is within its bounds and lists nobody twice.

use crate::{Config, Pallet, Validators};
use frame_support::traits::Get;
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	/// Checks the set (once a change has stored it) holds at least `MinValidators` distinct
	/// accounts (the bound on its length is its type).
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let set = Validators::<T>::get();
		if !set.is_empty() && (set.len() as u32) < T::MinValidators::get() {
			return Err("fewer validators than MinValidators".into());
		}
		for (i, v) in set.iter().enumerate() {
			if set.iter().skip(i + 1).any(|w| w == v) {
				return Err("a validator is listed twice".into());
			}
		}
		Ok(())
	}
}
