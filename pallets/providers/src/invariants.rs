//! `try_state`: deposits equal the holds and the counters agree with the records.

use crate::{
	asset, ActiveProviders, Config, Pallet, ProviderAt, ProviderIndex, ProviderStatus, Providers,
};
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	/// Checks every record's deposit equals its hold, no job count is negative (by type),
	/// the active and total counters match the records, and the index holds every provider
	/// exactly once at a position below the count.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let (mut total, mut active) = (0u32, 0u32);
		for (who, record) in Providers::<T>::iter() {
			if crate::RetiredReputation::<T>::contains_key(&who) {
				return Err("a registered provider also has a retired reputation".into());
			}
			if asset::held::<T>(&who) != record.deposit {
				return Err("a provider's deposit does not equal its hold".into());
			}
			total = total.checked_add(1).ok_or("provider count overflows")?;
			let position = ProviderIndex::<T>::get(&who).ok_or("a provider has no position")?;
			if position >= Providers::<T>::count() || ProviderAt::<T>::get(position) != Some(who) {
				return Err("a provider's position does not point back to it".into());
			}
			if record.status == ProviderStatus::Active {
				active = active.checked_add(1).ok_or("active count overflows")?;
			}
		}
		if total != Providers::<T>::count() {
			return Err("the provider counter is wrong".into());
		}
		if ProviderAt::<T>::iter().count() as u32 != total
			|| ProviderIndex::<T>::iter().count() as u32 != total
		{
			return Err("the provider index holds entries of no provider".into());
		}
		if active != ActiveProviders::<T>::get() {
			return Err("ActiveProviders does not match the records".into());
		}
		Ok(())
	}
}
