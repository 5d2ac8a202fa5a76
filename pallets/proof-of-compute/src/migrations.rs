//! Storage migrations. Version 1: the sweep visits providers at random positions, so the
//! cursor it walked the registry with (`SweepCursor`) is removed. Version 2: disputes are
//! answered blind (finding 7 of issue 11), so every spot-check gains `nonce`,
//! `provider_commitment` and `provider_answer` (all `None`: a dispute under way at the upgrade
//! is decided the old way, on the output hashes). Version 3: the configuration gains the
//! CPU-sized challenge shape (`cpu_m`, `cpu_n`, `cpu_k`, from the runtime's `DefaultConfig`;
//! every other field kept, never replaced by the defaults on a decoding failure). Version 4:
//! `Challenges` and `SpotChecks` are no longer counted (nothing read the counts, and every
//! challenge or check created paid a read and a write for them), so their counters go.

use crate::{
	BalanceOf, Config, ConfigRecord, Configuration, Pallet, SpotCheck, SpotCheckStage, SpotChecks,
	Verifier,
};
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{JobId, Requirements};
use kiln_support::migrations::{translated_value, RemoveValues};
use sp_runtime::Perbill;

frame_support::parameter_types! {
	/// What version 1 removes: the cursor the sweep of version 0 walked the registry with.
	pub const SweepCursorValue: &'static [&'static str] = &["SweepCursor"];
	/// What version 4 removes: the counters of `Challenges` and `SpotChecks` up to version 3
	/// (the challenges and checks themselves are stored as they were).
	pub const ChallengeAndCheckCounters: &'static [&'static str] =
		&["CounterForChallenges", "CounterForSpotChecks"];
}

/// Version 0 → 1.
pub type V1<T> = VersionedMigration<
	0,
	1,
	RemoveValues<Pallet<T>, SweepCursorValue, <T as frame_system::Config>::DbWeight>,
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

/// The configuration of versions 0 to 2.
#[derive(Encode, Decode)]
pub struct ConfigRecordV2<Balance, BlockNumber> {
	pub challenge_rate: Perbill,
	pub providers_per_block: u32,
	pub m: u32,
	pub n: u32,
	pub k: u32,
	pub commit_blocks: BlockNumber,
	pub reveal_blocks: BlockNumber,
	pub samples: u32,
	pub slash_failed_challenge: Balance,
	pub spot_check_probability: Perbill,
	pub verifier_blocks: BlockNumber,
	pub slash_wrong_result: Balance,
}

/// Adds the CPU-sized challenge shape to the configuration.
pub struct AddCpuChallengeShape<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for AddCpuChallengeShape<T> {
	fn on_runtime_upgrade() -> Weight {
		let defaults = T::DefaultConfig::get();
		let translated = Configuration::<T>::translate::<
			ConfigRecordV2<BalanceOf<T>, BlockNumberFor<T>>,
			_,
		>(|old| {
			old.map(|old| ConfigRecord {
				challenge_rate: old.challenge_rate,
				providers_per_block: old.providers_per_block,
				m: old.m,
				n: old.n,
				k: old.k,
				cpu_m: defaults.cpu_m,
				cpu_n: defaults.cpu_n,
				cpu_k: defaults.cpu_k,
				commit_blocks: old.commit_blocks,
				reveal_blocks: old.reveal_blocks,
				samples: old.samples,
				slash_failed_challenge: old.slash_failed_challenge,
				spot_check_probability: old.spot_check_probability,
				verifier_blocks: old.verifier_blocks,
				slash_wrong_result: old.slash_wrong_result,
			})
		});
		translated_value::<_, T::DbWeight>(
			translated,
			"the proof-of-compute configuration did not decode",
		)
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let config = Configuration::<T>::get();
		frame_support::ensure!(config.validate().is_ok(), "the configuration no longer validates");
		Pallet::<T>::do_try_state()
	}
}

/// Version 2 → 3.
pub type V3<T> = VersionedMigration<
	2,
	3,
	AddCpuChallengeShape<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// Version 3 → 4.
