//! # Proof of compute
//!
//! Hardware challenges of PoC-GEMM v1 (SPEC §3 `ProofOfCompute`, §4), verified by the chain:
//!
//! - Each block a sweep visits `providers_per_block` registered providers drawn uniformly by
//!   position (paused ones too, in an order nobody knows in advance); one without an open
//!   challenge gets one with probability `challenge_rate`:
//!   `ChallengeIssued { id, provider, seed, m, n, k, commit_by }`, with the seed from the
//!   draw.
//! - The provider computes C = A·B and commits the Merkle root of C before `commit_by`
//!   (`commit_challenge`).
//! - At the start of block `opens_at` the chain draws `samples` entries of C from the
//!   randomness of the `EntropyBlocks` blocks from `commit_by` on, all after every block a
//!   root could have been committed in (`ChallengeOpened { id, indices }`; `randomness.rs`).
//! - The provider reveals the leaf of each entry with its Merkle proof before `reveal_by`
//!   (`reveal_challenge`); the chain recomputes each entry in O(k) and checks each proof
//!   (`kiln_primitives::poc::verify_opening`): `ChallengePassed` (reputation up) or
//!   `ChallengeFailed { reason }` with a slash of `slash_failed_challenge` (reputation down).
//!   No root or no reveal in time also fails and slashes, from the agenda, so an unanswered
//!   challenge never blocks anything.
//!
//! Every block of a challenge's life is fixed when it is issued, and its two agenda entries
//! (opening, reveal deadline) are reserved then: a sweep that finds no room in an agenda
//! skips the provider this time.
//!
//! The market's verification policy (`impl Verification for Pallet`, `verification.rs`):
//!
//! - A `Gemm` job's result is its Merkle root: after the reveal the chain samples it exactly
//!   like a hardware challenge (`JobChallenged { job_id, id }`, then `ChallengeOpened`, answered
//!   with `reveal_challenge`); pass → the market pays, fail or no answer → the client is
//!   refunded and the provider slashed `slash_wrong_result`. Nothing is re-executed.
//! - Any other job is spot-checked with probability `spot_check_probability`, drawn two
//!   blocks after the commitment from randomness unknown at the commitment
//!   (`spot_checks.rs`): a random eligible verifier (never the provider or the client) locks
//!   `slash_wrong_result` of its collateral, re-executes and commits
//!   (`commit_spot_check`); only then is the provider asked to reveal, so a lazy verifier has
//!   nothing to copy. Both reveal (`reveal_spot_check`). Match → `SpotCheckPassed`, the
//!   verifier earns the job's verification fee. Mismatch → `SpotCheckMismatch` and two more
//!   verifiers; a result two verifiers agree on decides (`DisputeResolved`), every loser is
//!   slashed `slash_wrong_result`, the client refunded when the provider lost. A verifier
//!   that does not commit in time is slashed and replaced; one that does not reveal is
//!   slashed.
//!
//! Layout: `types.rs`, `challenges.rs` (issue, commit, open, reveal, expire),
//! `spot_checks.rs` (verifiers, disputes), `verification.rs` (the market's policy),
//! `randomness.rs` (where every draw comes from), `agenda.rs` (what happens at which block),
//! `invariants.rs`, `migrations.rs`.

//!
//! # Reference
//!
//! The pallet's reference (calls, errors, events, parameters, costs) is its `README.md`,
//! included below.
#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod agenda;
mod challenges;
mod invariants;
pub mod migrations;
mod randomness;
mod spot_checks;
pub mod types;
mod verification;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_blind_disputes;
#[cfg(test)]
mod tests_full_agendas;
#[cfg(test)]
mod tests_property;
#[cfg(test)]
mod tests_result_weights;
#[cfg(test)]
mod tests_spot_checks;
#[cfg(test)]
mod tests_unavailable;

