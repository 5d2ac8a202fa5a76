//! # Market
//!
//! Jobs and their reverse auctions (SPEC §3 `Market`):
//!
//! - `create_job(spec)` puts `max_price + verification_fee` of the client's funds in escrow
//!   and holds a storage deposit for the record; the auction closes at the start of block
//!   `bidding_ends` and the job fails at the start of block `deadline` unless its result was
//!   revealed by then.
//! - `place_bid` / `retract_bid` while the auction runs. A provider that does not meet the
//!   job's requirements or cannot lock the job collateral is refused: the call succeeds (it
//!   pays its fee) without storing a bid, emits `BidRefused { reason }` and counts the reason
//!   in the job's record, so the client can read why nobody bid. (A failing call could not
//!   store that count: every call's writes are reverted when it returns an error.)
//! - The close (in `on_initialize`, from a per-block agenda, never iterating all jobs): lowest
//!   price wins; ties go to the higher reputation, then to the earlier bid; the winner locks
//!   `job_collateral`; with `second_price` the client pays the runner-up's price. No
//!   acceptable bid: `JobExpired`, refund.
//! - `commit_result(commitment)` with `commitment = blake2_256(output_hash ‖ salt)`, then
//!   `reveal_result(output, salt)` when the chain asks for it; after `verification_window`
//!   the job settles: the provider gets the price minus `protocol_fee` (to the Treasury), the
//!   client the rest. A missed deadline: `JobFailed`, full refund, the provider slashed
//!   `slash_missed_deadline` of its job collateral.
//! - `drop_job`: anyone removes a finished job's record after `retention_blocks`, free of
//!   fees; the deposit goes back to the client.
//!
//! Layout: `types.rs`, `dispatchables.rs` (the calls), `auction.rs` (bids and the close),
//! `settlement.rs` (paying out and failing jobs), `agenda.rs` (what happens at which block),
//! `verification.rs` (the policy that checks nothing), `asset.rs` (the deposit),
//! `invariants.rs` (`try_state`).

//!
//! # Reference
//!
//! The pallet's reference (calls, errors, events, parameters, costs) is its `README.md`,
//! included below.
#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod agenda;
mod asset;
mod auction;
mod dispatchables;
mod invariants;
pub mod migrations;
mod records;
mod settlement;
pub mod types;
mod verdicts;
mod verification;
pub mod weights;

pub use agenda::{AGENDA_SEARCH, MOST_PASSED_ON_CREATE};
pub use kiln_support::Searched;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_auction;
#[cfg(test)]
mod tests_bids;
#[cfg(test)]
mod tests_property;
#[cfg(test)]
mod tests_records;

