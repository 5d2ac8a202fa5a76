//! What happens at which block. Each block's agenda lists the jobs whose auction closes,
//! whose deadline falls or which settle when that block starts; `on_initialize` takes the
//! current block's list and handles each job in it, so the work per block is bounded by
//! `MaxJobsPerBlock` and no block ever iterates over all jobs.

use crate::{Agenda, Config, Error, JobState, Jobs, Pallet, RevealRequest, WeightInfo};
use frame_support::{traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::JobId;
use sp_runtime::DispatchError;

pub use kiln_support::AGENDA_SEARCH;

/// The market's agenda, through the helper the Kiln pallets share.
type JobAgenda<T> =
	kiln_support::Agenda<Agenda<T>, BlockNumberFor<T>, JobId, <T as Config>::MaxJobsPerBlock>;

/// What one more job of a kind costs, from its benchmark over `n` jobs.
fn per_job(weight: fn(u32) -> Weight) -> Weight {
	weight(1).saturating_sub(weight(0))
}

/// Reading and clearing an agenda: the most any kind's benchmark measured for no job.
fn agenda_base<T: Config>() -> Weight {
	T::WeightInfo::close_auctions(0)
		.max(T::WeightInfo::fail_jobs(0))
		.max(T::WeightInfo::settle_jobs(0))
}

impl<T: Config> Pallet<T> {
	/// Puts `job` on the agenda of the first block from `at` (within [`AGENDA_SEARCH`]
	/// blocks) that has room, and returns that block.
	pub(crate) fn schedule(
		job: JobId,
		at: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		JobAgenda::<T>::schedule(job, at, AGENDA_SEARCH)
			.ok_or_else(|| Error::<T>::AgendaFull.into())
	}

	/// Takes `job` off the agenda of `at` (if it is there).
	pub(crate) fn unschedule(job: JobId, at: BlockNumberFor<T>) {
		JobAgenda::<T>::unschedule(&job, at)
	}

	/// Handles every job on the agenda of `now`; returns the weight used.
	pub(crate) fn process_agenda(now: BlockNumberFor<T>) -> Weight {
		// Each entry is charged its kind's benchmarked cost per job (a close at a full bid
		// list); reading and clearing the agenda once.
		let mut weight = agenda_base::<T>();
		for job_id in JobAgenda::<T>::take(now) {
			let Some(job) = Jobs::<T>::get(job_id) else { continue };
			match &job.state {
				JobState::Bidding if job.bidding_ends == now => {
					Self::close_auction(job_id, job, now);
					weight.saturating_accrue(per_job(T::WeightInfo::close_auctions));
				},
				JobState::Awarded
				| JobState::Committed {
					reveal: RevealRequest::NotYet | RevealRequest::ByMarket,
					..
				} if job.deadline == now => {
					Self::fail_job(job_id, job, now);
					weight.saturating_accrue(per_job(T::WeightInfo::fail_jobs));
				},
				JobState::Revealed { settles_at: Some(at), .. } if *at == now => {
					Self::settle_job(job_id, job, now);
					weight.saturating_accrue(per_job(T::WeightInfo::settle_jobs));
				},
				// Not expected: an entry leaves the agenda when its job leaves the state it was
				// made for (`try_state` checks there is none left over); skipped if it happens.
				_ => {},
			}
		}
		weight
	}

	/// The most one block's agenda can cost: every slot taken by the most expensive kind of
	/// entry (an auction with a full bid list, a failing job or a settlement).
	pub fn worst_agenda_weight() -> Weight {
		let jobs = T::MaxJobsPerBlock::get();
		let worst = per_job(T::WeightInfo::close_auctions)
			.max(per_job(T::WeightInfo::fail_jobs))
			.max(per_job(T::WeightInfo::settle_jobs));
		agenda_base::<T>().saturating_add(worst.saturating_mul(jobs.into()))
	}
}
