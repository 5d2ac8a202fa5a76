//! A dense index of the registered providers, `0 .. Providers::count()`, so that other pallets
//! can pick one uniformly at random by its position (finding 4 of issue 11: picking the
//! provider after a random storage key made the odds follow the gaps between hashed keys,
//! which anyone can grind by choosing account keys).
//!
//! Registering appends; deregistering moves the last provider into the freed position.

use crate::{Config, Pallet, ProviderAt, ProviderIndex, Providers};

impl<T: Config> Pallet<T> {
	/// Gives `who` (just inserted into `Providers`) the next position.
	pub(crate) fn index_add(who: &T::AccountId) {
		let position = Providers::<T>::count().saturating_sub(1);
		ProviderAt::<T>::insert(position, who);
		ProviderIndex::<T>::insert(who, position);
	}

	/// Frees `who`'s position (`who` was just removed from `Providers`): the last provider
	/// takes it.
	pub(crate) fn index_remove(who: &T::AccountId) {
		let Some(position) = ProviderIndex::<T>::take(who) else {
			frame_support::defensive!("a registered provider without a position");
			return;
		};
		let last = Providers::<T>::count();
		if position < last {
			if let Some(moved) = ProviderAt::<T>::take(last) {
				ProviderAt::<T>::insert(position, &moved);
				ProviderIndex::<T>::insert(&moved, position);
			}
		} else {
			ProviderAt::<T>::remove(position);
		}
	}
}
