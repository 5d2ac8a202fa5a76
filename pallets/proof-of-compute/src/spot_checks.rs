//! Spot-checks of market results by re-execution, and disputes.
//!
//! Timeline of one check (each step at the start of the block in `next`, or at once when the
//! last answer of a step arrives):
//!
//! 1. `Deciding` (`EntropyBlocks + 1` blocks after the commitment): draw with randomness of
//!    the blocks after it (`randomness.rs`); not drawn → the market asks for the reveal
//!    (`SpotCheckSkipped`).
//! 2. `Committing`: a verifier picked at random (eligible for the job, neither provider nor
//!    client, able to lock `slash_wrong_result`) re-executes and commits before
//!    `verifier_blocks`. One that does not is slashed and replaced.
//! 3. `Revealing`: the market asks the provider for its reveal (only now, so the verifier
//!    committed blind); verifiers reveal too. A verifier that does not is slashed. A provider
//!    that does not is treated as one with a wrong result (`Rejection::UnrevealedWhenChecked`:
//!    its whole job collateral and `slash_wrong_result`), so staying silent once drawn never
//!    costs a cheater less than being caught.
//! 4. Verdict: match → paid; otherwise `Drawing`: two more verifiers and a nonce are drawn in
//!    the hook of a block `EntropyBlocks + 1` after the last reveal (so no revealer knows the
//!    panel), then a blind dispute round (`DisputeOpened`): the panel, the first verifier and
//!    the provider each commit `dispute_answer(output, nonce)` (a digest of the output's bytes,
//!    which nothing on chain gives away), then reveal it; an answer two verifiers agree on
//!    decides, and is compared with the provider's. Before, the panel committed after both
//!    output hashes were public and could copy one (finding 7 of issue 11). A provider that
//!    does not answer is treated as silent (as in step 3).

use crate::{
	BalanceOf, Config, Configuration, DisputeOutcome, Error, Event, Pallet, SpotCheckOf,
	SpotCheckStage, SpotChecks, Task, Verifier, VERIFIER_CANDIDATES,
};
use alloc::vec::Vec;

/// What verification tells the market about a result.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Verdict {
	/// Right: pay it.
	Accept,
	/// Not paid, for this reason.
	Reject(Rejection),
}
use codec::Encode;
use frame_support::ensure;
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{
	draw::{happens, index_below},
	result_commitment, Collateral, JobId, JobStage, ProviderRegistry, Rejection, SlashReason,
	VerifiedMarket, UNAVAILABLE,
};
use sp_runtime::{
	traits::{BlakeTwo256, Hash, Zero},
	DispatchResult, Saturating,
};

impl<T: Config> Pallet<T> {
	/// Hands a verdict to the market (a refusal would be a bug: reported, nothing else done).
	pub(crate) fn market_verdict(job_id: JobId, verdict: Verdict, verifiers: &[T::AccountId]) {
		let result = match verdict {
			Verdict::Accept => T::Market::accept(job_id, verifiers),
			Verdict::Reject(why) => T::Market::reject(job_id, verifiers, why),
		};
		if let Err(e) = result {
			frame_support::defensive!("the market refused a verdict", e);
		}
	}

	/// The next step of a spot-check whose block has come.
	pub(crate) fn spot_check_step(job_id: JobId, check: SpotCheckOf<T>, now: BlockNumberFor<T>) {
		match check.stage {
			SpotCheckStage::Deciding => Self::decide(job_id, check, now),
			SpotCheckStage::Committing => Self::commit_deadline(job_id, check, now),
			SpotCheckStage::Revealing => Self::reveal_deadline(job_id, check, now),
			SpotCheckStage::Drawing => Self::draw_dispute(job_id, check, now),
		}
	}

	fn decide(job_id: JobId, mut check: SpotCheckOf<T>, now: BlockNumberFor<T>) {
		let config = Configuration::<T>::get();
		let subject = (b"kiln/poc/spot-check", job_id).encode();
		let checked = Self::draw(&subject, check.draw_after, now)
			.is_some_and(|random| happens(&random, config.spot_check_probability));
		if checked && Self::call_verifiers(job_id, &mut check, 1, now) > 0 {
			SpotChecks::<T>::insert(job_id, check);
		} else {
			Self::abandon(job_id, check, now);
		}
	}

