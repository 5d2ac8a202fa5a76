//! `try_state`: every open hardware challenge is indexed by its provider, every challenge and
//! spot-check has its next step on the agenda (or waiting in line, due at that block), and
//! nothing else is on the agenda.

use crate::{
	Agenda, ChallengeState, Challenges, Config, NextChallengeId, OpenChallenge, Pallet, Purpose,
	SpotChecks, Task, JOB_CHALLENGE_IDS, MAX_VERIFIERS,
};
use alloc::collections::btree_set::BTreeSet;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let mut hardware = 0u32;
		let mut expected_entries = 0usize;
		// The line may also hold stale entries (skipped when taken).
		let line: BTreeSet<(BlockNumberFor<T>, Task)> =
			crate::agenda::TaskAgenda::<T>::line().into_iter().collect();
		let mut waiting = 0usize;
		let mut due = |task: Task, at: BlockNumberFor<T>| {
			if Agenda::<T>::get(at).contains(&task) {
				true
			} else {
				waiting += 1;
				line.contains(&(at, task))
			}
		};
		let next_counted = NextChallengeId::<T>::get();
		for (id, challenge) in Challenges::<T>::iter() {
			// Counted ids: hardware challenges, and job challenges an earlier runtime made.
			let counted = id < next_counted;
			match challenge.purpose {
				Purpose::Hardware => {
					if !counted || id >= JOB_CHALLENGE_IDS {
						return Err("a hardware challenge id was never handed out".into());
					}
					hardware = hardware.saturating_add(1);
					if OpenChallenge::<T>::get(&challenge.provider) != Some(id) {
						return Err("a challenge is not its provider's open challenge".into());
					}
				},
				Purpose::Job(job_id) => {
					if !counted && Pallet::<T>::job_challenge_id(job_id) != Some(id) {
						return Err("a job challenge's id is not its job's".into());
					}
					if SpotChecks::<T>::contains_key(job_id) {
						return Err("a job is both sampled and spot-checked".into());
					}
				},
			}
			// One entry: the opening until it opens, then the reveal deadline.
			let opening_due = !matches!(challenge.state, ChallengeState::Opened { .. });
			let next = if opening_due { challenge.opens_at } else { challenge.reveal_by };
			if !due(Task::Challenge(id), next) {
				return Err("an open challenge is missing from the agenda".into());
			}
			if challenge.opens_at >= challenge.reveal_by {
				return Err("a challenge opens after its reveal deadline".into());
			}
			expected_entries += 1;
		}
		if OpenChallenge::<T>::iter().count() as u32 != hardware {
			return Err("a provider's open challenge is not a hardware challenge".into());
		}
		for (job_id, check) in SpotChecks::<T>::iter() {
			if !due(Task::SpotCheck(job_id), check.next) {
				return Err("a spot-check is missing from the agenda".into());
			}
			expected_entries += 1;
			let active: alloc::vec::Vec<_> = check.active().collect();
			let accounts: BTreeSet<_> = check.verifiers.iter().map(|v| &v.account).collect();
			if active.len() as u32 > MAX_VERIFIERS
				|| accounts.len() != check.verifiers.len()
				|| accounts.contains(&check.provider)
				|| accounts.contains(&check.client)
			{
				return Err("a spot-check's verifiers are too many, repeated or a party".into());
			}
			if active.iter().any(|v| v.output.is_some() && v.commitment.is_none()) {
				return Err("a verifier revealed without a commitment".into());
			}
			if (check.provider_answer.is_some() && check.provider_commitment.is_none())
				|| (check.nonce.is_none() && check.provider_commitment.is_some())
			{
				return Err("a provider answered a dispute out of turn".into());
			}
		}
		let entries: usize = Agenda::<T>::iter_values().map(|list| list.len()).sum();
		if entries != expected_entries.saturating_sub(waiting) {
			return Err("the agenda holds entries of no open challenge or spot-check".into());
		}
		Ok(())
	}
}
