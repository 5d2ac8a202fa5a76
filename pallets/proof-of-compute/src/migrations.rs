//! Storage migrations. Version 1: the sweep visits providers at random positions, so the
//! cursor it walked the registry with (`SweepCursor`) is removed.

use crate::{Config, Pallet};
use frame_support::{
	migrations::VersionedMigration,
	storage_alias,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};

/// The cursor of version 0.
#[storage_alias]
type SweepCursor<T: Config> = StorageValue<
	Pallet<T>,
	<T as frame_system::Config>::AccountId,
	frame_support::pallet_prelude::OptionQuery,
>;

/// Removes `SweepCursor`.
pub struct RemoveSweepCursor<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for RemoveSweepCursor<T> {
	fn on_runtime_upgrade() -> Weight {
		SweepCursor::<T>::kill();
		T::DbWeight::get().writes(1)
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		frame_support::ensure!(!SweepCursor::<T>::exists(), "the sweep cursor is still there");
		Pallet::<T>::do_try_state()
	}
}

/// Version 0 → 1.
pub type V1<T> = VersionedMigration<
	0,
	1,
	RemoveSweepCursor<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	#[test]
	fn v1_removes_the_sweep_cursor_once() {
		build_and_execute(|| {
			StorageVersion::new(0).put::<ProofOfCompute>();
			SweepCursor::<Test>::put(P1);
			V1::<Test>::on_runtime_upgrade();
			assert!(!SweepCursor::<Test>::exists());
			assert_eq!(ProofOfCompute::on_chain_storage_version(), StorageVersion::new(1));
		});
	}
}
