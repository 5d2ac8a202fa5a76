//! `try_state`: every open challenge is indexed by its provider and on the agenda of the
//! blocks still ahead of it, and nothing else is.

use crate::{Agenda, ChallengeState, Challenges, Config, NextChallengeId, OpenChallenge, Pallet};
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let mut count = 0u32;
		let mut expected_entries = 0usize;
		for (id, challenge) in Challenges::<T>::iter() {
			count = count.saturating_add(1);
			if id >= NextChallengeId::<T>::get() {
				return Err("a challenge id was never handed out".into());
			}
			if OpenChallenge::<T>::get(&challenge.provider) != Some(id) {
				return Err("a challenge is not its provider's open challenge".into());
			}
			let on = |at| Agenda::<T>::get(at).contains(&id);
			let opening_due = !matches!(challenge.state, ChallengeState::Opened { .. });
			if (opening_due && !on(challenge.opens_at)) || !on(challenge.reveal_by) {
				return Err("an open challenge is missing from the agenda".into());
			}
			expected_entries += 1 + usize::from(opening_due);
		}
		if count != Challenges::<T>::count() || OpenChallenge::<T>::iter().count() as u32 != count {
			return Err("challenge counters disagree".into());
		}
		let entries: usize = Agenda::<T>::iter_values().map(|list| list.len()).sum();
		if entries != expected_entries {
			return Err("the agenda holds entries of no open challenge".into());
		}
		Ok(())
	}
}
