//! Storage migrations. Version 1 adds the dense provider index (`index.rs`).

use crate::{Config, Pallet, ProviderAt, ProviderIndex, Providers};
use frame_support::{
	migrations::VersionedMigration,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};

/// Builds `ProviderAt` and `ProviderIndex` from the registry, in storage order.
pub struct BuildProviderIndex<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for BuildProviderIndex<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut count = 0u32;
		for (position, who) in Providers::<T>::iter_keys().enumerate() {
			let position = position as u32;
			ProviderAt::<T>::insert(position, &who);
			ProviderIndex::<T>::insert(&who, position);
			count = count.saturating_add(1);
		}
		T::DbWeight::get().reads_writes(u64::from(count) + 1, 2 * u64::from(count))
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		use codec::Encode;
		Ok(Providers::<T>::count().encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		use codec::Decode;
		let count = u32::decode(&mut &state[..]).map_err(|_| "undecodable pre-upgrade state")?;
		frame_support::ensure!(count == Providers::<T>::count(), "the registry changed");
		Pallet::<T>::do_try_state()
	}
}

/// Version 0 → 1: the provider index.
pub type V1<T> = VersionedMigration<
	0,
	1,
	BuildProviderIndex<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;
