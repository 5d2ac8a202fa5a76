//! The market's verification policy: `Gemm` results are sampled, other results spot-checked
//! with `spot_check_probability`.

use crate::{
	Config, Configuration, Pallet, SpotCheck, SpotCheckStage, SpotChecks, Task, WeightInfo,
};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{JobId, Verification, VerifiedMarket};
use sp_runtime::{traits::One, Saturating, Weight};

impl<T: Config> Verification<T::AccountId> for Pallet<T> {
	/// A `Gemm` result is revealed at once (its root is sampled after the reveal). Any other
	/// result waits two blocks for the draw that decides whether it is spot-checked.
	fn on_commit(job_id: JobId, provider: &T::AccountId, client: &T::AccountId) -> bool {
		let Some(job) = T::Market::job(job_id) else { return true };
		let config = Configuration::<T>::get();
		if job.gemm.is_some() || config.spot_check_probability.is_zero() {
			return true;
		}
		let now = frame_system::Pallet::<T>::block_number();
		// Two blocks on: randomness known since the block after the commitment's.
		let next: BlockNumberFor<T> = now.saturating_add(One::one()).saturating_add(One::one());
		let Some(next) = Self::schedule(Task::SpotCheck(job_id), next) else {
			// No room to decide later: not checked.
			return true;
		};
		SpotChecks::<T>::insert(
			job_id,
			SpotCheck {
				provider: provider.clone(),
				client: client.clone(),
				requirements: job.requirements,
				committed_at: now,
				provider_output: None,
				verifiers: Default::default(),
				dispute: false,
				stage: SpotCheckStage::Deciding,
				next,
				bond: config.slash_wrong_result,
			},
		);
		false
	}

	/// A `Gemm` root becomes a challenge; a spot-checked result is recorded for the verdict.
	fn on_reveal(job_id: JobId, provider: &T::AccountId, output_hash: &[u8; 32]) -> bool {
		if let Some(mut check) = SpotChecks::<T>::get(job_id) {
			check.provider_output = Some(*output_hash);
			Self::provider_revealed(job_id, &mut check);
			SpotChecks::<T>::insert(job_id, check);
			return false;
		}
		match T::Market::job(job_id).and_then(|job| job.gemm) {
			Some(gemm) => !Self::challenge_job(job_id, provider, gemm, *output_hash),
			None => true,
		}
	}

	fn on_commit_weight() -> Weight {
		T::WeightInfo::on_commit()
	}

	fn on_reveal_weight() -> Weight {
		T::WeightInfo::on_reveal()
	}
}
