//! A challenge's life: issued by the sweep, committed, opened from fresh randomness,
//! revealed and verified, or failed for want of an answer.

use crate::{
	Agenda, BalanceOf, Challenge, ChallengeId, ChallengeOf, ChallengeState, Challenges, Config,
	ConfigRecordOf, Configuration, Error, Event, FailReason, NextChallengeId, OpenChallenge,
	Opening, Pallet, SweepCursor, WeightInfo, MAX_SAMPLES,
};
use codec::Encode;
use frame_support::{
	ensure,
	traits::{Get, Randomness},
	weights::Weight,
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{
	poc::{self, OpeningError, Shape},
	Collateral, Outcome, ProviderRegistry, SlashReason,
};
use sp_runtime::{
	traits::{BlakeTwo256, ConstU32, Hash, One, Saturating, Zero},
	DispatchResult,
};

impl<T: Config> Pallet<T> {
	/// 32 bytes of randomness for `subject` and the block since which they are known.
	fn random(subject: &[u8]) -> Option<([u8; 32], BlockNumberFor<T>)> {
		let (hash, known_since) = T::Randomness::random(subject);
		hash.map(|h| (BlakeTwo256::hash(h.as_ref()).0, known_since))
	}

	fn room(at: BlockNumberFor<T>) -> bool {
		(Agenda::<T>::decode_len(at).unwrap_or(0) as u32) < T::MaxAgendaPerBlock::get()
	}

	fn unschedule(id: ChallengeId, at: BlockNumberFor<T>) {
		Agenda::<T>::mutate_exists(at, |entries| {
			if let Some(list) = entries {
				list.retain(|e| *e != id);
				if list.is_empty() {
					*entries = None;
				}
			}
		});
	}

	/// Visits the next `providers_per_block` providers and challenges some of them.
	pub(crate) fn sweep(now: BlockNumberFor<T>) -> Weight {
		let config = Configuration::<T>::get();
		let visited = T::Registry::providers_after(
			SweepCursor::<T>::get().as_ref(),
			config.providers_per_block,
		);
		match visited.last() {
			Some(last) if visited.len() as u32 == config.providers_per_block => {
				SweepCursor::<T>::put(last)
			},
			// The end of the registry: start from the first next time.
			_ => SweepCursor::<T>::kill(),
		}
		for who in &visited {
			if !T::Registry::is_active(who) || OpenChallenge::<T>::contains_key(who) {
				continue;
			}
			let Some((random, _)) = Self::random(&(b"kiln/poc/issue", who, now).encode()) else {
				continue;
			};
			let draw =
				u32::from_le_bytes([random[0], random[1], random[2], random[3]]) % 1_000_000_000;
			if draw < config.challenge_rate.deconstruct() {
				Self::issue(who, random, now, &config);
			}
		}
		T::WeightInfo::sweep(visited.len() as u32)
	}

	/// Issues a challenge to `provider` if both its agenda blocks have room.
	fn issue(
		provider: &T::AccountId,
		random: [u8; 32],
		now: BlockNumberFor<T>,
		config: &ConfigRecordOf<T>,
	) {
		let commit_by = now.saturating_add(config.commit_blocks);
		let opens_at = commit_by.saturating_add(One::one());
		let reveal_by = opens_at.saturating_add(config.reveal_blocks);
		let id = NextChallengeId::<T>::get();
		let Some(next) = id.checked_add(1) else { return };
		if !Self::room(opens_at) || !Self::room(reveal_by) {
			return;
		}
		for at in [opens_at, reveal_by] {
			Agenda::<T>::mutate(at, |entries| {
				if entries.try_push(id).is_err() {
					frame_support::defensive!("agenda room was checked");
				}
			});
		}
		let seed = poc::challenge_seed(id, &provider.encode(), &random);
		let (m, n, k) = (config.m, config.n, config.k);
		Challenges::<T>::insert(
			id,
			Challenge {
				provider: provider.clone(),
				seed,
				m,
				n,
				k,
				commit_by,
				opens_at,
				reveal_by,
				state: ChallengeState::Issued,
			},
		);
		OpenChallenge::<T>::insert(provider, id);
		NextChallengeId::<T>::put(next);
		Self::deposit_event(Event::ChallengeIssued {
			id,
			provider: provider.clone(),
			seed,
			m,
			n,
			k,
			commit_by,
		});
	}

	/// Opens or fails the challenges whose block has come.
	pub(crate) fn process_agenda(now: BlockNumberFor<T>) -> Weight {
		let samples = Configuration::<T>::get().samples;
		let mut weight = T::WeightInfo::agenda_entries(0, samples);
		for id in Agenda::<T>::take(now) {
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
			weight.saturating_accrue(
				T::WeightInfo::agenda_entries(1, samples)
					.saturating_sub(T::WeightInfo::agenda_entries(0, samples)),
			);
		}
		weight
	}

	/// Draws the entries to open from randomness known since after the commit.
	fn open(
		id: ChallengeId,
		mut challenge: ChallengeOf<T>,
		root: [u8; 32],
		committed_at: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) {
		let drawn = Self::random(&(b"kiln/poc/open", id).encode());
		let Some((random, known_since)) = drawn.filter(|(_, since)| *since > committed_at) else {
			// No randomness unknown at the commit: drop the challenge, nobody's fault.
			Self::unschedule(id, challenge.reveal_by);
			Challenges::<T>::remove(id);
			OpenChallenge::<T>::remove(&challenge.provider);
			Self::deposit_event(Event::ChallengeVoided { id });
			return;
		};
		debug_assert!(known_since <= now);
		let shape = Shape { m: challenge.m, n: challenge.n, k: challenge.k };
		let samples = Configuration::<T>::get().samples.min(MAX_SAMPLES);
		let indices: BoundedVec<u64, ConstU32<MAX_SAMPLES>> =
			BoundedVec::truncate_from(poc::sample_indices(&random, shape, samples));
		let reveal_by = challenge.reveal_by;
		challenge.state = ChallengeState::Opened { root, indices: indices.clone() };
		Challenges::<T>::insert(id, challenge);
		Self::deposit_event(Event::ChallengeOpened {
			id,
			indices: indices.into_inner(),
			reveal_by,
		});
	}

	/// Ends a challenge: slashes and records the failure.
	fn fail(id: ChallengeId, challenge: ChallengeOf<T>, reason: FailReason) {
		Self::end(id, &challenge);
		let amount = Configuration::<T>::get().slash_failed_challenge;
		let slashed: BalanceOf<T> = if amount.is_zero() {
			Zero::zero()
		} else {
			T::Collateral::slash(&challenge.provider, amount, SlashReason::FailedChallenge, None)
		};
		T::Registry::record_outcome(&challenge.provider, Outcome::ChallengeFailed);
		Self::deposit_event(Event::ChallengeFailed {
			id,
			provider: challenge.provider,
			reason,
			slashed,
		});
	}

	/// Removes a challenge and whatever is left of it on the agenda.
	fn end(id: ChallengeId, challenge: &ChallengeOf<T>) {
		Self::unschedule(id, challenge.opens_at);
		Self::unschedule(id, challenge.reveal_by);
		Challenges::<T>::remove(id);
		OpenChallenge::<T>::remove(&challenge.provider);
	}

	pub(crate) fn do_commit(who: &T::AccountId, id: ChallengeId, root: [u8; 32]) -> DispatchResult {
		let mut challenge = Challenges::<T>::get(id).ok_or(Error::<T>::NoSuchChallenge)?;
		ensure!(challenge.provider == *who, Error::<T>::NotYourChallenge);
		ensure!(challenge.state == ChallengeState::Issued, Error::<T>::AlreadyCommitted);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < challenge.commit_by, Error::<T>::CommitWindowClosed);
		challenge.state = ChallengeState::Committed { root, at: now };
		Challenges::<T>::insert(id, challenge);
		Self::deposit_event(Event::ChallengeCommitted { id, root });
		Ok(())
	}

	pub(crate) fn do_reveal(
		who: &T::AccountId,
		id: ChallengeId,
		openings: BoundedVec<Opening, ConstU32<MAX_SAMPLES>>,
	) -> DispatchResult {
		let challenge = Challenges::<T>::get(id).ok_or(Error::<T>::NoSuchChallenge)?;
		ensure!(challenge.provider == *who, Error::<T>::NotYourChallenge);
		let ChallengeState::Opened { root, indices } = &challenge.state else {
			return Err(Error::<T>::NotOpened.into());
		};
		ensure!(openings.len() == indices.len(), Error::<T>::WrongOpeningCount);
		let shape = Shape { m: challenge.m, n: challenge.n, k: challenge.k };
		let verdict = indices.iter().zip(&openings).try_for_each(|(sample, opening)| {
			poc::verify_opening(
				&challenge.seed,
				shape,
				root,
				*sample,
				&opening.entries,
				&opening.proof,
			)
		});
		match verdict {
			Ok(()) => {
				Self::end(id, &challenge);
				T::Registry::record_outcome(&challenge.provider, Outcome::ChallengePassed);
				Self::deposit_event(Event::ChallengePassed { id, provider: challenge.provider });
			},
			Err(OpeningError::WrongEntry | OpeningError::EntryOutOfRange) => {
				Self::fail(id, challenge, FailReason::WrongEntry)
			},
			Err(OpeningError::ProofLength | OpeningError::RootMismatch) => {
				Self::fail(id, challenge, FailReason::BadProof)
			},
		}
		Ok(())
	}
}