	/// Assigns up to `count` new verifiers with a fresh commit window; returns how many were
	/// found (none: nothing changed).
	fn call_verifiers(
		job_id: JobId,
		check: &mut SpotCheckOf<T>,
		count: u32,
		now: BlockNumberFor<T>,
	) -> u32 {
		let task = Task::SpotCheck(job_id);
		// As long as the provider had to run the job, and never less than `verifier_blocks`
		// (finding 2 of issue 11: a fixed window slashed honest verifiers of long jobs).
		let job_window = T::Market::job(job_id).map_or(Zero::zero(), |job| job.execution_blocks);
		let window = Configuration::<T>::get().verifier_blocks.max(job_window);
		let mut found = Vec::new();
		for _ in 0..count {
			let subject = (b"kiln/poc/verifier", job_id, check.verifiers.len() as u32).encode();
			let Some(random) = Self::draw(&subject, check.draw_after, now) else { break };
			let Some(verifier) = Self::pick_verifier(check, &random) else { break };
			let entry = Verifier {
				account: verifier.clone(),
				commitment: None,
				output: None,
				dropped: false,
			};
			if check.verifiers.try_push(entry).is_err() {
				T::Collateral::unlock(&verifier, check.bond);
				break;
			}
			found.push(verifier);
		}
		if found.is_empty() {
			return 0;
		}
		let commit_by = Self::place(task, now.saturating_add(window));
		check.stage = SpotCheckStage::Committing;
		check.next = commit_by;
		for verifier in &found {
			Self::deposit_event(Event::SpotCheckAssigned {
				job_id,
				verifier: verifier.clone(),
				commit_by,
			});
		}
		found.len() as u32
	}

	/// The first of up to [`VERIFIER_CANDIDATES`] providers drawn uniformly by position in the
	/// registry (`ProviderRegistry::provider_at`, so no account key makes a provider likelier)
	/// that may run the job, is neither party nor already assigned, and can lock the bond
	/// (which it then has locked). Every eligible provider is equally likely to be the one.
	fn pick_verifier(check: &SpotCheckOf<T>, random: &[u8; 32]) -> Option<T::AccountId> {
		if check.verifiers.is_full() {
			return None;
		}
		let count = u64::from(T::Registry::provider_count());
		(0..VERIFIER_CANDIDATES).find_map(|i| {
			let draw = BlakeTwo256::hash(&(random, i).encode()).0;
			let who = T::Registry::provider_at(index_below(&draw, count) as u32)?;
			let fits = who != check.provider
				&& who != check.client
				&& !check.assigned(&who)
				&& T::Registry::check_eligible(&who, &check.requirements).is_ok()
				&& T::Collateral::lock(&who, check.bond).is_ok();
			fits.then_some(who)
		})
	}

	/// Ends a check without a verdict of its own: bonds unlocked, and the market goes on as
	/// if the result had not been drawn (asks for the reveal, or pays a revealed result).
	fn abandon(job_id: JobId, check: SpotCheckOf<T>, now: BlockNumberFor<T>) {
		Self::close(job_id, &check);
		Self::deposit_event(Event::SpotCheckSkipped { job_id });
		let Some(job) = T::Market::job(job_id) else { return };
		match job.stage {
			JobStage::AwaitingRevealRequest => Self::request_market_reveal(job_id, now),
			JobStage::AwaitingVerdict => Self::market_verdict(job_id, Verdict::Accept, &[]),
			_ => {},
		}
	}

	/// The result was not drawn for a check: the market asks for its reveal with its own
	/// deadline rules (a missed reveal is a missed deadline).
	fn request_market_reveal(job_id: JobId, now: BlockNumberFor<T>) {
		let reveal_by = now.saturating_add(Configuration::<T>::get().reveal_blocks);
		if T::Market::release(job_id, reveal_by).is_err() {
			// Not expected (the market places a deadline even on full agendas): refund the
			// client rather than leave it waiting.
			Self::market_verdict(job_id, Verdict::Reject(Rejection::Unconfirmed), &[]);
		}
	}

	/// Removes the check and its agenda entry, unlocking every counted verifier's bond.
	fn close(job_id: JobId, check: &SpotCheckOf<T>) {
		Self::unschedule(Task::SpotCheck(job_id), check.next);
		for verifier in check.active() {
			T::Collateral::unlock(&verifier.account, check.bond);
		}
		SpotChecks::<T>::remove(job_id);
	}

