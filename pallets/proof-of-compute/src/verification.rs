//! The market's verification policy: `Gemm` results are sampled, other results spot-checked
//! with `spot_check_probability`.

use crate::{
	agenda::AGENDA_SEARCH, Config, Configuration, Pallet, SpotCheck, SpotCheckStage, SpotChecks,
	Task, WeightInfo,
};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{
	CommitDecision, GemmJob, JobId, RevealDecision, Verification, VerifiedMarket,
};
use kiln_support::Searched;
use sp_runtime::Weight;

impl<T: Config> Verification<T::AccountId> for Pallet<T> {
	/// A `Gemm` result is revealed at once (its root is sampled after the reveal). Any other
	/// result waits for the draw that decides whether it is spot-checked, made from the
	/// randomness of the blocks after the commitment's.
	fn on_commit(
		job_id: JobId,
		provider: &T::AccountId,
		client: &T::AccountId,
	) -> (CommitDecision, Weight) {
		let at_once = (CommitDecision::RevealNow, T::WeightInfo::on_commit_at_once());
		let Some(job) = T::Market::job(job_id) else { return at_once };
		let config = Configuration::<T>::get();
		if job.gemm.is_some() || config.spot_check_probability.is_zero() {
			return at_once;
		}
		let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
		// Never skipped for want of room (finding 6 of issue 11): the draw waits in line.
		let placed = Self::place_hinted(Task::SpotCheck(job_id), Self::first_draw_after(now));
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
				next: placed.at,
				bond: config.slash_wrong_result,
				nonce: None,
				provider_commitment: None,
				provider_answer: None,
			},
		);
		(CommitDecision::Hold, Self::on_commit_held_weight(placed.search))
	}

	/// A `Gemm` root becomes a challenge; a spot-checked result is recorded for the verdict.
	fn on_reveal(
		job_id: JobId,
		provider: &T::AccountId,
		output_hash: &[u8; 32],
		gemm: Option<GemmJob>,
	) -> (RevealDecision, Weight) {
		let settled = (RevealDecision::SettleAfterWindow, T::WeightInfo::on_reveal_settled());
		// A `Gemm` result is never spot-checked (`on_commit` asks for its reveal at once;
		// `try_state` checks no job is both): no spot-check to look up.
		if let Some(gemm) = gemm {
			return match Self::challenge_job(job_id, provider, gemm, *output_hash) {
				Some(search) => (RevealDecision::Hold, Self::on_reveal_sampled_weight(search)),
				None => settled,
			};
		}
		if let Some(mut check) = SpotChecks::<T>::get(job_id) {
			check.provider_output = Some(*output_hash);
			Self::provider_revealed(job_id, &mut check);
			SpotChecks::<T>::insert(job_id, check);
			// At most 13 reads and 3 writes (the check read and rewritten, a search of its own
			// with the line's ends, an unschedule): less than a challenge past every searched
			// agenda (12 reads and 5 writes, a write dearer than a read), charged as that.
			return (RevealDecision::Hold, Self::on_reveal_sampled_weight(WORST));
		}
		settled
	}

	fn on_commit_weight() -> Weight {
		Self::on_commit_held_weight(WORST).max(T::WeightInfo::on_commit_at_once())
	}

	fn on_reveal_weight() -> Weight {
		Self::on_reveal_sampled_weight(WORST).max(T::WeightInfo::on_reveal_settled())
	}
}

/// The costliest placement: every agenda of the search read, the line and the hint written.
const WORST: Searched = Searched::worst(AGENDA_SEARCH);

impl<T: Config> Pallet<T> {
	/// A result held for the draw, whose placement searched as `search` says.
	pub fn on_commit_held_weight(search: Searched) -> Weight {
		search.weight::<T::DbWeight>(T::WeightInfo::on_commit_room, T::WeightInfo::on_commit)
	}

	/// A `Gemm` result's challenge, whose opening's placement searched as `search` says.
	pub fn on_reveal_sampled_weight(search: Searched) -> Weight {
		search.weight::<T::DbWeight>(T::WeightInfo::on_reveal_room, T::WeightInfo::on_reveal)
	}
}
