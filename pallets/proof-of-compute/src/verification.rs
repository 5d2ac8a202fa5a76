//! The market's verification policy: `Gemm` results are sampled, other results spot-checked
//! with `spot_check_probability`.

use crate::{
	Config, Configuration, Pallet, SpotCheck, SpotCheckStage, SpotChecks, Task, WeightInfo,
};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{CommitDecision, JobId, RevealDecision, Verification, VerifiedMarket};
use sp_runtime::Weight;

impl<T: Config> Verification<T::AccountId> for Pallet<T> {
	/// A `Gemm` result is revealed at once (its root is sampled after the reveal). Any other
	/// result waits for the draw that decides whether it is spot-checked, made from the
	/// randomness of the blocks after the commitment's.
	fn on_commit(job_id: JobId, provider: &T::AccountId, client: &T::AccountId) -> CommitDecision {
		let Some(job) = T::Market::job(job_id) else { return CommitDecision::RevealNow };
		let config = Configuration::<T>::get();
		if job.gemm.is_some() || config.spot_check_probability.is_zero() {
			return CommitDecision::RevealNow;
		}
		let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
		// Never skipped for want of room (finding 6 of issue 11): the draw waits in line.
		let next = Self::place(Task::SpotCheck(job_id), Self::first_draw_after(now));
		SpotChecks::<T>::insert(
			job_id,
			SpotCheck {
				provider: provider.clone(),
				client: client.clone(),
				requirements: job.requirements,
				draw_after: now,
				provider_output: None,
				verifiers: Default::default(),
				dispute: false,
				stage: SpotCheckStage::Deciding,
				next,
				bond: config.slash_wrong_result,
				nonce: None,
				provider_commitment: None,
				provider_answer: None,
			},
		);
		CommitDecision::Hold
	}

	/// A `Gemm` root becomes a challenge; a spot-checked result is recorded for the verdict.
	fn on_reveal(job_id: JobId, provider: &T::AccountId, output_hash: &[u8; 32]) -> RevealDecision {
		if let Some(mut check) = SpotChecks::<T>::get(job_id) {
			check.provider_output = Some(*output_hash);
			Self::provider_revealed(job_id, &mut check);
			SpotChecks::<T>::insert(job_id, check);
			return RevealDecision::Hold;
		}
		match T::Market::job(job_id).and_then(|job| job.gemm) {
			Some(gemm) if Self::challenge_job(job_id, provider, gemm, *output_hash) => {
				RevealDecision::Hold
			},
			_ => RevealDecision::SettleAfterWindow,
		}
	}

	fn on_commit_weight() -> Weight {
		T::WeightInfo::on_commit()
	}

	fn on_reveal_weight() -> Weight {
		T::WeightInfo::on_reveal()
	}
}