	/// Drops (slashes) every counted verifier for which `silent` holds; returns how many.
	fn drop_silent(
		job_id: JobId,
		check: &mut SpotCheckOf<T>,
		silent: fn(&Verifier<T::AccountId>) -> bool,
	) -> u32 {
		let mut dropped = 0;
		for verifier in check.verifiers.iter_mut().filter(|v| !v.dropped && silent(v)) {
			verifier.dropped = true;
			T::Collateral::unlock(&verifier.account, check.bond);
			let slashed =
				Self::slash(&verifier.account, check.bond, SlashReason::UnansweredSpotCheck);
			Self::deposit_event(Event::VerifierDropped {
				job_id,
				verifier: verifier.account.clone(),
				slashed,
			});
			dropped += 1;
		}
		dropped
	}

	fn commit_deadline(job_id: JobId, mut check: SpotCheckOf<T>, now: BlockNumberFor<T>) {
		let missing = Self::drop_silent(job_id, &mut check, |v| v.commitment.is_none());
		if missing > 0 && Self::call_verifiers(job_id, &mut check, missing, now) > 0 {
			SpotChecks::<T>::insert(job_id, check);
			return;
		}
		if check.nonce.is_some() && check.provider_commitment.is_none() {
			// The provider did not answer the dispute: as silent as one drawn that never
			// revealed.
			return Self::silent_provider(job_id, check);
		}
		Self::all_committed(job_id, check, now);
	}

	/// Every counted verifier has committed: reveals are due (the provider's too, in the
	/// first round).
	fn all_committed(job_id: JobId, mut check: SpotCheckOf<T>, now: BlockNumberFor<T>) {
		let reveal_blocks = Configuration::<T>::get().reveal_blocks;
		if check.active().next().is_none() {
			// Nobody left to verify.
			return match check.dispute {
				false => Self::abandon(job_id, check, now),
				true => Self::verdict(job_id, check),
			};
		}
		let next = Self::place(Task::SpotCheck(job_id), now.saturating_add(reveal_blocks));
		if !check.dispute {
			// Verification owns this deadline: a provider drawn for a check that stays silent
			// is rejected here (`reveal_deadline`), not merely failed by the market.
			if T::Market::request_reveal(job_id, next).is_err() {
				Self::unschedule(Task::SpotCheck(job_id), next);
				return Self::abandon(job_id, check, now);
			}
		}
		check.stage = SpotCheckStage::Revealing;
		check.next = next;
		SpotChecks::<T>::insert(job_id, check);
	}

	fn reveal_deadline(job_id: JobId, mut check: SpotCheckOf<T>, now: BlockNumberFor<T>) {
		Self::drop_silent(job_id, &mut check, |v| v.output.is_none());
		if Self::provider_answer(&check).is_none() {
			return Self::silent_provider(job_id, check);
		}
		Self::resolve(job_id, check, now);
	}

	/// The provider was drawn for a check (it saw `SpotCheckAssigned`) and did not reveal:
	/// rejected as a wrong result would be (its whole job collateral, then
	/// `slash_wrong_result`), the verifiers that revealed paid and rewarded as reporters.
	fn silent_provider(job_id: JobId, check: SpotCheckOf<T>) {
		// Only verifiers that ran the job are paid (an `UNAVAILABLE` answer did no work).
		let reporters: Vec<T::AccountId> = check
			.active()
			.filter(|v| v.output.is_some_and(|o| o != UNAVAILABLE))
			.map(|v| v.account.clone())
			.collect();
		Self::close(job_id, &check);
		Self::market_verdict(job_id, Verdict::Reject(Rejection::UnrevealedWhenChecked), &reporters);
		let amount = Configuration::<T>::get().slash_wrong_result;
		let slashed = if amount.is_zero() {
			Zero::zero()
		} else {
			T::Collateral::slash(
				&check.provider,
				amount,
				SlashReason::UnrevealedWhenChecked,
				reporters.first(),
			)
		};
		Self::deposit_event(Event::ProviderSilent { job_id, provider: check.provider, slashed });
	}

