//! What happens at which block. Each block's agenda lists the jobs whose auction closes,
//! whose deadline falls or which settle when that block starts; `on_initialize` takes the
//! current block's list and handles each job in it, so the work per block is bounded by
//! `MaxJobsPerBlock` and no block ever iterates over all jobs.
//!
//! A new job that finds no room is refused (`AgendaFull`); a deadline or settlement of a job
//! under way never is: it waits in the agenda's line and is handled late
//! (`kiln_support::Agenda::place`), so a provider's reveal cannot fail because someone
//! filled the agendas (finding 6 of issue 11).

use crate::{
	Agenda, AgendaHint, AgendaLine, AgendaLineEnds, Config, Error, JobState, Jobs, Pallet,
	RevealRequest, WeightInfo,
};
use frame_support::{traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::JobId;
use sp_runtime::{traits::Zero, DispatchError};

pub use kiln_support::AGENDA_SEARCH;

/// The most full agendas a new job passes over: its close's search and its deadline's each
/// try `AGENDA_SEARCH` blocks, the last of which takes it.
pub const MOST_PASSED_ON_CREATE: u32 = 2 * (AGENDA_SEARCH - 1);

/// Where the market keeps its agenda.
pub struct JobAgendaStorage<T>(core::marker::PhantomData<T>);

impl<T: Config> kiln_support::AgendaStorage for JobAgendaStorage<T> {
	type Block = BlockNumberFor<T>;
	type Item = JobId;
	type Max = T::MaxJobsPerBlock;
	type Lists = Agenda<T>;
	type Line = AgendaLine<T>;
	type LineEnds = AgendaLineEnds<T>;
	type Hint = AgendaHint<T>;
}

/// The market's agenda, through the helper the Kiln pallets share.
pub(crate) type JobAgenda<T> = kiln_support::Agenda<JobAgendaStorage<T>>;

/// What one more job of a kind costs, from its benchmark over `n` jobs.
fn per_job(weight: fn(u32) -> Weight) -> Weight {
	weight(1).saturating_sub(weight(0))
}

/// Reading and clearing an agenda: the most any kind's benchmark measured for no job, and
/// reading and writing the waiting line's ends.
fn agenda_base<T: Config>() -> Weight {
	T::WeightInfo::close_auctions(0)
		.max(T::WeightInfo::fail_jobs(0))
		.max(T::WeightInfo::settle_jobs(0))
		.saturating_add(T::DbWeight::get().reads_writes(1, 1))
}

/// Taking one entry from the waiting line (and putting it back when not due yet), on top of
/// its kind's cost: not in the benchmarks, charged as database accesses.
fn line_entry<T: Config>() -> Weight {
	T::DbWeight::get().reads_writes(1, 2)
}

impl<T: Config> Pallet<T> {
	/// Puts a new `job` on the agenda of the first block from `at` (within [`AGENDA_SEARCH`]
	/// blocks) that has room, and returns that block; `AgendaFull` if none has or steps of
	/// jobs under way wait in line.
	pub(crate) fn schedule(
		job: JobId,
		at: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		JobAgenda::<T>::schedule(job, at, AGENDA_SEARCH)
			.ok_or_else(|| Error::<T>::AgendaFull.into())
	}

	/// Puts the next step of a `job` under way on the agenda from `at`, or in the waiting line
	/// (due at `at`); returns the block it is due at. Never fails.
	pub(crate) fn place(job: JobId, at: BlockNumberFor<T>) -> BlockNumberFor<T> {
		JobAgenda::<T>::place(job, at, AGENDA_SEARCH)
	}

	/// [`Self::place`] past the agenda's hint (for a burst of placements at one block), also
	/// telling what the search did (what the caller charges).
	pub(crate) fn place_hinted(
		job: JobId,
		at: BlockNumberFor<T>,
	) -> kiln_support::Placed<BlockNumberFor<T>> {
		JobAgenda::<T>::place_hinted(job, at, AGENDA_SEARCH)
	}

	/// Takes `job` off the agenda of `at` (if it is there).
	pub(crate) fn unschedule(job: JobId, at: BlockNumberFor<T>) {
		JobAgenda::<T>::unschedule(&job, at)
	}

	/// Handles every job on the agenda of `now`, then waiting ones in the room left; returns
	/// the weight used. A job is handled only if its state still expects the block its entry
	/// was due at (an entry left in the line by a job that moved on is stale).
	pub(crate) fn process_agenda(now: BlockNumberFor<T>) -> Weight {
		// Each entry is charged its kind's benchmarked cost per job (a close at a full bid
		// list); reading and clearing the agenda once.
		let due = JobAgenda::<T>::take(now);
		let mut weight = agenda_base::<T>()
			.saturating_add(line_entry::<T>().saturating_mul(due.from_line.into()));
		for (at, job_id) in due.items {
			let Some(job) = Jobs::<T>::get(job_id) else { continue };
			match &job.state {
				JobState::Bidding if job.bidding_ends == at => {
					Self::close_auction(job_id, job, now);
					weight.saturating_accrue(Self::close_weight());
				},
				JobState::Awarded
				| JobState::Committed {
					reveal: RevealRequest::NotYet | RevealRequest::ByMarket,
					..
				} if job.deadline == at => {
					Self::fail_job(job_id, job, now);
					weight.saturating_accrue(Self::fail_weight());
				},
				JobState::Revealed { settles_at: Some(settles), .. } if *settles == at => {
					Self::settle_job(job_id, job, now, Zero::zero());
					weight.saturating_accrue(Self::settle_weight());
				},
				// Not expected: an entry leaves the agenda when its job leaves the state it was
				// made for (`try_state` checks there is none left over); skipped if it happens.
				_ => {},
			}
		}
		weight
	}

	/// One auction close at a full bid list, returning or forfeiting every bid's deposit (the
	/// benchmark's bids hold deposits), and counting an expiry in the totals.
	fn close_weight() -> Weight {
		per_job(T::WeightInfo::close_auctions).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}

	/// One missed deadline and its record (the benchmark writes each job's outcome).
	fn fail_weight() -> Weight {
		per_job(T::WeightInfo::fail_jobs)
	}

	/// One settlement and its record, its kind's price list perhaps another than the
	/// benchmark's.
	fn settle_weight() -> Weight {
		per_job(T::WeightInfo::settle_jobs).saturating_add(crate::records::other_kind_prices::<T>())
	}

	/// The most one block's agenda can cost: every slot taken by the most expensive kind of
	/// entry (an auction with a full bid list, a failing job or a settlement), each from the
	/// waiting line.
	pub fn worst_agenda_weight() -> Weight {
		let jobs = T::MaxJobsPerBlock::get();
		let worst = Self::close_weight()
			.max(Self::fail_weight())
			.max(Self::settle_weight())
			.saturating_add(line_entry::<T>());
		agenda_base::<T>().saturating_add(worst.saturating_mul(jobs.into()))
	}
}
