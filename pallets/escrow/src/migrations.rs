//! Storage migrations. Version 1: `Escrows` is no longer counted, so its counter
//! (`CounterForEscrows`) is removed. Version 2: `TotalEscrowed`, the sum of all escrows that
//! only `try_state` read, is removed (a read and a write saved on every escrow's lock,
//! payment and refund; the holds behind the escrows are still checked client by client).

use crate::Pallet;
use frame_support::migrations::VersionedMigration;
use kiln_support::migrations::RemoveValues;

frame_support::parameter_types! {
	/// What version 1 removes: the counter of `Escrows` in version 0 (the escrows themselves
	/// are stored as they were).
	pub const EscrowCounter: &'static [&'static str] = &["CounterForEscrows"];
}

/// Version 0 → 1.
pub type V1<T> = VersionedMigration<
	0,
	1,
	RemoveValues<Pallet<T>, EscrowCounter, <T as frame_system::Config>::DbWeight>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

frame_support::parameter_types! {
	/// What version 2 removes: the sum of all escrows.
	pub const EscrowTotal: &'static [&'static str] = &["TotalEscrowed"];
}

/// Version 1 → 2.
pub type V2<T> = VersionedMigration<
	1,
	2,
	RemoveValues<Pallet<T>, EscrowTotal, <T as frame_system::Config>::DbWeight>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{mock::*, Config, Escrows};
	use frame_support::storage_alias;

	/// The counter of `Escrows` in version 0.
	#[storage_alias]
	type CounterForEscrows<T: Config> =
		StorageValue<Pallet<T>, u32, frame_support::pallet_prelude::ValueQuery>;
	use frame_support::{
		assert_ok,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};
	use kiln_primitives::JobEscrow;

	#[test]
	fn v1_removes_the_escrow_counter_and_keeps_the_escrows() {
		build_and_execute(|| {
			StorageVersion::new(0).put::<Escrow>();
			assert_ok!(Escrow::lock(1, &CLIENT, 300));
			let record = Escrows::<Test>::get(1);
			// The counter as version 0's `CountedStorageMap` kept it.
			CounterForEscrows::<Test>::put(1);

			V1::<Test>::on_runtime_upgrade();

			assert_eq!(Escrow::on_chain_storage_version(), StorageVersion::new(1));
			assert!(!CounterForEscrows::<Test>::exists());
			assert!(record.is_some());
			assert_eq!(Escrows::<Test>::get(1), record);
			// Run again: the version gate makes it a no-op.
			CounterForEscrows::<Test>::put(9);
			V1::<Test>::on_runtime_upgrade();
			assert_eq!(CounterForEscrows::<Test>::get(), 9);
			CounterForEscrows::<Test>::kill();
		});
	}

	/// The sum of all escrows up to version 1.
	#[storage_alias]
	type TotalEscrowed<T: Config> =
		StorageValue<Pallet<T>, Balance, frame_support::pallet_prelude::ValueQuery>;

	#[test]
	fn v2_removes_the_escrow_total_and_keeps_the_escrows() {
		build_and_execute(|| {
			StorageVersion::new(1).put::<Escrow>();
			assert_ok!(Escrow::lock(1, &CLIENT, 300));
			let record = Escrows::<Test>::get(1);
			TotalEscrowed::<Test>::put(300);

			V2::<Test>::on_runtime_upgrade();

			assert_eq!(Escrow::on_chain_storage_version(), StorageVersion::new(2));
			assert!(!TotalEscrowed::<Test>::exists());
			assert!(record.is_some());
			assert_eq!(Escrows::<Test>::get(1), record);
			// Run again: the version gate makes it a no-op.
			TotalEscrowed::<Test>::put(9);
			V2::<Test>::on_runtime_upgrade();
			assert_eq!(TotalEscrowed::<Test>::get(), 9);
			TotalEscrowed::<Test>::kill();
		});
	}
}