	/// The provider and every counted verifier have revealed (or been dropped).
	fn resolve(job_id: JobId, mut check: SpotCheckOf<T>, now: BlockNumberFor<T>) {
		if check.dispute {
			return Self::verdict(job_id, check);
		}
		let verifier = check.active().next().map(|v| (v.account.clone(), v.output));
		match verifier {
			Some((account, output)) if output.is_some() && output == check.provider_output => {
				Self::close(job_id, &check);
				Self::deposit_event(Event::SpotCheckPassed { job_id, verifier: account.clone() });
				Self::market_verdict(job_id, Verdict::Accept, &[account]);
			},
			_ => {
				Self::deposit_event(Event::SpotCheckMismatch {
					job_id,
					provider_output: check.provider_output,
					verifier_output: verifier.and_then(|(_, output)| output),
				});
				Self::unschedule(Task::SpotCheck(job_id), check.next);
				check.dispute = true;
				// The first verifier answers again, blind, with the panel.
				for verifier in check.verifiers.iter_mut().filter(|v| !v.dropped) {
					verifier.commitment = None;
					verifier.output = None;
				}
				// The panel is drawn later, from blocks after this one: whoever revealed last
				// (in this block) cannot know it.
				check.draw_after = now;
				check.next = Self::place(Task::SpotCheck(job_id), Self::first_draw_after(now));
				check.stage = SpotCheckStage::Drawing;
				SpotChecks::<T>::insert(job_id, check);
			},
		}
	}

	/// Calls the dispute's two verifiers and draws its nonce (now, from randomness after the
	/// mismatch): the round every counted verifier and the provider answer blind.
	fn draw_dispute(job_id: JobId, mut check: SpotCheckOf<T>, now: BlockNumberFor<T>) {
		let subject = (b"kiln/poc/dispute-nonce", job_id).encode();
		let Some(nonce) = Self::draw(&subject, check.draw_after, now) else {
			return Self::verdict(job_id, check);
		};
		check.nonce = Some(nonce);
		if Self::call_verifiers(job_id, &mut check, 2, now) > 0 {
			let commit_by = check.next;
			SpotChecks::<T>::insert(job_id, check);
			Self::deposit_event(Event::DisputeOpened { job_id, nonce, commit_by });
		} else {
			Self::verdict(job_id, check);
		}
	}

	/// The provider's answer the verdict compares: its dispute answer in a blind dispute, its
	/// output hash otherwise (a dispute opened before blind disputes).
	fn provider_answer(check: &SpotCheckOf<T>) -> Option<[u8; 32]> {
		match check.nonce {
			Some(_) => check.provider_answer,
			None => check.provider_output,
		}
	}

	/// Everyone who must commit in this stage has.
	fn everyone_committed(check: &SpotCheckOf<T>) -> bool {
		check.active().all(|v| v.commitment.is_some())
			&& (check.nonce.is_none() || check.provider_commitment.is_some())
	}

	/// Ends a dispute: a result two counted verifiers revealed decides. Two `UNAVAILABLE`
	/// answers (finding 2 of issue 11: a verifier had no way to say it cannot run the job, and
	/// was slashed) end the job with nobody slashed or paid; an `UNAVAILABLE` answer against a
	/// majority that ran the job loses like a wrong one (the inputs were there).
	fn verdict(job_id: JobId, check: SpotCheckOf<T>) {
		// In a blind dispute no honest answer is the provider's first-round output hash (a
		// dispute answer is a digest with the nonce): that hash, copied from the chain, never
		// counts towards a majority, and loses when there is one.
		let copied =
			|output: &[u8; 32]| check.nonce.is_some() && Some(*output) == check.provider_output;
		let outputs: Vec<[u8; 32]> =
			check.active().filter_map(|v| v.output).filter(|o| !copied(o)).collect();
		let majority = outputs
			.iter()
			.find(|candidate| outputs.iter().filter(|o| o == candidate).count() >= 2)
			.copied();
		let provider = Self::provider_answer(&check);
		let outcome = match majority {
			Some(UNAVAILABLE) => DisputeOutcome::InputsUnavailable,
			Some(h) if Some(h) == provider => DisputeOutcome::ProviderUpheld,
			Some(_) => DisputeOutcome::ProviderOverturned,
			None => DisputeOutcome::Inconclusive,
		};
		let decided = majority.is_some() && outcome != DisputeOutcome::InputsUnavailable;
		let winners: Vec<T::AccountId> = check
			.active()
			.filter(|v| decided && v.output == majority)
			.map(|v| v.account.clone())
			.collect();
		let mut losers: Vec<T::AccountId> = check
			.active()
			.filter(|v| decided && v.output.is_some() && v.output != majority)
			.map(|v| v.account.clone())
			.collect();
		if outcome == DisputeOutcome::ProviderOverturned {
			losers.push(check.provider.clone());
		}
		Self::close(job_id, &check);
		let verdict = match outcome {
			DisputeOutcome::ProviderUpheld => Verdict::Accept,
			DisputeOutcome::ProviderOverturned => Verdict::Reject(Rejection::Wrong),
			DisputeOutcome::Inconclusive | DisputeOutcome::InputsUnavailable => {
				Verdict::Reject(Rejection::Unconfirmed)
			},
		};
		Self::market_verdict(job_id, verdict, &winners);
		// A losing verifier loses the bond it locked when it was assigned (what it agreed to
		// risk), the provider the current `slash_wrong_result`.
		let provider_amount: BalanceOf<T> = Configuration::<T>::get().slash_wrong_result;
		let reporter = winners.first();
		for loser in &losers {
			let amount = if *loser == check.provider { provider_amount } else { check.bond };
			if !amount.is_zero() {
				T::Collateral::slash(loser, amount, SlashReason::WrongResult, reporter);
			}
		}
		Self::deposit_event(Event::DisputeResolved { job_id, outcome, slashed: losers });
	}

