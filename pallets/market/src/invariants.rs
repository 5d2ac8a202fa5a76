//! `try_state`: every job is where its state says it is (agenda entries, bids, escrow), and
//! each client's deposits add up to its hold; no bidder has an old bid-deposit hold.

use crate::{asset, Agenda, BalanceOf, Bids, Config, JobState, Jobs, Pallet, RevealRequest};
use alloc::collections::{btree_map::BTreeMap, btree_set::BTreeSet};
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{JobEscrow, JobId};
use sp_runtime::{traits::Zero, Saturating, TryRuntimeError};

impl<T: Config> Pallet<T> {
	/// Checks, for every job: its id was handed out; a job in flight has its escrow (exactly
	/// what it locked), its agenda entries (the close while bidding, the deadline until the
	/// reveal — unless verification holds a committed result or owns its reveal deadline —, the settlement after it) and an award once awarded; an ended job has no escrow,
	/// no bids and no agenda entry. Every agenda entry and bid list belongs to such a job;
	/// bid lists are within bounds, below `max_price`, one per provider and never the
	/// client's; the job counter is right; each client's deposits equal its hold; outcomes
	/// belong to awarded jobs that ended; clearing prices are for some work at some price.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		// An entry is on the agenda of its block, or waits in line due at it (the line may also
		// hold stale entries: they are skipped when taken).
		let line: BTreeSet<(BlockNumberFor<T>, JobId)> =
			crate::agenda::JobAgenda::<T>::line().into_iter().collect();
		let mut waiting_entries = 0usize;
		let mut on_agenda = |job: JobId, at: BlockNumberFor<T>| {
			if Agenda::<T>::get(at).contains(&job) {
				true
			} else {
				waiting_entries += 1;
				line.contains(&(at, job))
			}
		};
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut expected_entries = 0usize;
		for (id, job) in Jobs::<T>::iter() {
			if id >= Pallet::<T>::next_job_id() {
				return Err("a job id was never handed out".into());
			}
			let deposit = deposits.entry(job.client.clone()).or_insert_with(Zero::zero);
			*deposit = deposit.saturating_add(job.deposit);
			let in_flight = job.state.ended_at().is_none();
			let escrow = T::Escrow::escrowed(id);
			if in_flight && escrow != job.escrowed {
				return Err("a job in flight does not hold exactly its escrow".into());
			}
			if !in_flight && !escrow.is_zero() {
				return Err("an ended job still holds escrow".into());
			}
			let awarded = !matches!(
				job.state,
				JobState::Bidding | JobState::Expired { .. } | JobState::Cancelled { .. }
			);
			if awarded != job.award.is_some() {
				return Err("a job has an award exactly when its auction found a winner".into());
			}
			let entries: &[BlockNumberFor<T>] = match &job.state {
				JobState::Bidding => &[job.bidding_ends, job.deadline],
				JobState::Awarded | JobState::Committed { reveal: RevealRequest::ByMarket, .. } => {
					&[job.deadline]
				},
				JobState::Revealed { settles_at: Some(at), .. } => &[*at],
				_ => &[],
			};
			if !entries.iter().all(|at| on_agenda(id, *at)) {
				return Err("a job in flight is missing from the agenda".into());
			}
			expected_entries += entries.len();
			let bids = Bids::<T>::get(id);
			if job.state != JobState::Bidding && !bids.is_empty() {
				return Err("a job whose auction closed still has bids".into());
			}
			let providers: BTreeSet<_> = bids.iter().map(|b| b.provider.clone()).collect();
			if providers.len() != bids.len()
				|| providers.contains(&job.client)
				|| bids.iter().any(|b| b.price.is_zero() || b.price > job.spec.max_price)
			{
				return Err("a bid list has a duplicate, the client's or an invalid price".into());
			}
		}
		let mut agenda_entries = 0usize;
		for (_, jobs) in Agenda::<T>::iter() {
			if jobs.is_empty() || jobs.len() as u32 > T::MaxJobsPerBlock::get() {
				return Err("an agenda is empty or too long".into());
			}
			agenda_entries += jobs.len();
		}
		// The agenda holds no stale entry (`expected_entries` counts a job scheduled twice on
		// one block twice, as the agenda does).
		if agenda_entries != expected_entries.saturating_sub(waiting_entries) {
			return Err("the agenda has entries for no job in flight".into());
		}
		for (id, bids) in Bids::<T>::iter() {
			if Jobs::<T>::get(id).is_none_or(|j| j.state != JobState::Bidding) {
				return Err("bids for a job that is not bidding".into());
			}
			// Deposits are collateral locks (the ledger cannot tell them from job and spot-check
			// locks: the property tests check the sum); the old bid holds are gone.
			if bids.iter().any(|bid| !asset::bids_held::<T>(&bid.provider).is_zero()) {
				return Err("a bidder still has a bid deposit on hold".into());
			}
		}
		for (client, deposit) in deposits {
			if asset::held::<T>(&client) != deposit {
				return Err("a client's job deposits do not equal its hold".into());
			}
		}
		for (id, _) in crate::Outcomes::<T>::iter() {
			let ended_with_award = Jobs::<T>::get(id)
				.is_some_and(|job| job.award.is_some() && job.state.ended_at().is_some());
			if !ended_with_award {
				return Err("an outcome is recorded for no awarded job that ended".into());
			}
		}
		for prices in crate::ClearingPrices::<T>::iter_values() {
			if prices.iter().any(|p| p.units == 0 || p.price.is_zero()) {
				return Err("a clearing price of nothing, or for no work".into());
			}
		}
		Ok(())
	}
}
