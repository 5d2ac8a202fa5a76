//! The reverse auction: bids, refusals, and the close that picks the winner.
//!
//! Ranking at the close: lowest price first; equal prices go to the higher reputation score,
//! then to the earlier bid. The best-ranked bidder that is still eligible and can lock the job
//! collateral wins; bidders passed over are counted in the job's refusals like refused bids.
//! With `second_price` the client pays the price of the bid ranked right after the winner's
//! (or `max_price` when the winner's is the last), so bidding one's true cost is the best
//! strategy.
//!
//! Every bid locks `bid_deposit` of its provider's free collateral while it stands (finding 8
//! of issue 11: Sybil bids filled a job's list for free, shut honest bidders out, then
//! retracted or paused so the job expired). A full list takes a new bid only if it is cheaper
//! than the dearest, which leaves with its deposit unlocked; a retracted bid's deposit is paid
//! out of the bond to the client, and so is the deposit of every bid the close passes over
//! because its provider cannot take the job. Blocking a job therefore costs a full list of
//! deposits, paid to the client it delayed; a losing or outbid bid costs nothing.
//!
//! The deposit is a lock in the collateral ledger the bid reads anyway for its collateral
//! check, not a hold of its own: a new bid writes one ledger instead of reading and writing
//! the account's holds (a third of its weight before). At the close the winner's deposit lock
//! becomes its job collateral lock.

use crate::{
	Award, BidOf, BidRefusal, Bids, Config, Configuration, Error, Event, JobOf, JobState, Jobs,
	Pallet, WeightInfo,
};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	storage::{with_transaction, TransactionOutcome},
	traits::Get,
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{Collateral, Ineligibility, JobEscrow, JobId, ProviderRegistry};
use sp_runtime::{traits::Zero, DispatchError, DispatchResult, Perbill};

/// What a `place_bid` did, which decides the weight it is charged after dispatch: the three
/// ways a bid is stored touch different storage (a changed bid keeps its deposit, an evicting
/// one also returns another provider's), so each has its own benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BidOutcome {
	/// A new bid joined a list of `before` bids.
	Added { before: u32 },
	/// A new bid on a full list: the dearest bid left with its deposit.
	Evicting,
	/// The caller's standing bid, on a list of `before` bids, got its new price.
	Changed { before: u32 },
	/// The provider may not bid (`BidRefused`); the list had `before` bids.
	Refused { before: u32 },
}

impl BidOutcome {
	/// The weight this outcome is charged.
	pub(crate) fn weight<T: Config>(self) -> Weight {
		match self {
			// A refusal reads what a new bid reads and writes only the job's refusal count.
			Self::Added { before } | Self::Refused { before } => T::WeightInfo::place_bid(before),
			Self::Evicting => T::WeightInfo::place_bid_evicting(),
			Self::Changed { before } => T::WeightInfo::change_bid(before),
		}
	}

	/// The most any `place_bid` can weigh: charged before dispatch.
	pub(crate) fn max_weight<T: Config>() -> Weight {
		let max = T::MaxBidsPerJob::get();
		T::WeightInfo::place_bid(max)
			.max(T::WeightInfo::place_bid_evicting())
			.max(T::WeightInfo::change_bid(max))
	}
}

impl<T: Config> Pallet<T> {
	/// Why `provider` may not bid `price` on `job`, if it may not. A new bid (`new`) must also
	/// find its deposit free: at the close that lock is released before the job collateral is
	/// locked, so free collateral of `max(job collateral, deposit)` covers both.
	fn refusal(
		provider: &T::AccountId,
		job: &JobOf<T>,
		price: crate::BalanceOf<T>,
		config: &crate::ConfigRecordOf<T>,
		new: bool,
	) -> Option<BidRefusal> {
		if let Err(reason) = T::Registry::check_eligible(provider, &job.spec.requirements) {
			return Some(BidRefusal::Ineligible(reason));
		}
		let needed = config.job_collateral.for_price(price).map(|needed| {
			if new {
				needed.max(config.bid_deposit)
			} else {
				needed
			}
		});
		match needed {
			Some(needed) if T::Collateral::free(provider) >= needed => None,
			_ => Some(BidRefusal::Collateral),
		}
	}

