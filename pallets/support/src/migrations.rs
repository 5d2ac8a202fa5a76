//! Helpers for the Kiln pallets' storage migrations.

#[cfg(feature = "try-runtime")]
extern crate alloc;

use core::marker::PhantomData;
use frame_support::{
	storage::{storage_prefix, unhashed},
	traits::{Get, PalletInfoAccess, UncheckedOnRuntimeUpgrade},
	weights::{RuntimeDbWeight, Weight},
};

/// Removes storage values that a new version of pallet `P` no longer has (a
/// `CountedStorageMap`'s counter, a cursor), named by `Names`, whatever their type; wrap it in
/// a `VersionedMigration`. Only the values go: nothing else of the pallet is read or written.
/// `post_upgrade` checks they are gone (try-runtime then runs every pallet's `try_state`).
pub struct RemoveValues<P, Names, DbWeight>(PhantomData<(P, Names, DbWeight)>);

impl<P: PalletInfoAccess, Names: Get<&'static [&'static str]>, D: Get<RuntimeDbWeight>>
	RemoveValues<P, Names, D>
{
	/// The storage key of the value `name`.
	pub fn key(name: &str) -> [u8; 32] {
		storage_prefix(P::name().as_bytes(), name.as_bytes())
	}
}

impl<P: PalletInfoAccess, Names: Get<&'static [&'static str]>, D: Get<RuntimeDbWeight>>
	UncheckedOnRuntimeUpgrade for RemoveValues<P, Names, D>
{
	fn on_runtime_upgrade() -> Weight {
		let names = Names::get();
		for name in names {
			unhashed::kill(&Self::key(name));
		}
		D::get().writes(names.len() as u64)
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		for name in Names::get() {
			frame_support::ensure!(
				!unhashed::exists(&Self::key(name)),
				"a storage value the migration removes is still there"
			);
		}
		Ok(())
	}
}

/// The weight of `StorageValue::translate` on one value (`result` is what it returned): one
/// read, and one write when a value was there. A stored value that did not decode is reported
/// as a defensive failure naming `what`: the runtime's default would then apply, which a
/// migration must never do silently.
pub fn translated_value<V, D: Get<RuntimeDbWeight>>(
	result: Result<Option<V>, ()>,
	what: &'static str,
) -> Weight {
	match result {
		Ok(Some(_)) => D::get().reads_writes(1, 1),
		// Nothing stored: the default (which has the new fields) applies, as before.
		Ok(None) => D::get().reads(1),
		Err(()) => {
			frame_support::defensive!(what);
			D::get().reads(1)
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::{pallet_prelude::ValueQuery, parameter_types, storage_alias};

	struct Pallet;
	impl PalletInfoAccess for Pallet {
		fn index() -> usize {
			0
		}
		fn name() -> &'static str {
			"Pallet"
		}
		fn name_hash() -> [u8; 16] {
			sp_io::hashing::twox_128(b"Pallet")
		}
		fn module_name() -> &'static str {
			"pallet"
		}
		fn crate_version() -> frame_support::traits::CrateVersion {
			frame_support::traits::CrateVersion::new(0, 0, 0)
		}
	}

	#[storage_alias]
	type Counter = StorageValue<Pallet, u32, ValueQuery>;
	#[storage_alias]
	type Cursor = StorageValue<Pallet, (u64, [u8; 32]), ValueQuery>;
	#[storage_alias]
	type Kept = StorageValue<Pallet, u32, ValueQuery>;

	parameter_types! {
		const Names: &'static [&'static str] = &["Counter", "Cursor"];
		const Db: RuntimeDbWeight = RuntimeDbWeight { read: 1, write: 10 };
	}

	#[test]
	fn the_named_values_go_whatever_their_type_and_nothing_else() {
		sp_io::TestExternalities::default().execute_with(|| {
			Counter::put(7);
			Cursor::put((3, [1; 32]));
			Kept::put(9);

			let weight = RemoveValues::<Pallet, Names, Db>::on_runtime_upgrade();

			assert!(!Counter::exists());
			assert!(!Cursor::exists());
			assert_eq!(Kept::get(), 9);
			assert_eq!(weight, Weight::from_parts(20, 0));
			// Nothing there: a no-op.
			RemoveValues::<Pallet, Names, Db>::on_runtime_upgrade();
			assert_eq!(Kept::get(), 9);
		});
	}
}
