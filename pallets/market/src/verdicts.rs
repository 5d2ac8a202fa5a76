//! How verification (`pallet-proof-of-compute`) drives a job it took over: it reads the job,
//! asks for the reveal once its verifiers have committed, and accepts or rejects the result.

use crate::{Config, Error, Event, JobState, Jobs, Pallet, RevealRequest};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{JobId, JobStage, JobView, Rejection, VerifiedMarket};
use sp_runtime::{DispatchError, DispatchResult};

impl<T: Config> Pallet<T> {
	/// Asks for the reveal of a result verification held back, `by` whom the deadline is
	/// owned; `deadline` gives that deadline (and may put it on the agenda).
	fn ask_for_reveal(
		job_id: JobId,
		by: RevealRequest,
		deadline: impl FnOnce(JobId) -> Result<BlockNumberFor<T>, DispatchError>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		let JobState::Committed { commitment, reveal: RevealRequest::NotYet } = job.state else {
			return Err(Error::<T>::NotAwaitingVerdict.into());
		};
		job.deadline = deadline(job_id)?;
		job.state = JobState::Committed { commitment, reveal: by };
		let at = job.deadline;
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::RevealRequested { job_id });
		Ok(at)
	}
}

impl<T: Config> VerifiedMarket<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn job(job_id: JobId) -> Option<JobView<T::AccountId, BlockNumberFor<T>>> {
		let job = Jobs::<T>::get(job_id)?;
		let award = job.award.as_ref()?;
		if job.state.ended_at().is_some() {
			return None;
		}
		let gemm = job.spec.workload.gemm();
		let stage = match job.state {
			JobState::Committed { reveal: RevealRequest::NotYet, .. } => {
				JobStage::AwaitingRevealRequest
			},
			JobState::Committed { .. } => JobStage::RevealRequested,
			JobState::Revealed { settles_at: Some(_), .. } => JobStage::SettlingAfterWindow,
			JobState::Revealed { settles_at: None, .. } => JobStage::AwaitingVerdict,
			_ => JobStage::Running,
		};
		Some(JobView {
			client: job.client.clone(),
			provider: award.provider.clone(),
			requirements: job.spec.requirements.clone(),
			gemm,
			stage,
			deadline: job.deadline,
			execution_blocks: job.spec.execution_blocks,
		})
	}

	fn release(
		job_id: JobId,
		reveal_by: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		// The deadline of a job under way: never refused for want of room (it waits in line).
		Self::ask_for_reveal(job_id, RevealRequest::ByMarket, |job_id| {
			Ok(Self::place(job_id, reveal_by))
		})
	}

	fn request_reveal(job_id: JobId, reveal_by: BlockNumberFor<T>) -> DispatchResult {
		// Verification owns this deadline (nothing goes on the market's agenda).
		Self::ask_for_reveal(job_id, RevealRequest::ByVerification, |_| Ok(reveal_by)).map(|_| ())
	}

	fn accept(job_id: JobId, verifiers: &[T::AccountId]) -> DispatchResult {
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		let JobState::Revealed { settles_at: None, .. } = job.state else {
			return Err(Error::<T>::NotAwaitingVerdict.into());
		};
		let verifiers_paid = Self::pay_verifiers(job_id, &job, verifiers);
		Self::settle_job(job_id, job, frame_system::Pallet::<T>::block_number(), verifiers_paid);
		Ok(())
	}

	fn reject(job_id: JobId, verifiers: &[T::AccountId], why: Rejection) -> DispatchResult {
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		match job.state {
			JobState::Revealed { settles_at: None, .. } => {},
			JobState::Committed { reveal: RevealRequest::ByMarket, .. } => {
				Self::unschedule(job_id, job.deadline)
			},
			JobState::Committed { .. } => {},
			_ => return Err(Error::<T>::NotAwaitingVerdict.into()),
		}
		let now = frame_system::Pallet::<T>::block_number();
		Self::reject_job(job_id, job, verifiers, why, now);
		Ok(())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn job_for_benchmark(
		client: &T::AccountId,
		provider: &T::AccountId,
		gemm: bool,
		output_hash: [u8; 32],
		reveal: bool,
	) -> Result<JobId, DispatchError> {
		crate::benchmarking::job_for_benchmark::<T>(client, provider, gemm, output_hash, reveal)
	}
}
