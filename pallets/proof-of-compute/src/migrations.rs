//! Storage migrations. Version 1: the sweep visits providers at random positions, so the
//! cursor it walked the registry with (`SweepCursor`) is removed. Version 2: disputes are
//! answered blind (finding 7 of issue 11), so every spot-check gains `nonce`,
//! `provider_commitment` and `provider_answer` (all `None`: a dispute under way at the upgrade
//! is decided the old way, on the output hashes).

use crate::{BalanceOf, Config, Pallet, SpotCheck, SpotCheckStage, SpotChecks, Verifier};
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	storage_alias,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{JobId, Requirements};

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

/// A spot-check of version 1.
#[derive(Encode, Decode)]
pub struct SpotCheckV1<AccountId, Balance, BlockNumber> {
	pub provider: AccountId,
	pub client: AccountId,
	pub requirements: Requirements,
	pub draw_after: BlockNumber,
	pub provider_output: Option<[u8; 32]>,
	pub verifiers: BoundedVec<
		Verifier<AccountId>,
		ConstU32<{ crate::MAX_VERIFIERS + crate::MAX_REPLACEMENTS }>,
	>,
	pub dispute: bool,
	pub stage: SpotCheckStage,
	pub next: BlockNumber,
	pub bond: Balance,
}

type SpotCheckV1Of<T> =
	SpotCheckV1<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// Adds the blind-dispute fields to every spot-check.
pub struct BlindDisputes<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for BlindDisputes<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut count = 0u64;
		SpotChecks::<T>::translate::<SpotCheckV1Of<T>, _>(|_job: JobId, old| {
			count += 1;
			Some(SpotCheck {
				provider: old.provider,
				client: old.client,
				requirements: old.requirements,
				draw_after: old.draw_after,
				provider_output: old.provider_output,
				verifiers: old.verifiers,
				dispute: old.dispute,
				stage: old.stage,
				next: old.next,
				bond: old.bond,
				nonce: None,
				provider_commitment: None,
				provider_answer: None,
			})
		});
		T::DbWeight::get().reads_writes(count.saturating_add(1), count.saturating_add(1))
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok((SpotChecks::<T>::iter_keys().count() as u64).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before = u64::decode(&mut &state[..]).map_err(|_| "bad pre-upgrade state")?;
		frame_support::ensure!(
			SpotChecks::<T>::iter_values().count() as u64 == before,
			"spot-checks were lost"
		);
		Pallet::<T>::do_try_state()
	}
}

/// Version 1 → 2.
pub type V2<T> =
	VersionedMigration<1, 2, BlindDisputes<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	#[test]
	fn v2_keeps_every_spot_check_and_adds_empty_dispute_fields() {
		build_and_execute(|| {
			StorageVersion::new(1).put::<ProofOfCompute>();
			let old = SpotCheckV1::<AccountId, Balance, u64> {
				provider: P1,
				client: CLIENT,
				requirements: crate::tests_spot_checks::requirements(),
				draw_after: 4,
				provider_output: Some([5; 32]),
				verifiers: BoundedVec::truncate_from(vec![Verifier {
					account: P2,
					commitment: Some([6; 32]),
					output: None,
					dropped: false,
				}]),
				dispute: true,
				stage: SpotCheckStage::Revealing,
				next: 9,
				bond: 80,
			};
			frame_support::storage::unhashed::put_raw(
				&SpotChecks::<Test>::hashed_key_for(3),
				&old.encode(),
			);
			V2::<Test>::on_runtime_upgrade();
			assert_eq!(ProofOfCompute::on_chain_storage_version(), StorageVersion::new(2));
			let Some(check) = SpotChecks::<Test>::get(3) else {
				panic!("the migration dropped the spot-check")
			};
			assert_eq!((check.provider, check.draw_after, check.next), (P1, 4, 9));
			assert_eq!(check.provider_output, Some([5; 32]));
			assert_eq!(check.verifiers[0].commitment, Some([6; 32]));
			assert!(check.dispute);
			assert_eq!(
				(check.nonce, check.provider_commitment, check.provider_answer),
				(None, None, None)
			);
			// (A spot-check of no job breaks `try_state`; this test is about the layout.)
			SpotChecks::<Test>::remove(3);
		});
	}

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