	/// Places (or replaces) `provider`'s bid, or records why it is refused.
	pub(crate) fn do_place_bid(
		provider: &T::AccountId,
		job_id: JobId,
		price: crate::BalanceOf<T>,
	) -> Result<BidOutcome, DispatchError> {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			job.state == JobState::Bidding && now < job.bidding_ends,
			Error::<T>::BiddingClosed
		);
		ensure!(*provider != job.client, Error::<T>::OwnJob);
		ensure!(!price.is_zero(), Error::<T>::ZeroPrice);
		ensure!(price <= job.spec.max_price, Error::<T>::PriceAboveMax);
		let mut bids = Bids::<T>::get(job_id);
		let before = bids.len() as u32;
		let config = Configuration::<T>::get();
		let standing = bids.iter().position(|b| b.provider == *provider);

		if let Some(reason) = Self::refusal(provider, &job, price, &config, standing.is_none()) {
			job.refusals.record(reason);
			Jobs::<T>::insert(job_id, job);
			Self::deposit_event(Event::BidRefused { job_id, provider: provider.clone(), reason });
			return Ok(BidOutcome::Refused { before });
		}

		let (deposit, outcome) = match standing {
			// A changed bid keeps the deposit it holds.
			Some(i) => (bids.remove(i).deposit, BidOutcome::Changed { before }),
			None => {
				let evict = if before >= config.max_bids_per_job {
					let dearest = Self::dearest(&bids).ok_or(Error::<T>::TooManyBids)?;
					ensure!(price < bids[dearest].price, Error::<T>::TooManyBids);
					Some(dearest)
				} else {
					None
				};
				// Cannot fail: the refusal check found the deposit free.
				Self::lock_deposit(provider, config.bid_deposit)?;
				let outcome = match evict {
					Some(i) => {
						let evicted = bids.remove(i);
						Self::unlock_deposit(&evicted);
						Self::deposit_event(Event::BidEvicted {
							job_id,
							provider: evicted.provider,
							by: provider.clone(),
						});
						BidOutcome::Evicting
					},
					None => BidOutcome::Added { before },
				};
				(config.bid_deposit, outcome)
			},
		};
		bids.try_push(BidOf::<T> { provider: provider.clone(), price, placed_at: now, deposit })
			.map_err(|_| Error::<T>::TooManyBids)?;
		Bids::<T>::insert(job_id, bids);
		Self::deposit_event(Event::BidPlaced { job_id, provider: provider.clone(), price });
		Ok(outcome)
	}

	/// The position of the bid a full list gives up for a cheaper one: the dearest, the latest
	/// placed of equally dear ones.
	fn dearest(bids: &[BidOf<T>]) -> Option<usize> {
		bids.iter()
			.enumerate()
			.max_by(|(i, a), (j, b)| a.price.cmp(&b.price).then(i.cmp(j)))
			.map(|(i, _)| i)
	}

	/// Withdraws `provider`'s bid, its deposit forfeited to the client; returns how many bids
	/// the job had before.
	pub(crate) fn do_retract_bid(
		provider: &T::AccountId,
		job_id: JobId,
	) -> Result<u32, DispatchError> {
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			job.state == JobState::Bidding && now < job.bidding_ends,
			Error::<T>::BiddingClosed
		);
		let mut bids = Bids::<T>::get(job_id);
		let before = bids.len() as u32;
		let i = bids.iter().position(|b| b.provider == *provider).ok_or(Error::<T>::NoBid)?;
		let bid = bids.remove(i);
		if bids.is_empty() {
			Bids::<T>::remove(job_id);
		} else {
			Bids::<T>::insert(job_id, bids);
		}
		Self::deposit_event(Event::BidRetracted { job_id, provider: provider.clone() });
		Self::forfeit_deposit(job_id, &job.client, &bid);
		Ok(before)
	}

	/// Locks a new bid's deposit in its provider's collateral ledger (nothing for zero).
	fn lock_deposit(provider: &T::AccountId, amount: crate::BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Collateral::lock(provider, amount).map_err(|_| Error::<T>::InsufficientBalance.into())
	}

	/// Releases `bid`'s deposit lock: the bid lost, was outbid or its job was cancelled.
	fn unlock_deposit(bid: &BidOf<T>) {
		if !bid.deposit.is_zero() {
			T::Collateral::unlock(&bid.provider, bid.deposit);
		}
	}

	/// Pays `bid`'s deposit out of its provider's bond to the client.
	fn forfeit_deposit(job_id: JobId, client: &T::AccountId, bid: &BidOf<T>) {
		if bid.deposit.is_zero() {
			return;
		}
		let amount = T::Collateral::forfeit(&bid.provider, bid.deposit, client);
		if !amount.is_zero() {
			Self::deposit_event(Event::BidDepositForfeited {
				job_id,
				provider: bid.provider.clone(),
				amount,
			});
		}
	}

	/// Releases the deposits of `bids` (the job was cancelled, or they lost).
	pub(crate) fn return_deposits(bids: &[BidOf<T>]) {
		for bid in bids {
			Self::unlock_deposit(bid);
		}
	}

	/// The bids of a job, best first.
	pub(crate) fn rank(bids: Vec<BidOf<T>>) -> Vec<BidOf<T>> {
		let mut ranked: Vec<(usize, Perbill, BidOf<T>)> = bids
			.into_iter()
			.enumerate()
			.map(|(i, bid)| {
				let score =
					T::Registry::reputation(&bid.provider).map_or(Perbill::zero(), |r| r.score());
				(i, score, bid)
			})
			.collect();
		ranked.sort_by(|(i, score_a, a), (j, score_b, b)| {
			a.price.cmp(&b.price).then(score_b.cmp(score_a)).then(i.cmp(j))
		});
		ranked.into_iter().map(|(_, _, bid)| bid).collect()
	}

	/// Turns the deposit lock of `bid`'s provider into the job's collateral lock for `price`
	/// and marks the job started; or says why that provider cannot take the job now. Runs in a
	/// storage layer of its own: a refusal leaves storage as it was, the bid's deposit still
	/// locked (to be forfeited).
	fn try_award(
		bid: &BidOf<T>,
		price: crate::BalanceOf<T>,
		job: &JobOf<T>,
		config: &crate::ConfigRecordOf<T>,
		now: BlockNumberFor<T>,
	) -> Result<crate::AwardOf<T>, BidRefusal> {
		let provider = &bid.provider;
		let attempt = || {
			T::Registry::check_eligible(provider, &job.spec.requirements)
				.map_err(BidRefusal::Ineligible)?;
			let collateral =
				config.job_collateral.for_price(price).ok_or(BidRefusal::Collateral)?;
			Self::unlock_deposit(bid);
			T::Collateral::lock(provider, collateral).map_err(|_| BidRefusal::Collateral)?;
			T::Registry::job_started(provider)
				.map_err(|_| BidRefusal::Ineligible(Ineligibility::NotProvider))?;
			Ok(Award { provider: provider.clone(), price, collateral, awarded_at: now })
		};
		let outcome = with_transaction::<_, DispatchError, _>(|| match attempt() {
			Ok(award) => TransactionOutcome::Commit(Ok(Ok(award))),
			Err(refusal) => TransactionOutcome::Rollback(Ok(Err(refusal))),
		});
		// `with_transaction` fails only past its nesting limit, which a hook never reaches.
		outcome.unwrap_or(Err(BidRefusal::Collateral))
	}

	/// Closes the auction of `job`: awards it to the best eligible bid or expires it with a
	/// refund. Bids passed over because their provider cannot take the job forfeit their
	/// deposits to the client; the winner's deposit lock becomes its collateral lock, and every
	/// bid ranked after it gets its deposit back.
	pub(crate) fn close_auction(job_id: JobId, mut job: JobOf<T>, now: BlockNumberFor<T>) {
		let bids = Bids::<T>::take(job_id).into_inner();
		let config = Configuration::<T>::get();
		let ranked = Self::rank(bids);

		let mut winner = None;
		for (position, bid) in ranked.iter().enumerate() {
			let price = if config.second_price {
				ranked.get(position + 1).map_or(job.spec.max_price, |next| next.price)
			} else {
				bid.price
			};
			match Self::try_award(bid, price, &job, &config, now) {
				Ok(award) => {
					job.award = Some(award);
					winner = Some((position, price));
					break;
				},
				Err(reason) => {
					job.refusals.record(reason);
					Self::deposit_event(Event::BidRefused {
						job_id,
						provider: bid.provider.clone(),
						reason,
					});
					Self::forfeit_deposit(job_id, &job.client, bid);
				},
			}
		}

		let Some((position, price)) = winner else {
			// Nobody (acceptable) bid.
			if let Err(e) = T::Escrow::refund(job_id) {
				frame_support::defensive!("refund of an expired job failed", e);
			}
			Self::unschedule(job_id, job.deadline);
			job.state = JobState::Expired { at: now };
			Self::count(|totals| totals.jobs_expired = totals.jobs_expired.saturating_add(1));
			Jobs::<T>::insert(job_id, job);
			Self::deposit_event(Event::JobExpired { job_id });
			return;
		};
		Self::return_deposits(ranked.get(position.saturating_add(1)..).unwrap_or_default());
		job.state = JobState::Awarded;
		let deadline = job.deadline;
		let provider = ranked[position].provider.clone();
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobAwarded { job_id, provider, price, deadline });
	}
}