pub use pallet::*;
pub use types::*;
pub use verification::SettleAfterWindow;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		dispatch::DispatchResultWithPostInfo,
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use kiln_primitives::{
		ClearingPrice, Collateral, ContentRef, JobEscrow, JobId, ProviderRegistry, Verification,
		WorkloadKind, QUOTE_WINDOW,
	};

	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type ConfigRecordOf<T> = ConfigRecord<BalanceOf<T>, BlockNumberFor<T>>;
	pub type JobOf<T> =
		Job<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	pub type JobSpecOf<T> = kiln_primitives::JobSpec<BalanceOf<T>, BlockNumberFor<T>>;
	pub type BidOf<T> =
		Bid<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	pub type AwardOf<T> =
		Award<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	pub type BidsOf<T> = BoundedVec<BidOf<T>, <T as Config>::MaxBidsPerJob>;
	pub type ClearingPriceOf<T> = ClearingPrice<BalanceOf<T>, BlockNumberFor<T>>;
	pub type ClearingPricesOf<T> = BoundedVec<ClearingPriceOf<T>, ConstU32<QUOTE_WINDOW>>;

	/// Version 0: the first layout. `JobState::Committed`'s `reveal` replaced a `bool` with an
	/// enum encoded the same way (`RevealRequest`), so records written before decode unchanged.
	/// Version 1: bid deposits (`ConfigRecord::bid_deposit`, `Bid::deposit`; `migrations::V1`).
	/// Version 2: `ConfigRecord::reputation_min_price` (`migrations::V2`).
	/// Version 3: bid deposits are collateral locks, not `HoldReason::BidDeposit` holds
	/// (`migrations::V3`; the layout is unchanged).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(5);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency job deposits are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Who may bid, and their reputation.
		type Registry: ProviderRegistry<Self::AccountId>;

		/// The providers' bonds, locked per job and slashed on a missed deadline.
		type Collateral: Collateral<Self::AccountId, Balance = BalanceOf<Self>>;

		/// The clients' funds per job.
		type Escrow: JobEscrow<Self::AccountId, Balance = BalanceOf<Self>>;

		/// How results are verified before they are paid.
		type Verification: Verification<Self::AccountId>;

		/// Changes the configuration: Root or a Council supermajority.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The configuration before genesis or governance set one.
		type DefaultConfig: Get<ConfigRecordOf<Self>>;

		/// Bound of a job's bid list (`max_bids_per_job` may not exceed it).
		#[pallet::constant]
		type MaxBidsPerJob: Get<u32>;

		/// Most jobs one block's agenda holds (auctions closing, deadlines, settlements).
		#[pallet::constant]
		type MaxJobsPerBlock: Get<u32>;

		type WeightInfo: WeightInfo;
	}

	/// A reason for placing a hold on funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The storage deposit for a job's record.
		#[codec(index = 0)]
		JobDeposit,
		/// A bid's deposit while the bid stood, up to storage version 2; bid deposits are
		/// collateral locks since (`migrations::V3` released these holds).
		#[codec(index = 1)]
		BidDeposit,
	}

	#[pallet::type_value]
	pub fn DefaultConfiguration<T: Config>() -> ConfigRecordOf<T> {
		T::DefaultConfig::get()
	}

	/// The pallet's parameters; changed only by `AdminOrigin` through `configure`.
	#[pallet::storage]
	pub type Configuration<T: Config> =
		StorageValue<_, ConfigRecordOf<T>, ValueQuery, DefaultConfiguration<T>>;

	/// Every job until its record is dropped (each holds a deposit). Not counted: a counter
	/// would cost every job's creation and removal a read and a write, and nothing reads it.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, JobOf<T>, OptionQuery>;

	/// The bids of each job whose auction runs, in the order they were placed.
	#[pallet::storage]
	pub type Bids<T: Config> = StorageMap<_, Twox64Concat, JobId, BidsOf<T>, ValueQuery>;

	/// The jobs to look at when a block starts: auctions closing, deadlines, settlements.
	#[pallet::storage]
	pub type Agenda<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<JobId, T::MaxJobsPerBlock>,
		ValueQuery,
	>;

	/// Steps of work under way that found no room on the agenda near their block, waiting in
	/// line (position → due block, item) for the first block with spare room.
	#[pallet::storage]
	pub type AgendaLine<T: Config> =
		StorageMap<_, Twox64Concat, u32, (BlockNumberFor<T>, JobId), OptionQuery>;

	/// The waiting line's ends: (first position, one past the last).
	#[pallet::storage]
	pub type AgendaLineEnds<T: Config> = StorageValue<_, (u32, u32), ValueQuery>;

	/// The last run of blocks whose agendas a placement found full (first, one past the
	/// last): a burst of placements at one block starts past it (see `kiln_support::agenda`).
	#[pallet::storage]
	pub type AgendaHint<T: Config> =
		StorageValue<_, (BlockNumberFor<T>, BlockNumberFor<T>), OptionQuery>;

	/// The last `QUOTE_WINDOW` settled jobs' prices per workload kind, oldest first (jobs
	/// priced under `reputation_min_price` are left out): what `market_quote` reads.
	#[pallet::storage]
	pub type ClearingPrices<T: Config> =
		StorageMap<_, Twox64Concat, WorkloadKind, ClearingPricesOf<T>, ValueQuery>;

	/// How each awarded job that ended came out; removed with the job's record.
	#[pallet::storage]
	pub type Outcomes<T: Config> =
		StorageMap<_, Twox64Concat, JobId, JobOutcome<BalanceOf<T>>, OptionQuery>;

	/// Running totals of jobs and money: what `market_stats` reads. `jobs_created` is also the
	/// id the next job gets ([`Pallet::next_job_id`]).
	#[pallet::storage]
	pub type Totals<T: Config> = StorageValue<_, MarketTotals<BalanceOf<T>>, ValueQuery>;

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
				assert!(
					config.validate(T::MaxBidsPerJob::get()).is_ok(),
					"invalid market genesis configuration"
				);
				Configuration::<T>::put(config);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job was created; its auction closes at the start of block `bidding_ends`.
		JobCreated {
			job_id: JobId,
			client: T::AccountId,
			max_price: BalanceOf<T>,
			bidding_ends: BlockNumberFor<T>,
		},
		/// A provider bid (or lowered/changed its bid).
		BidPlaced { job_id: JobId, provider: T::AccountId, price: BalanceOf<T> },
		/// A provider's bid was not taken, and why (counted in the job's `refusals`).
		BidRefused { job_id: JobId, provider: T::AccountId, reason: BidRefusal },
		/// A provider withdrew its bid (its deposit goes to the client: `BidDepositForfeited`).
		BidRetracted { job_id: JobId, provider: T::AccountId },
		/// A cheaper bid took the place of this one in a full bid list; its deposit is returned.
		BidEvicted { job_id: JobId, provider: T::AccountId, by: T::AccountId },
		/// A bid's deposit went to the client: the bid was retracted, or its provider could not
		/// take the job when the close reached it.
		BidDepositForfeited { job_id: JobId, provider: T::AccountId, amount: BalanceOf<T> },
		/// The client cancelled the job before the award and was refunded.
		JobCancelled { job_id: JobId },
		/// The auction closed with a winner; it must deliver before `deadline`.
		JobAwarded {
			job_id: JobId,
			provider: T::AccountId,
			price: BalanceOf<T>,
			deadline: BlockNumberFor<T>,
		},
		/// The auction closed without an acceptable bid; the client was refunded.
		JobExpired { job_id: JobId },
		/// The provider committed to a result.
		ResultCommitted { job_id: JobId, provider: T::AccountId },
		/// The chain asks the provider to reveal its result.
		RevealRequested { job_id: JobId },
		/// The result was revealed and matches the commitment; it settles at the start of
		/// block `settles_at` (`None`: when verification decides).
		ResultRevealed { job_id: JobId, output: ContentRef, settles_at: Option<BlockNumberFor<T>> },
		/// Settled: the provider got `paid`, the Treasury `fee`, the client `refunded`.
		JobCompleted {
			job_id: JobId,
			provider: T::AccountId,
			paid: BalanceOf<T>,
			fee: BalanceOf<T>,
			refunded: BalanceOf<T>,
		},
		/// The provider missed its deadline: the client got `refunded`, the provider lost
		/// `slashed`.
		JobFailed {
			job_id: JobId,
			provider: T::AccountId,
			refunded: BalanceOf<T>,
			slashed: BalanceOf<T>,
		},
		/// Verification did not pay the result (`why`): the client got `refunded`, the
		/// provider nothing, and lost its job collateral (`slashed`) when it was at fault
		/// (a wrong result, or silence after being drawn for a check).
		JobRejected {
			job_id: JobId,
			provider: T::AccountId,
			refunded: BalanceOf<T>,
			slashed: BalanceOf<T>,
			why: kiln_primitives::Rejection,
		},
		/// Each of `verifiers` got `each` out of the job's verification fee.
		VerifiersPaid {
			job_id: JobId,
			verifiers: alloc::vec::Vec<T::AccountId>,
			each: BalanceOf<T>,
		},
		/// A finished job's record was removed and its deposit returned.
		JobDropped { job_id: JobId },
		/// The configuration changed.
		ConfigurationSet { config: ConfigRecordOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No job with this id.
		NoSuchJob,
		/// `max_price` is zero.
		ZeroMaxPrice,
		/// `bidding_blocks` or `execution_blocks` outside the market's bounds.
		WindowOutOfBounds,
		/// A GEMM dimension is zero or above 65 536.
		InvalidGemmDimension,
		/// A CUDA launch with a zero grid or block dimension, an empty entry point or no
		/// output.
		InvalidCudaLaunch,
		/// A Wasm job without fuel.
		NoFuel,
		/// A content URI is empty.
		EmptyUri,
		/// Every block's agenda near the wanted one is full, or steps of jobs under way wait for
		/// room (new jobs are refused until they are handled); try again later.
		AgendaFull,
		/// Not enough free balance for the escrow and the deposit (a job), or for the bid
		/// deposit (a bid).
		InsufficientBalance,
		/// The auction is over (or the job was cancelled).
		BiddingClosed,
		/// A bid of zero.
		ZeroPrice,
		/// The bid is above the job's `max_price`.
		PriceAboveMax,
		/// A client cannot bid on its own job.
		OwnJob,
		/// The job has `max_bids_per_job` bids already and this one is not cheaper than the
		/// dearest of them.
		TooManyBids,
		/// The caller has no bid on this job.
		NoBid,
		/// Only the job's client may do this.
		NotClient,
		/// Only the job's awarded provider may do this.
		NotProvider,
		/// The job is not waiting for a result commitment.
		NotAwarded,
		/// The job is not waiting for a reveal (no commitment, or the chain has not asked).
		RevealNotRequested,
		/// Verification holds no verdict or reveal request open for this job.
		NotAwaitingVerdict,
		/// `blake2_256(output.hash ‖ salt)` is not the commitment.
		CommitmentMismatch,
		/// The job's deadline has passed.
		DeadlinePassed,
		/// The job has not ended yet.
		NotFinished,
		/// The job ended less than `retention_blocks` ago.
		TooEarly,
		/// The configuration breaks the market at `field` (see `ConfigField`).
		InvalidConfiguration { field: ConfigField },
		/// An arithmetic overflow.
		Overflow,
		/// The output hash is `kiln_primitives::UNAVAILABLE`, the answer reserved to verifiers
		/// that cannot fetch a job's inputs.
		ReservedOutputHash,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_agenda(now)
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		fn integrity_test() {
			assert!(
				T::DefaultConfig::get().validate(T::MaxBidsPerJob::get()).is_ok(),
				"DefaultConfig is invalid"
			);
			let worst = Self::worst_agenda_weight();
			let max_block = T::BlockWeights::get().max_block;
			assert!(
				worst.all_lte(max_block / 4),
				"a full agenda ({worst:?}) takes more than a quarter of a block ({max_block:?})"
			);
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Creates a job: `max_price + verification_fee` goes into escrow and a deposit for
		/// the record on hold; the auction starts now. Charged for the full agendas its close
		/// and deadline passed over (the most before dispatch).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_job(agenda::MOST_PASSED_ON_CREATE))]
		pub fn create_job(origin: OriginFor<T>, spec: JobSpecOf<T>) -> DispatchResultWithPostInfo {
			let client = ensure_signed(origin)?;
			let (_, passed) = Self::do_create_job(&client, spec)?;
			Ok(Some(T::WeightInfo::create_job(passed)).into())
		}

		/// Bids `price` for running `job_id`, replacing the caller's earlier bid. A provider
		/// that is not eligible is refused with `BidRefused` (the call itself succeeds).
		#[pallet::call_index(1)]
		#[pallet::weight(auction::BidOutcome::max_weight::<T>())]
		pub fn place_bid(
			origin: OriginFor<T>,
			job_id: JobId,
			price: BalanceOf<T>,
		) -> DispatchResultWithPostInfo {
			let provider = ensure_signed(origin)?;
			let outcome = Self::do_place_bid(&provider, job_id, price)?;
			Ok(Some(outcome.weight::<T>()).into())
		}

		/// Withdraws the caller's bid on `job_id`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::retract_bid(T::MaxBidsPerJob::get()))]
		pub fn retract_bid(origin: OriginFor<T>, job_id: JobId) -> DispatchResultWithPostInfo {
			let provider = ensure_signed(origin)?;
			let bids = Self::do_retract_bid(&provider, job_id)?;
			Ok(Some(T::WeightInfo::retract_bid(bids)).into())
		}

		/// Cancels the caller's job before its auction closes; the escrow is refunded.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::cancel_job(T::MaxBidsPerJob::get()))]
		pub fn cancel_job(origin: OriginFor<T>, job_id: JobId) -> DispatchResultWithPostInfo {
			let client = ensure_signed(origin)?;
			let bids = Self::do_cancel_job(&client, job_id)?;
			Ok(Some(T::WeightInfo::cancel_job(bids)).into())
		}

		/// Commits the awarded provider to a result: `blake2_256(output_hash ‖ salt)`.
		/// Charged before dispatch for verification's most expensive path, after it for the one
		/// taken.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::commit_result()
			.saturating_add(T::Verification::on_commit_weight())
			.saturating_add(Pallet::<T>::held_commit_weight()))]
		pub fn commit_result(
			origin: OriginFor<T>,
			job_id: JobId,
			commitment: [u8; 32],
		) -> DispatchResultWithPostInfo {
			let provider = ensure_signed(origin)?;
			Ok(Some(Self::do_commit_result(&provider, job_id, commitment)?).into())
		}

		/// Reveals the committed result once the chain asked for it (`RevealRequested`).
		/// Charged before dispatch for the settlement placed past every searched agenda and
		/// verification's most expensive path, after it for what was done.
		#[pallet::call_index(5)]
		#[pallet::weight(Pallet::<T>::reveal_weight(Searched::worst(AGENDA_SEARCH))
			.saturating_add(T::Verification::on_reveal_weight()))]
		pub fn reveal_result(
			origin: OriginFor<T>,
			job_id: JobId,
			output: ContentRef,
			salt: [u8; 32],
		) -> DispatchResultWithPostInfo {
			let provider = ensure_signed(origin)?;
			Ok(Some(Self::do_reveal_result(&provider, job_id, output, salt)?).into())
		}

		/// Removes a job that ended at least `retention_blocks` ago and returns the
		/// client's deposit. Anyone may call it; it is free when it succeeds.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::drop_job().saturating_add(T::DbWeight::get().writes(1)))]
		pub fn drop_job(origin: OriginFor<T>, job_id: JobId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			Self::do_drop_job(job_id)?;
			Ok(Pays::No.into())
		}

		/// Sets the configuration (`AdminOrigin` only).
		#[pallet::call_index(7)]
		pub fn configure(origin: OriginFor<T>, config: ConfigRecordOf<T>) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_configure(config)
		}
	}
}