	/// Where `who`'s commitment and answer go: the provider's in a blind dispute, else those of
	/// `who` as a counted verifier.
	#[allow(clippy::type_complexity)]
	fn answer_of<'a>(
		check: &'a mut SpotCheckOf<T>,
		who: &T::AccountId,
	) -> Result<(&'a mut Option<[u8; 32]>, &'a mut Option<[u8; 32]>), Error<T>> {
		if *who == check.provider && check.nonce.is_some() {
			return Ok((&mut check.provider_commitment, &mut check.provider_answer));
		}
		let verifier = check
			.verifiers
			.iter_mut()
			.find(|v| v.account == *who && !v.dropped)
			.ok_or(Error::<T>::NotVerifier)?;
		Ok((&mut verifier.commitment, &mut verifier.output))
	}

	pub(crate) fn do_commit_spot_check(
		who: &T::AccountId,
		job_id: JobId,
		commitment: [u8; 32],
	) -> DispatchResult {
		let mut check = SpotChecks::<T>::get(job_id).ok_or(Error::<T>::NoSuchSpotCheck)?;
		let committing = check.stage == SpotCheckStage::Committing;
		let (committed, _) = Self::answer_of(&mut check, who)?;
		ensure!(committing && committed.is_none(), Error::<T>::NotCommitting);
		*committed = Some(commitment);
		Self::deposit_event(Event::SpotCheckCommitted { job_id, verifier: who.clone() });
		if Self::everyone_committed(&check) {
			Self::unschedule(Task::SpotCheck(job_id), check.next);
			Self::all_committed(job_id, check, frame_system::Pallet::<T>::block_number());
		} else {
			SpotChecks::<T>::insert(job_id, check);
		}
		Ok(())
	}

	pub(crate) fn do_reveal_spot_check(
		who: &T::AccountId,
		job_id: JobId,
		output_hash: [u8; 32],
		salt: [u8; 32],
	) -> DispatchResult {
		let mut check = SpotChecks::<T>::get(job_id).ok_or(Error::<T>::NoSuchSpotCheck)?;
		let revealing = check.stage == SpotCheckStage::Revealing;
		let opened = Some(result_commitment(&output_hash, &salt));
		let (committed, revealed) = Self::answer_of(&mut check, who)?;
		ensure!(revealing && revealed.is_none(), Error::<T>::NotRevealing);
		ensure!(*committed == opened, Error::<T>::CommitmentMismatch);
		*revealed = Some(output_hash);
		Self::deposit_event(Event::SpotCheckRevealed {
			job_id,
			verifier: who.clone(),
			output_hash,
		});
		if Self::provider_answer(&check).is_some() && check.active().all(|v| v.output.is_some()) {
			let now = frame_system::Pallet::<T>::block_number();
			Self::unschedule(Task::SpotCheck(job_id), check.next);
			// `resolve` takes the check off the agenda itself (it is off already).
			check.next = now;
			Self::resolve(job_id, check, now);
		} else {
			SpotChecks::<T>::insert(job_id, check);
		}
		Ok(())
	}

	/// The provider revealed while every counted verifier already had: decide next block.
	pub(crate) fn provider_revealed(job_id: JobId, check: &mut SpotCheckOf<T>) {
		if check.stage != SpotCheckStage::Revealing || !check.active().all(|v| v.output.is_some()) {
			return;
		}
		let soon = frame_system::Pallet::<T>::block_number().saturating_add(1u32.into());
		let task = Task::SpotCheck(job_id);
		if check.next <= soon {
			return;
		}
		if let Some(next) = Self::schedule(task, soon) {
			Self::unschedule(task, check.next);
			check.next = next;
		}
	}
}
