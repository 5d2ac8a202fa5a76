//! What happens at which block. Each block's agenda lists the challenges and spot-checks whose
//! step falls on it; `on_initialize` takes the current block's list only, so the work per
//! block is bounded by `MaxAgendaPerBlock` and an unanswered challenge never blocks anything.
//!
//! Verification fails closed (finding 6 of issue 11): a step that finds no room on the agenda
//! near its block (a spot-check's draw or next round, a `Gemm` result's sampling, a
//! challenge's opening or reveal deadline) waits in the agenda's line and is handled late,
//! with its next deadline counted from the block that handles it; it is never skipped, and
//! no result is paid because the agendas were full.

use crate::{
	Agenda, AgendaHint, AgendaLine, AgendaLineEnds, ChallengeState, Challenges, Config,
	Configuration, FailReason, Pallet, SpotChecks, Task, WeightInfo,
};
use frame_support::{traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;

pub use kiln_support::AGENDA_SEARCH;

/// Where this pallet keeps its agenda.
pub struct TaskAgendaStorage<T>(core::marker::PhantomData<T>);

impl<T: Config> kiln_support::AgendaStorage for TaskAgendaStorage<T> {
	type Block = BlockNumberFor<T>;
	type Item = Task;
	type Max = T::MaxAgendaPerBlock;
	type Lists = Agenda<T>;
	type Line = AgendaLine<T>;
	type LineEnds = AgendaLineEnds<T>;
	type Hint = AgendaHint<T>;
}

/// This pallet's agenda, through the helper the Kiln pallets share.
pub(crate) type TaskAgenda<T> = kiln_support::Agenda<TaskAgendaStorage<T>>;

/// What one more entry of a kind costs, from its benchmark over `n` entries.
fn per_entry(weight: Weight, base: Weight) -> Weight {
	weight.saturating_sub(base)
}

impl<T: Config> Pallet<T> {
	/// Puts `task` on the agenda of the first block from `at` (within [`AGENDA_SEARCH`]
	/// blocks) that has room, and returns that block; `None` if none has or steps wait in
	/// line. Only for what may be left undone (moving a step earlier).
	pub(crate) fn schedule(task: Task, at: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
		TaskAgenda::<T>::schedule(task, at, AGENDA_SEARCH)
	}

	/// Puts the next step of `task` on the agenda from `at` (within `search` blocks) or in the
	/// waiting line, due at `at`; returns the block it is due at. Never fails.
	pub(crate) fn place_within(
		task: Task,
		at: BlockNumberFor<T>,
		search: u32,
	) -> BlockNumberFor<T> {
		TaskAgenda::<T>::place(task, at, search)
	}

	/// [`Self::place`] past the agenda's hint (for a burst of placements at one block), also
	/// telling what the search did (what the caller charges).
	pub(crate) fn place_hinted(
		task: Task,
		at: BlockNumberFor<T>,
	) -> kiln_support::Placed<BlockNumberFor<T>> {
		TaskAgenda::<T>::place_hinted(task, at, AGENDA_SEARCH)
	}

	/// [`Self::place_within`] with the default search.
	pub(crate) fn place(task: Task, at: BlockNumberFor<T>) -> BlockNumberFor<T> {
		Self::place_within(task, at, AGENDA_SEARCH)
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
	}

	/// Taking one entry from the waiting line (and putting it back when not due yet), on top of
	/// its kind's cost: not in the benchmarks, charged as database accesses.
	fn line_entry() -> Weight {
		T::DbWeight::get().reads_writes(1, 2)
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
		// An opening places the reveal deadline: an agenda search, not in the benchmarks.
		.saturating_add(T::DbWeight::get().reads_writes(u64::from(AGENDA_SEARCH) + 2, 3))
	}

	/// Reading and clearing one agenda, and the waiting line's ends.
	fn agenda_base() -> Weight {
		T::WeightInfo::open_challenges(0, 0)
			.max(T::WeightInfo::fail_challenges(0))
			.max(T::WeightInfo::decide_spot_checks(0))
			.max(T::WeightInfo::replace_verifiers(0))
			.max(T::WeightInfo::resolve_disputes(0))
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}

	/// The most one block's hook costs: a full agenda and a sweep of the most providers.
	pub fn worst_block_weight() -> Weight {
		Self::worst_agenda_weight()
			.saturating_add(Self::sweep_weight(crate::MAX_PROVIDERS_PER_BLOCK))
			.saturating_add(Self::entropy_weight())
	}

	/// The most a full agenda costs (every entry from the waiting line).
	pub fn worst_agenda_weight() -> Weight {
		let config = Configuration::<T>::get();
		let per = Self::challenge_step_weight(config.samples)
			.max(Self::spot_check_step_weight())
			.saturating_add(Self::line_entry());
		Self::agenda_base().saturating_add(per.saturating_mul(T::MaxAgendaPerBlock::get().into()))
	}

	/// Handles every task on the agenda of `now`, then waiting ones in the room left; returns
	/// the weight used. A task is handled only if its state still expects the block its entry
	/// was due at (an entry left in the line by a task that moved on is stale).
	pub(crate) fn process_agenda(now: BlockNumberFor<T>) -> Weight {
		let per_challenge = Self::challenge_step_weight(Configuration::<T>::get().samples);
		let per_spot_check = Self::spot_check_step_weight();
		let due = TaskAgenda::<T>::take(now);
		let mut weight = Self::agenda_base()
			.saturating_add(Self::line_entry().saturating_mul(due.from_line.into()));
		for (at, task) in due.items {
			match task {
				Task::Challenge(id) => {
					weight.saturating_accrue(per_challenge);
					let Some(challenge) = Challenges::<T>::get(id) else { continue };
					match challenge.state.clone() {
						ChallengeState::Issued if challenge.opens_at == at => {
							Self::fail(id, challenge, FailReason::NoCommit)
						},
						ChallengeState::Committed { root, at: committed }
							if challenge.opens_at == at =>
						{
							Self::open(id, challenge, root, committed, now)
						},
						ChallengeState::Opened { .. } if challenge.reveal_by == at => {
							Self::fail(id, challenge, FailReason::NoReveal)
						},
						_ => {},
					}
				},
				Task::SpotCheck(job_id) => {
					weight.saturating_accrue(per_spot_check);
					let Some(check) = SpotChecks::<T>::get(job_id) else { continue };
					if check.next == at {
						Self::spot_check_step(job_id, check, now);
					}
				},
			}
		}
		weight
	}
}
