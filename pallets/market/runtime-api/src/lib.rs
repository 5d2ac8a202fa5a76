//! `KilnMarketApi` (SPEC §5): what the node's `market_*` JSON-RPC methods read from the
//! runtime. Every method is a read of one block's state; the node turns the answers into JSON
//! (amounts as decimal strings, accounts in SS58, hashes in hex, block numbers with the time
//! they fall at, from [`Clock`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use kiln_primitives::{HardwareProfile, JobId, Quote, Reputation, Requirements, WorkloadKind};
use pallet_market::{Bid, Job, JobOutcome, MarketTotals};
use pallet_providers::ProviderStatus;
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// Most open jobs one page holds.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Where the chain is, so block numbers can be turned into times: block `b` falls at about
/// `timestamp_ms + (b − block) × block_time_ms`.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Clock<BlockNumber> {
	pub block: BlockNumber,
	/// The block's timestamp (Unix milliseconds).
	pub timestamp_ms: u64,
	pub block_time_ms: u64,
}

/// One page of the jobs whose auction runs, in id order.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct OpenJobs<AccountId, Balance, BlockNumber> {
	/// Open jobs in all pages.
	pub total: u32,
	/// `(id, record, bids so far)`.
	pub jobs: Vec<(JobId, Job<AccountId, Balance, BlockNumber>, u32)>,
}

/// A spot-check of a job under way.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct CheckSummary<BlockNumber> {
	/// Verifiers counted (the drawn ones still in the check).
	pub verifiers: u32,
	/// Two more verifiers were called after a mismatch.
	pub dispute: bool,
	/// When the check's current stage ends.
	pub stage_ends: BlockNumber,
}

/// Everything the chain knows about a job.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct JobDetails<AccountId, Balance, BlockNumber> {
	pub job: Job<AccountId, Balance, BlockNumber>,
	/// The bids while the auction runs (the close removes them).
	pub bids: Vec<Bid<AccountId, Balance, BlockNumber>>,
	/// How it ended, once an awarded job has.
	pub outcome: Option<JobOutcome<Balance>>,
	/// A spot-check under way.
	pub check: Option<CheckSummary<BlockNumber>>,
}

/// A provider's registration.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Registration<BlockNumber> {
	pub profile: HardwareProfile,
	pub endpoint: Vec<u8>,
	pub status: ProviderStatus,
	pub registered_at: BlockNumber,
	pub jobs_in_flight: u32,
}

/// A provider's collateral.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Bond<Balance, BlockNumber> {
	pub active: Balance,
	/// Of `active`, what jobs in flight lock.
	pub locked: Balance,
	/// `(amount, withdrawable from block)`.
	pub unlocking: Vec<(Balance, BlockNumber)>,
}

/// What the chain knows about an account as a provider.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ProviderDetails<Balance, BlockNumber> {
	/// `None`: not registered (it may still have a bond, or a reputation from before).
	pub registration: Option<Registration<BlockNumber>>,
	pub bond: Option<Bond<Balance, BlockNumber>>,
	pub reputation: Reputation,
	pub score: Perbill,
	/// A hardware challenge open for it.
	pub open_challenge: bool,
}

/// The market as a whole.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct MarketStats<Balance> {
	/// Jobs whose auction runs.
	pub open_jobs: u32,
	/// Awarded jobs not ended yet.
	pub running_jobs: u32,
	/// Job records kept (ended ones until they are dropped).
	pub job_records: u32,
	pub totals: MarketTotals<Balance>,
	pub providers: u32,
	pub providers_active: u32,
	/// Paused by themselves or, under their minimum bond, by the chain.
	pub providers_paused: u32,
	pub total_bonded: Balance,
	/// Everything slashed (missed deadlines, wrong results, failed challenges).
	pub total_slashed: Balance,
}

sp_api::decl_runtime_apis! {
	/// The market, read for clients (SPEC §5 `market_*`).
	pub trait KilnMarketApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The block, its time and the block time.
		fn clock() -> Clock<BlockNumber>;
		/// Page `page` (from 0) of the open jobs, `page_size` (1 to [`MAX_PAGE_SIZE`]) a page.
		fn open_jobs(page: u32, page_size: u32) -> OpenJobs<AccountId, Balance, BlockNumber>;
		/// A job, or `None` if there is no such job (or its record was dropped).
		fn job(job_id: JobId) -> Option<JobDetails<AccountId, Balance, BlockNumber>>;
		/// An account as a provider, or `None` if it never bonded nor registered.
		fn provider(who: AccountId) -> Option<ProviderDetails<Balance, BlockNumber>>;
		/// Recent clearing prices for `units` of work of `kind` on hardware meeting
		/// `requirements`.
		fn quote(kind: WorkloadKind, units: u64, requirements: Requirements) -> Quote<Balance>;
		/// Jobs, providers and money.
		fn stats() -> MarketStats<Balance>;
	}
}