pub type V4<T> = VersionedMigration<
	3,
	4,
	RemoveValues<Pallet<T>, ChallengeAndCheckCounters, <T as frame_system::Config>::DbWeight>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use frame_support::{
		pallet_prelude::{OptionQuery, ValueQuery},
		storage_alias,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};

	/// The cursor of version 0.
	#[storage_alias]
	type SweepCursor<T: Config> =
		StorageValue<Pallet<T>, <T as frame_system::Config>::AccountId, OptionQuery>;
	/// The counters of versions 0 to 3.
	#[storage_alias]
	type CounterForChallenges<T: Config> = StorageValue<Pallet<T>, u32, ValueQuery>;
	#[storage_alias]
	type CounterForSpotChecks<T: Config> = StorageValue<Pallet<T>, u32, ValueQuery>;

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
	fn v3_keeps_the_configuration_and_adds_the_default_cpu_shape() {
		build_and_execute(|| {
			StorageVersion::new(2).put::<ProofOfCompute>();
			let now = poc_config();
			let old = ConfigRecordV2::<Balance, u64> {
				challenge_rate: Perbill::from_percent(7),
				providers_per_block: 3,
				m: 32,
				n: 48,
				k: 16,
				commit_blocks: 4,
				reveal_blocks: 6,
				samples: 5,
				slash_failed_challenge: 77,
				spot_check_probability: Perbill::from_percent(9),
				verifier_blocks: 11,
				slash_wrong_result: 99,
			};
			frame_support::storage::unhashed::put_raw(
				&Configuration::<Test>::hashed_key(),
				&old.encode(),
			);
			V3::<Test>::on_runtime_upgrade();
			assert_eq!(ProofOfCompute::on_chain_storage_version(), StorageVersion::new(3));
			let config = Configuration::<Test>::get();
			assert_eq!(
				config,
				ConfigRecord {
					challenge_rate: Perbill::from_percent(7),
					providers_per_block: 3,
					m: 32,
					n: 48,
					k: 16,
					cpu_m: now.cpu_m,
					cpu_n: now.cpu_n,
					cpu_k: now.cpu_k,
					commit_blocks: 4,
					reveal_blocks: 6,
					samples: 5,
					slash_failed_challenge: 77,
					spot_check_probability: Perbill::from_percent(9),
					verifier_blocks: 11,
					slash_wrong_result: 99,
				}
			);
			// Once only: a second run changes nothing.
			V3::<Test>::on_runtime_upgrade();
			assert_eq!(Configuration::<Test>::get(), config);
		});
	}

	#[test]
	fn v4_removes_the_counters_and_keeps_the_challenges_and_checks() {
		use crate::tests_spot_checks::{commit, setup, wasm_job, HONEST};
		use crate::{Challenges, SpotChecks};
		build_and_execute(|| {
			setup(sp_runtime::Perbill::one());
			let job_id = wasm_job(P1);
			commit(P1, job_id, HONEST);
			let config = Configuration::<Test>::get();
			crate::Pallet::<Test>::issue(&P2, [7; 32], System::block_number(), &config);
			StorageVersion::new(3).put::<ProofOfCompute>();
			let challenges: Vec<_> = Challenges::<Test>::iter().collect();
			let check = SpotChecks::<Test>::get(job_id);
			assert!(check.is_some() && challenges.len() == 1);
			// The counters as version 3's `CountedStorageMap`s kept them.
			CounterForChallenges::<Test>::put(1);
			CounterForSpotChecks::<Test>::put(1);

			V4::<Test>::on_runtime_upgrade();

			assert_eq!(ProofOfCompute::on_chain_storage_version(), StorageVersion::new(4));
			assert!(!CounterForChallenges::<Test>::exists());
			assert!(!CounterForSpotChecks::<Test>::exists());
			assert_eq!(Challenges::<Test>::iter().collect::<Vec<_>>(), challenges);
			assert_eq!(SpotChecks::<Test>::get(job_id), check);
			// Run again: the version gate makes it a no-op.
			CounterForChallenges::<Test>::put(9);
			V4::<Test>::on_runtime_upgrade();
			assert_eq!(CounterForChallenges::<Test>::get(), 9);
			CounterForChallenges::<Test>::kill();
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
