//! A challenge's life: issued by the sweep (hardware) or by a `Gemm` job's reveal (its
//! result), committed, opened from fresh randomness, revealed and verified, or failed for want
//! of an answer.

use crate::spot_checks::Verdict;
use crate::{
	BalanceOf, Challenge, ChallengeId, ChallengeOf, ChallengeState, Challenges, Config,
	ConfigRecordOf, Configuration, Error, Event, FailReason, NextChallengeId, OpenChallenge,
	Opening, Pallet, Purpose, Task, WeightInfo, JOB_CHALLENGE_IDS, MAX_SAMPLES,
};
use codec::Encode;
use frame_support::{ensure, traits::Get, weights::Weight, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{
	draw::{happens, index_below},
	poc::{self, OpeningError, Shape},
	Collateral, GemmJob, JobId, Outcome, ProviderRegistry, Rejection, SlashReason,
};
use kiln_support::Searched;
use sp_runtime::{
	traits::{BlakeTwo256, ConstU32, Hash, One, Saturating, Zero},
	DispatchError, DispatchResult,
};

impl<T: Config> Pallet<T> {
	/// Whether `provider` has a hardware challenge under way (one read): its failure would
	/// slash the bond, so the runtime keeps unbonded collateral from being withdrawn meanwhile.
	pub fn has_open_challenge(provider: &T::AccountId) -> bool {
		OpenChallenge::<T>::contains_key(provider)
	}

	/// Visits `providers_per_block` registered providers drawn uniformly by position (paused
	/// ones too: pausing does not dodge a challenge, and nobody knows the order in advance)
	/// and challenges each with probability `challenge_rate`.
	pub(crate) fn sweep(now: BlockNumberFor<T>) -> Weight {
		let config = Configuration::<T>::get();
		let count = u64::from(T::Registry::provider_count());
		let visits = if count == 0 { 0 } else { config.providers_per_block };
		// Nothing a provider sends decides whether it is challenged: any window will do.
		let Some(base) = Self::draw_now(&(b"kiln/poc/sweep", now).encode(), now) else {
			return T::WeightInfo::sweep(0);
		};
		for visit in 0..visits {
			let random = BlakeTwo256::hash(&(base, visit).encode()).0;
			let Some(who) = T::Registry::provider_at(index_below(&random, count) as u32) else {
				continue;
			};
			if OpenChallenge::<T>::contains_key(&who) {
				continue;
			}
			let chance = BlakeTwo256::hash(&(b"kiln/poc/issue", random).encode()).0;
			if happens(&chance, config.challenge_rate) {
				Self::issue(&who, random, now, &config);
			}
		}
		Self::sweep_weight(visits)
	}

	/// The sweep's benchmark, and on top what its fit misses: the benchmark visits as many
	/// random positions as it has providers, so repeated positions share their reads, and the
	/// fit finds 2 reads and 1 write per visit where a distinct provider costs 4 and 2 (its
	/// position, open challenge, record and the challenge; the challenge and its index).
	pub(crate) fn sweep_weight(visits: u32) -> Weight {
		T::WeightInfo::sweep(visits)
			.saturating_add(T::DbWeight::get().reads_writes(2, 1).saturating_mul(visits.into()))
	}

	/// Issues a challenge to `provider`; its opening goes on the agenda of the block wanted, or
	/// waits in line (a full agenda does not let a provider dodge its challenge).
	pub(crate) fn issue(
		provider: &T::AccountId,
		random: [u8; 32],
		now: BlockNumberFor<T>,
		config: &ConfigRecordOf<T>,
	) {
		let commit_by = now.saturating_add(config.commit_blocks);
		// Roots come in blocks before `commit_by`: the opening draws from blocks after them.
		let wanted = Self::first_draw_after(commit_by.saturating_sub(One::one()));
		let id = NextChallengeId::<T>::get();
		// Hardware ids stay below the jobs' (no hardware challenge once they would meet).
		let Some(next) = id.checked_add(1).filter(|next| *next <= JOB_CHALLENGE_IDS) else {
			return;
		};
		let task = Task::Challenge(id);
		// One block searched (the sweep's weight allows for no more).
		let opens_at = Self::place_within(task, wanted, 1);
		// Provisional: the opening sets the deadline from the block that opens.
		let reveal_by = opens_at.saturating_add(config.reveal_blocks);
		let seed = poc::challenge_seed(id, &provider.encode(), &random);
		// Sized for the backends the provider declares: a CPU-only provider gets a CPU-sized
		// challenge (one more read, charged with the sweep).
		let Shape { m, n, k } = config.challenge_shape(T::Registry::backends(provider));
		Challenges::<T>::insert(
			id,
			Challenge {
				purpose: Purpose::Hardware,
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

	/// Draws the entries to open from randomness known since after the commit.
	pub(crate) fn open(
		id: ChallengeId,
		mut challenge: ChallengeOf<T>,
		root: [u8; 32],
		committed_at: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) {
		let Some(random) = Self::draw(&(b"kiln/poc/open", id).encode(), committed_at, now) else {
			// No randomness unknown at the commit: drop the challenge, nobody's fault (a job's
			// result is then paid unverified, as if it had not been drawn for a check).
			Self::end(id, &challenge);
			Self::deposit_event(Event::ChallengeVoided { id });
			if let Purpose::Job(job_id) = challenge.purpose {
				Self::market_verdict(job_id, Verdict::Accept, &[]);
			}
			return;
		};
		let shape = Shape { m: challenge.m, n: challenge.n, k: challenge.k };
		let samples = Configuration::<T>::get().samples.min(MAX_SAMPLES);
		let indices: BoundedVec<u64, ConstU32<MAX_SAMPLES>> =
			BoundedVec::truncate_from(poc::sample_indices(&random, shape, samples));
		// The provider gets `reveal_blocks` from the block that opens, however late it opens
		// (an opening that waited in line). An entry a runtime before the waiting line made for
		// the provisional deadline goes first.
		let task = Task::Challenge(id);
		Self::unschedule(task, challenge.reveal_by);
		let reveal_by =
			Self::place(task, now.saturating_add(Configuration::<T>::get().reveal_blocks));
		challenge.reveal_by = reveal_by;
		challenge.state = ChallengeState::Opened { root, indices: indices.clone() };
		Challenges::<T>::insert(id, challenge);
		Self::deposit_event(Event::ChallengeOpened {
			id,
			indices: indices.into_inner(),
			reveal_by,
		});
	}

	/// Ends a challenge: slashes and records the failure.
	pub(crate) fn fail(id: ChallengeId, challenge: ChallengeOf<T>, reason: FailReason) {
		Self::end(id, &challenge);
		let config = Configuration::<T>::get();
		let (amount, slash_reason) = match challenge.purpose {
			Purpose::Hardware => {
				T::Registry::record_outcome(&challenge.provider, Outcome::ChallengeFailed);
				(config.slash_failed_challenge, SlashReason::FailedChallenge)
			},
			Purpose::Job(job_id) => {
				// The market refunds the client, slashes the job collateral and counts the
				// failed job; `slash_wrong_result` follows.
				Self::market_verdict(job_id, Verdict::Reject(Rejection::Wrong), &[]);
				(config.slash_wrong_result, SlashReason::WrongResult)
			},
		};
		let slashed = Self::slash(&challenge.provider, amount, slash_reason);
		Self::deposit_event(Event::ChallengeFailed {
			id,
			provider: challenge.provider,
			reason,
			slashed,
		});
	}

	/// Slashes up to `amount` of `who`'s collateral (nothing when `amount` is zero).
	pub(crate) fn slash(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		reason: SlashReason,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			Zero::zero()
		} else {
			T::Collateral::slash(who, amount, reason, None)
		}
	}

	/// Removes a challenge and whatever is left of it on the agenda.
	fn end(id: ChallengeId, challenge: &ChallengeOf<T>) {
		Self::unschedule(Task::Challenge(id), challenge.opens_at);
		Self::unschedule(Task::Challenge(id), challenge.reveal_by);
		Challenges::<T>::remove(id);
		if challenge.purpose == Purpose::Hardware {
			OpenChallenge::<T>::remove(&challenge.provider);
		}
	}

	/// Samples a `Gemm` job's revealed `root` like a challenge: opened from randomness of the
	/// blocks after the reveal, answered with `reveal_challenge`. The opening waits in line if
	/// the agendas are full (never skipped). Returns what the opening's search did (what it is
	/// charged by); `None` only for a job id too large for its challenge id (`job_challenge_id`).
	pub(crate) fn challenge_job(
		job_id: JobId,
		provider: &T::AccountId,
		GemmJob { m, n, k, seed }: GemmJob,
		root: [u8; 32],
	) -> Option<Searched> {
		let now = frame_system::Pallet::<T>::block_number();
		let id = Self::job_challenge_id(job_id)?;
		let task = Task::Challenge(id);
		let placed = Self::place_hinted(task, Self::first_draw_after(now));
		let opens_at = placed.at;
		Challenges::<T>::insert(
			id,
			Challenge {
				purpose: Purpose::Job(job_id),
				provider: provider.clone(),
				seed,
				m,
				n,
				k,
				commit_by: now,
				opens_at,
				// Provisional (no configuration read on the reveal's path): the opening sets the
				// deadline, `reveal_blocks` from the block that opens.
				reveal_by: opens_at.saturating_add(One::one()),
				state: ChallengeState::Committed { root, at: now },
			},
		);
		Self::deposit_event(Event::JobChallenged { job_id, id, opens_at });
		Some(placed.search)
	}

	/// The id of `job_id`'s sampling challenge (`None` only for a job id that would overflow).
	/// One reveal per job, and job ids are never reused: an id is never taken twice.
	pub fn job_challenge_id(job_id: JobId) -> Option<ChallengeId> {
		JOB_CHALLENGE_IDS.checked_add(job_id)
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
	) -> Result<(u32, Purpose), DispatchError> {
		let challenge = Challenges::<T>::get(id).ok_or(Error::<T>::NoSuchChallenge)?;
		let answer = (challenge.k, challenge.purpose);
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
				match challenge.purpose {
					Purpose::Hardware => {
						T::Registry::record_outcome(&challenge.provider, Outcome::ChallengePassed)
					},
					Purpose::Job(job_id) => Self::market_verdict(job_id, Verdict::Accept, &[]),
				}
				Self::deposit_event(Event::ChallengePassed { id, provider: challenge.provider });
			},
			Err(OpeningError::WrongEntry | OpeningError::EntryOutOfRange) => {
				Self::fail(id, challenge, FailReason::WrongEntry)
			},
			Err(OpeningError::ProofLength | OpeningError::RootMismatch) => {
				Self::fail(id, challenge, FailReason::BadProof)
			},
		}
		Ok(answer)
	}
}
