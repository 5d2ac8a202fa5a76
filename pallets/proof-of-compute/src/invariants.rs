//! `try_state`: every open hardware challenge is indexed by its provider, every challenge and
//! spot-check is on the agenda of the blocks still ahead of it, and nothing else is.

use crate::{
	Agenda, ChallengeState, Challenges, Config, NextChallengeId, OpenChallenge, Pallet, Purpose,
	SpotChecks, Task, MAX_VERIFIERS,
};
use alloc::collections::btree_set::BTreeSet;
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let mut count = 0u32;
		let mut hardware = 0u32;
		let mut expected_entries = 0usize;
		for (id, challenge) in Challenges::<T>::iter() {
			count = count.saturating_add(1);
			if id >= NextChallengeId::<T>::get() {
				return Err("a challenge id was never handed out".into());
			}
			match challenge.purpose {
				Purpose::Hardware => {
					hardware = hardware.saturating_add(1);
					if OpenChallenge::<T>::get(&challenge.provider) != Some(id) {
						return Err("a challenge is not its provider's open challenge".into());
					}
				},
				Purpose::Job(job_id) => {
					if SpotChecks::<T>::contains_key(job_id) {
						return Err("a job is both sampled and spot-checked".into());
					}
				},
			}
			let on = |at| Agenda::<T>::get(at).contains(&Task::Challenge(id));
			let opening_due = !matches!(challenge.state, ChallengeState::Opened { .. });
			if (opening_due && !on(challenge.opens_at)) || !on(challenge.reveal_by) {
				return Err("an open challenge is missing from the agenda".into());
			}
			if challenge.opens_at >= challenge.reveal_by {
				return Err("a challenge opens after its reveal deadline".into());
			}
			expected_entries += 1 + usize::from(opening_due);
		}
		if count != Challenges::<T>::count()
			|| OpenChallenge::<T>::iter().count() as u32 != hardware
		{
			return Err("challenge counters disagree".into());
		}
		let mut checks = 0u32;
		for (job_id, check) in SpotChecks::<T>::iter() {
			checks = checks.saturating_add(1);
			if !Agenda::<T>::get(check.next).contains(&Task::SpotCheck(job_id)) {
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
		}
		if checks != SpotChecks::<T>::count() {
			return Err("the spot-check counter is wrong".into());
		}
		let entries: usize = Agenda::<T>::iter_values().map(|list| list.len()).sum();
		if entries != expected_entries {
			return Err("the agenda holds entries of no open challenge or spot-check".into());
		}
		Ok(())
	}
}
