//! What happens at which block. Each block's agenda lists the challenges and spot-checks whose
//! step falls on it; `on_initialize` takes the current block's list only, so the work per
//! block is bounded by `MaxAgendaPerBlock` and an unanswered challenge never blocks anything.

use crate::{
	Agenda, ChallengeState, Challenges, Config, Configuration, FailReason, Pallet, SpotChecks,
	Task, WeightInfo,
};
use frame_support::{traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;

pub use kiln_support::AGENDA_SEARCH;

/// This pallet's agenda, through the helper the Kiln pallets share.
type TaskAgenda<T> =
	kiln_support::Agenda<Agenda<T>, BlockNumberFor<T>, Task, <T as Config>::MaxAgendaPerBlock>;

/// What one more entry of a kind costs, from its benchmark over `n` entries.
fn per_entry(weight: Weight, base: Weight) -> Weight {
	weight.saturating_sub(base)
}

impl<T: Config> Pallet<T> {
	/// Puts `task` on the agenda of the first block from `at` (within [`AGENDA_SEARCH`]
	/// blocks) that has room, and returns that block.
	pub(crate) fn schedule(task: Task, at: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
		TaskAgenda::<T>::schedule(task, at, AGENDA_SEARCH)
	}

	/// Puts `task` on the agenda of exactly `at`, if it has room.
	pub(crate) fn schedule_at(task: Task, at: BlockNumberFor<T>) -> bool {
		TaskAgenda::<T>::schedule(task, at, 1).is_some()
	}

	/// Takes `task` off the agenda of `at` (if it is there).
	pub(crate) fn unschedule(task: Task, at: BlockNumberFor<T>) {
		TaskAgenda::<T>::unschedule(&task, at)
	}

	/// The most one spot-check step on the agenda costs: the worst of a draw, a commit
	/// deadline and a reveal deadline (a first-round mismatch calls two verifiers: bounded by
	/// the commit deadline's replacements and verdict).
	pub(crate) fn spot_check_step_weight() -> Weight {
		per_entry(T::WeightInfo::decide_spot_checks(1), T::WeightInfo::decide_spot_checks(0))
			.max(per_entry(
				T::WeightInfo::replace_verifiers(1),
				T::WeightInfo::replace_verifiers(0),
			))
			.max(per_entry(T::WeightInfo::resolve_disputes(1), T::WeightInfo::resolve_disputes(0)))
			.saturating_add(Self::candidate_scans_weight())
			// Calling verifiers reads the job (its execution window), not in the benchmarks.
			.saturating_add(T::DbWeight::get().reads(1))
	}

	/// Two verifier searches' reads (a position, a provider record and a ledger per
	/// candidate), charged on top of the benchmarks: their registries are small, so
	/// candidates' reads are shared between the measured entries, and a dispute's draw
	/// searches for two verifiers.
	pub(crate) fn candidate_scans_weight() -> Weight {
		T::DbWeight::get().reads(u64::from(2 * 3 * crate::VERIFIER_CANDIDATES))
	}

	/// The most one challenge on the agenda costs: an opening of `samples` entries, or a
	/// failure (a job's failure also refunds it through the market).
	pub(crate) fn challenge_step_weight(samples: u32) -> Weight {
		per_entry(
			T::WeightInfo::open_challenges(1, samples),
			T::WeightInfo::open_challenges(0, samples),
		)
		.max(per_entry(T::WeightInfo::fail_challenges(1), T::WeightInfo::fail_challenges(0)))
		.saturating_add(T::WeightInfo::job_verdict())
	}

	/// Reading and clearing one agenda.
	fn agenda_base() -> Weight {
		T::WeightInfo::open_challenges(0, 0)
			.max(T::WeightInfo::fail_challenges(0))
			.max(T::WeightInfo::decide_spot_checks(0))
			.max(T::WeightInfo::replace_verifiers(0))
			.max(T::WeightInfo::resolve_disputes(0))
	}

	/// The most one block's hook costs: a full agenda and a sweep of the most providers.
	pub fn worst_block_weight() -> Weight {
		Self::worst_agenda_weight()
			.saturating_add(T::WeightInfo::sweep(crate::MAX_PROVIDERS_PER_BLOCK))
			.saturating_add(Self::entropy_weight())
	}

	/// The most a full agenda costs.
	pub fn worst_agenda_weight() -> Weight {
		let config = Configuration::<T>::get();
		let per = Self::challenge_step_weight(config.samples).max(Self::spot_check_step_weight());
		Self::agenda_base().saturating_add(per.saturating_mul(T::MaxAgendaPerBlock::get().into()))
	}

	/// Handles every task on the agenda of `now`; returns the weight used.
	pub(crate) fn process_agenda(now: BlockNumberFor<T>) -> Weight {
		let per_challenge = Self::challenge_step_weight(Configuration::<T>::get().samples);
		let per_spot_check = Self::spot_check_step_weight();
		let mut weight = Self::agenda_base();
		for task in TaskAgenda::<T>::take(now) {
			match task {
				Task::Challenge(id) => {
					weight.saturating_accrue(per_challenge);
					let Some(challenge) = Challenges::<T>::get(id) else { continue };
					match challenge.state.clone() {
						ChallengeState::Issued if challenge.opens_at == now => {
							Self::fail(id, challenge, FailReason::NoCommit)
						},
						ChallengeState::Committed { root, at } if challenge.opens_at == now => {
							Self::open(id, challenge, root, at, now)
						},
						ChallengeState::Opened { .. } if challenge.reveal_by == now => {
							Self::fail(id, challenge, FailReason::NoReveal)
						},
						_ => {},
					}
				},
				Task::SpotCheck(job_id) => {
					weight.saturating_accrue(per_spot_check);
					let Some(check) = SpotChecks::<T>::get(job_id) else { continue };
					if check.next == now {
						Self::spot_check_step(job_id, check, now);
					}
				},
			}
		}
		weight
	}
}
