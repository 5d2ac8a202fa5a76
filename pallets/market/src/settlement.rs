//! How a job ends after its award: settled (the provider paid, the protocol fee to the
//! Treasury, the rest back to the client), failed (the client refunded in full, the
//! provider slashed) or rejected by verification (the verifiers paid, the client refunded). Both run from the agenda, so neither may fail: a currency operation that
//! fails anyway is reported as a defensive error and the job still ends (`try_state` would
//! then show the escrow left behind).

use crate::{BalanceOf, Config, Configuration, Event, JobOf, JobOutcome, JobState, Jobs, Pallet};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{
	Collateral, JobEscrow, JobId, Outcome, ProviderRegistry, Rejection, SlashReason,
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchResult, SaturatedConversion,
};

fn defensive(what: &'static str, result: DispatchResult) {
	if let Err(e) = result {
		frame_support::defensive!(what, e);
	}
}

impl<T: Config> Pallet<T> {
	/// Pays the provider `price - protocol_fee`, the Treasury the fee, refunds the rest
	/// (`verifiers_paid`: what verification paid out of the escrow before, for the record).
	pub(crate) fn settle_job(
		job_id: JobId,
		mut job: JobOf<T>,
		now: BlockNumberFor<T>,
		verifiers_paid: BalanceOf<T>,
	) {
		let Some(award) = job.award.clone() else {
			frame_support::defensive!("settling a job without an award");
			return;
		};
		let config = Configuration::<T>::get();
		let fee = config.protocol_fee * award.price;
		let paid = award.price.saturating_sub(fee);
		if !paid.is_zero() {
			defensive("paying the provider", T::Escrow::release_to(job_id, &award.provider, paid));
		}
		if !fee.is_zero() {
			defensive("collecting the protocol fee", T::Escrow::collect_fee(job_id, fee));
		}
		let refunded = T::Escrow::refund(job_id).unwrap_or_else(|e| {
			frame_support::defensive!("refunding the rest of a settled job", e);
			Zero::zero()
		});
		T::Collateral::unlock(&award.provider, award.collateral);
		// A job below the floor ends without marking the record: cheap self-dealt jobs cannot
		// build a reputation.
		let outcome = if award.price >= config.reputation_min_price {
			Outcome::JobCompleted
		} else {
			Outcome::JobEnded
		};
		T::Registry::record_outcome(&award.provider, outcome);
		let output = job.state.output().cloned();
		job.state = JobState::Completed { at: now };
		let record =
			JobOutcome { output, ..JobOutcome::settled(paid, fee, refunded, verifiers_paid) };
		Self::record_end(job_id, &job, record, now, config.reputation_min_price);
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobCompleted {
			job_id,
			provider: award.provider,
			paid,
			fee,
			refunded,
		});
	}

	/// Refunds the client in full and slashes `slash_missed_deadline` of the job collateral.
	pub(crate) fn fail_job(job_id: JobId, mut job: JobOf<T>, now: BlockNumberFor<T>) {
		let Some(award) = job.award.clone() else {
			frame_support::defensive!("failing a job without an award");
			return;
		};
		let refunded = T::Escrow::refund(job_id).unwrap_or_else(|e| {
			frame_support::defensive!("refunding a failed job", e);
			Zero::zero()
		});
		T::Collateral::unlock(&award.provider, award.collateral);
		let penalty = Configuration::<T>::get().slash_missed_deadline * award.collateral;
		let slashed = if penalty.is_zero() {
			Zero::zero()
		} else {
			T::Collateral::slash(&award.provider, penalty, SlashReason::MissedDeadline, None)
		};
		T::Registry::record_outcome(&award.provider, Outcome::JobFailed);
		job.state = JobState::Failed { at: now };
		let record = JobOutcome {
			missed_deadline: true,
			refunded,
			slashed,
			..JobOutcome::settled(Zero::zero(), Zero::zero(), Zero::zero(), Zero::zero())
		};
		Self::record_end(job_id, &job, record, now, Zero::zero());
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobFailed {
			job_id,
			provider: award.provider,
			refunded,
			slashed,
		});
	}

	/// Pays each of `verifiers` an equal share of the job's verification fee (what the
	/// client locked above `max_price`); returns what they were paid in all.
	pub(crate) fn pay_verifiers(
		job_id: JobId,
		job: &JobOf<T>,
		verifiers: &[T::AccountId],
	) -> BalanceOf<T> {
		if verifiers.is_empty() {
			return Zero::zero();
		}
		// The budget at the awarded price, never more than the job locked for verification.
		let locked = job.escrowed.saturating_sub(job.spec.max_price);
		let price = job.award.as_ref().map_or(job.spec.max_price, |a| a.price);
		let budget = Configuration::<T>::get()
			.verification_budget(price)
			.map_or(locked, |budget| budget.min(locked));
		let count: BalanceOf<T> = (verifiers.len() as u64).saturated_into();
		let each = budget / count;
		if each.is_zero() {
			return Zero::zero();
		}
		for verifier in verifiers {
			defensive("paying a verifier", T::Escrow::release_to(job_id, verifier, each));
		}
		Self::deposit_event(Event::VerifiersPaid { job_id, verifiers: verifiers.to_vec(), each });
		each.saturating_mul(count)
	}

	/// Verification rejected the result: pays `verifiers`, refunds the client the rest,
	/// slashes the whole job collateral if the provider is at fault (else unlocks it, and the
	/// provider's record is not marked) and counts a failed job when it is at fault.
	pub(crate) fn reject_job(
		job_id: JobId,
		mut job: JobOf<T>,
		verifiers: &[T::AccountId],
		why: Rejection,
		now: BlockNumberFor<T>,
	) {
		let Some(award) = job.award.clone() else {
			frame_support::defensive!("rejecting a job without an award");
			return;
		};
		let verifiers_paid = Self::pay_verifiers(job_id, &job, verifiers);
		let refunded = T::Escrow::refund(job_id).unwrap_or_else(|e| {
			frame_support::defensive!("refunding a rejected job", e);
			Zero::zero()
		});
		T::Collateral::unlock(&award.provider, award.collateral);
		let (reason, outcome) = match why {
			// Nobody's fault: the job ends without marking the provider's record.
			Rejection::Unconfirmed => (None, Outcome::JobEnded),
			Rejection::Wrong => (Some(SlashReason::WrongResult), Outcome::JobFailed),
			Rejection::UnrevealedWhenChecked => {
				(Some(SlashReason::UnrevealedWhenChecked), Outcome::JobFailed)
			},
		};
		let slashed = match reason {
			// The reporter's share goes to the first verifier that showed the fault.
			Some(reason) if !award.collateral.is_zero() => {
				T::Collateral::slash(&award.provider, award.collateral, reason, verifiers.first())
			},
			_ => Zero::zero(),
		};
		T::Registry::record_outcome(&award.provider, outcome);
		let output = job.state.output().cloned();
		job.state = JobState::Failed { at: now };
		let record = JobOutcome {
			rejected: Some(why),
			output,
			refunded,
			slashed,
			..JobOutcome::settled(Zero::zero(), Zero::zero(), Zero::zero(), verifiers_paid)
		};
		Self::record_end(job_id, &job, record, now, Zero::zero());
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobRejected {
			job_id,
			provider: award.provider,
			refunded,
			slashed,
			why,
		});
	}
}