pub use pallet::*;
pub use randomness::MAX_ENTROPY_BLOCKS;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate},
			Randomness,
		},
	};
	use frame_system::pallet_prelude::*;
	use kiln_primitives::{Collateral, JobId, ProviderRegistry, VerifiedMarket};

	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type ConfigRecordOf<T> = ConfigRecord<BalanceOf<T>, BlockNumberFor<T>>;
	pub type ChallengeOf<T> = Challenge<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	pub type ChallengeId = u64;
	/// A `Gemm` job's sampling is challenge `JOB_CHALLENGE_IDS + job id`: its reveal needs no
	/// counter read and written. Hardware challenges are numbered from 0 by `NextChallengeId`,
	/// below it (and a chain's earlier job challenges kept their counted ids). Both stay below
	/// 2^53 for any job id below 2^52, so JavaScript numbers hold them exactly.
	pub const JOB_CHALLENGE_IDS: ChallengeId = 1 << 52;
	pub type SpotCheckOf<T> =
		SpotCheck<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// Version 1: `SweepCursor` removed (the sweep draws positions). Version 2: blind disputes
	/// (`SpotCheck::nonce`, `provider_commitment`, `provider_answer`; `migrations::V2`).
	/// Version 3: the CPU-sized challenge shape (`ConfigRecord::cpu_m`, `cpu_n`, `cpu_k`;
	/// `migrations::V3`). Version 4: `Challenges` and `SpotChecks` uncounted (their counters
	/// removed by `migrations::V4`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(4);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency slashes are counted in (`Mutate` only so benchmarks can fund accounts).
		type Currency: Mutate<Self::AccountId>;

		/// Who is challenged, and where outcomes are recorded.
		type Registry: ProviderRegistry<Self::AccountId>;

		/// Slashed on a failed or unanswered challenge.
		type Collateral: Collateral<Self::AccountId, Balance = BalanceOf<Self>>;

		/// The market whose results are verified.
		type Market: VerifiedMarket<Self::AccountId, BlockNumberFor<Self>>;

		/// Randomness and the block since which it is known (BABE's `ParentBlockRandomness` in
		/// the runtime: known since the parent block). Recorded once per block; every draw
		/// mixes `EntropyBlocks` blocks of it (`randomness.rs`).
		type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;

		/// How many consecutive blocks' randomness each draw mixes (1 to
		/// [`MAX_ENTROPY_BLOCKS`]): one block author knows only its own block's.
		#[pallet::constant]
		type EntropyBlocks: Get<u32>;

		/// Changes the configuration: Root or a Council supermajority.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The configuration before genesis or governance set one.
		type DefaultConfig: Get<ConfigRecordOf<Self>>;

		/// Most agenda entries (challenge openings and deadlines, spot-check steps) per block.
		#[pallet::constant]
		type MaxAgendaPerBlock: Get<u32>;

		type WeightInfo: WeightInfo;

		/// Makes the randomness source give values in benchmarks (BABE has none before its
		/// first block).
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;
	}

	/// What benchmarks need from the runtime.
	#[cfg(feature = "runtime-benchmarks")]
	pub trait BenchmarkHelper {
		fn make_randomness_available();
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl BenchmarkHelper for () {
		fn make_randomness_available() {}
	}

	#[pallet::type_value]
	pub fn DefaultConfiguration<T: Config>() -> ConfigRecordOf<T> {
		T::DefaultConfig::get()
	}

	/// The pallet's parameters; changed only by `AdminOrigin` through `configure`.
	#[pallet::storage]
	pub type Configuration<T: Config> =
		StorageValue<_, ConfigRecordOf<T>, ValueQuery, DefaultConfiguration<T>>;

	/// The id the next hardware challenge gets (below `JOB_CHALLENGE_IDS`).
	#[pallet::storage]
	pub type NextChallengeId<T: Config> = StorageValue<_, ChallengeId, ValueQuery>;

	/// Every open challenge (at most one per provider).
	#[pallet::storage]
	pub type Challenges<T: Config> =
		StorageMap<_, Twox64Concat, ChallengeId, ChallengeOf<T>, OptionQuery>;

	/// Each provider's open challenge.
	#[pallet::storage]
	pub type OpenChallenge<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ChallengeId, OptionQuery>;

	/// What to look at when a block starts (challenge openings and deadlines, spot-check
	/// steps).
	#[pallet::storage]
	pub type Agenda<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<types::Task, T::MaxAgendaPerBlock>,
		ValueQuery,
	>;

	/// Steps of work under way that found no room on the agenda near their block, waiting in
	/// line (position → due block, item) for the first block with spare room.
	#[pallet::storage]
	pub type AgendaLine<T: Config> =
		StorageMap<_, Twox64Concat, u32, (BlockNumberFor<T>, types::Task), OptionQuery>;

	/// The waiting line's ends: (first position, one past the last).
	#[pallet::storage]
	pub type AgendaLineEnds<T: Config> = StorageValue<_, (u32, u32), ValueQuery>;

	/// The last run of blocks whose agendas a placement found full (first, one past the
	/// last): a burst of placements at one block starts past it (see `kiln_support::agenda`).
	#[pallet::storage]
	pub type AgendaHint<T: Config> =
		StorageValue<_, (BlockNumberFor<T>, BlockNumberFor<T>), OptionQuery>;

	/// The randomness revealed by each of the last `EntropyBlocks` blocks (oldest first), with
	/// the block that revealed it.
	#[pallet::storage]
	pub type RecentEntropy<T: Config> = StorageValue<
		_,
		BoundedVec<(BlockNumberFor<T>, [u8; 32]), ConstU32<MAX_ENTROPY_BLOCKS>>,
		ValueQuery,
	>;

	/// Every spot-check in progress, by job.
	#[pallet::storage]
	pub type SpotChecks<T: Config> =
		StorageMap<_, Twox64Concat, JobId, SpotCheckOf<T>, OptionQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Overrides `DefaultConfig`.
		pub config: Option<ConfigRecordOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(config) = &self.config {
				assert!(config.validate().is_ok(), "invalid proof-of-compute configuration");
				Configuration::<T>::put(config);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `provider` must commit the root of C = A·B (from `seed`) before `commit_by`.
		ChallengeIssued {
			id: ChallengeId,
			provider: T::AccountId,
			seed: [u8; 32],
			m: u32,
			n: u32,
			k: u32,
			commit_by: BlockNumberFor<T>,
		},
		/// The root is committed.
		ChallengeCommitted { id: ChallengeId, root: [u8; 32] },
		/// Open these entries of C (row-major indices) before `reveal_by`.
		ChallengeOpened {
			id: ChallengeId,
			indices: alloc::vec::Vec<u64>,
			reveal_by: BlockNumberFor<T>,
		},
		/// Every opening checked out.
		ChallengePassed { id: ChallengeId, provider: T::AccountId },
		/// The provider failed (and was slashed `slashed`).
		ChallengeFailed {
			id: ChallengeId,
			provider: T::AccountId,
			reason: FailReason,
			slashed: BalanceOf<T>,
		},
		/// No randomness was available to open the challenge; it was dropped without penalty.
		ChallengeVoided { id: ChallengeId },
		/// The configuration changed.
		ConfigurationSet { config: ConfigRecordOf<T> },
		/// A `Gemm` job's revealed root is sampled as challenge `id` (`JOB_CHALLENGE_IDS` +
		/// the job id; opened at `opens_at`).
		JobChallenged { job_id: JobId, id: ChallengeId, opens_at: BlockNumberFor<T> },
		/// `verifier` must re-execute the job and commit its result before `commit_by`.
		SpotCheckAssigned { job_id: JobId, verifier: T::AccountId, commit_by: BlockNumberFor<T> },
		/// The job's result is not spot-checked (not drawn, or no eligible verifier).
		SpotCheckSkipped { job_id: JobId },
		/// A verifier committed its result.
		SpotCheckCommitted { job_id: JobId, verifier: T::AccountId },
		/// A verifier revealed its result.
		SpotCheckRevealed { job_id: JobId, verifier: T::AccountId, output_hash: [u8; 32] },
		/// The verifier's result matches the provider's; the job is paid.
		SpotCheckPassed { job_id: JobId, verifier: T::AccountId },
		/// The verifier's result differs from the provider's (`None`: not revealed); two more
		/// verifiers are called.
		SpotCheckMismatch {
			job_id: JobId,
			provider_output: Option<[u8; 32]>,
			verifier_output: Option<[u8; 32]>,
		},
		/// A verifier did not answer in time and lost `slashed`.
		VerifierDropped { job_id: JobId, verifier: T::AccountId, slashed: BalanceOf<T> },
		/// The provider was drawn for a check and did not reveal: its job was rejected as a
		/// wrong result would be (whole job collateral) and it lost `slashed` on top.
		ProviderSilent { job_id: JobId, provider: T::AccountId, slashed: BalanceOf<T> },
		/// The dispute is over; the provider in `slashed` lost `slash_wrong_result`, each
		/// verifier in it the bond it locked.
		DisputeResolved {
			job_id: JobId,
			outcome: DisputeOutcome,
			slashed: alloc::vec::Vec<T::AccountId>,
		},
		/// A dispute's blind round: the panel (`SpotCheckAssigned`), the first verifier and the
		/// provider each commit `kiln_primitives::dispute_answer(output, nonce)` before
		/// `commit_by` (`commit_spot_check`), then reveal it (`reveal_spot_check`).
		DisputeOpened { job_id: JobId, nonce: [u8; 32], commit_by: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No open challenge with this id.
		NoSuchChallenge,
		/// The challenge is not the caller's.
		NotYourChallenge,
		/// A root is committed already.
		AlreadyCommitted,
		/// `commit_by` has passed.
		CommitWindowClosed,
		/// The entries to open are not drawn yet (wait for `ChallengeOpened`).
		NotOpened,
		/// One opening per drawn entry, in the order of `ChallengeOpened`'s indices.
		WrongOpeningCount,
		/// The configuration breaks the protocol at `field` (see `ConfigField`).
		InvalidConfiguration { field: ConfigField },
		/// No spot-check in progress for this job.
		NoSuchSpotCheck,
		/// The caller is not a (counted) verifier of this spot-check.
		NotVerifier,
		/// Verifiers commit only while the spot-check is committing, once each.
		NotCommitting,
		/// Reveals are accepted only after every verifier committed, once each.
		NotRevealing,
		/// `blake2_256(output_hash ‖ salt)` is not the verifier's commitment.
		CommitmentMismatch,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::record_entropy(now);
			let agenda = Self::process_agenda(now);
			agenda.saturating_add(Self::sweep(now)).saturating_add(Self::entropy_weight())
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		fn integrity_test() {
			assert!(T::DefaultConfig::get().validate().is_ok(), "DefaultConfig is invalid");
			assert!(
				(1..=MAX_ENTROPY_BLOCKS).contains(&T::EntropyBlocks::get()),
				"EntropyBlocks must be 1 to MAX_ENTROPY_BLOCKS"
			);
			let worst = Self::worst_block_weight();
			let max_block = T::BlockWeights::get().max_block;
			assert!(
				worst.all_lte(max_block / 4),
				"a full agenda and sweep ({worst:?}) take more than a quarter of a block ({max_block:?})"
			);
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Commits the Merkle root of C for challenge `id`.
		#[pallet::call_index(0)]
		pub fn commit_challenge(
			origin: OriginFor<T>,
			id: ChallengeId,
			root: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit(&who, id, root)
		}

		/// Reveals one opening per drawn entry. A wrong opening fails the challenge (the
		/// call succeeds: the failure and the slash are its outcome).
		///
		/// Charged for the largest `k` up front; refunded down to the challenge's own `k`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::reveal_challenge(openings.len() as u32, kiln_primitives::poc::MAX_K)
			.saturating_add(T::WeightInfo::job_verdict()))]
		pub fn reveal_challenge(
			origin: OriginFor<T>,
			id: ChallengeId,
			openings: BoundedVec<Opening, ConstU32<MAX_SAMPLES>>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let count = openings.len() as u32;
			let (k, purpose) = Self::do_reveal(&who, id, openings)?;
			let mut actual = T::WeightInfo::reveal_challenge(count, k);
			if matches!(purpose, Purpose::Job(_)) {
				actual.saturating_accrue(T::WeightInfo::job_verdict());
			}
			Ok(Some(actual).into())
		}

		/// Sets the configuration (`AdminOrigin` only).
		#[pallet::call_index(2)]
		pub fn configure(origin: OriginFor<T>, config: ConfigRecordOf<T>) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			config.validate().map_err(|field| Error::<T>::InvalidConfiguration { field })?;
			Configuration::<T>::put(&config);
			Self::deposit_event(Event::ConfigurationSet { config });
			Ok(())
		}

		/// A spot-check verifier commits `blake2_256(output_hash ‖ salt)` of its re-execution.
		#[pallet::call_index(3)]
		pub fn commit_spot_check(
			origin: OriginFor<T>,
			job_id: JobId,
			commitment: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_spot_check(&who, job_id, commitment)
		}

		/// A spot-check verifier reveals its result once every verifier has committed.
		///
		/// The last reveal settles the check: benchmarked as a dispute's verdict, plus two
		/// verifier searches (a first-round mismatch calls two more verifiers).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::reveal_spot_check()
			.saturating_add(Pallet::<T>::spot_check_step_weight()))]
		pub fn reveal_spot_check(
			origin: OriginFor<T>,
			job_id: JobId,
			output_hash: [u8; 32],
			salt: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal_spot_check(&who, job_id, output_hash, salt)
		}
	}
}
