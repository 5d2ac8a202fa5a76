//! What the market records for clients to read: recent clearing prices per workload kind
//! (quotes), each awarded job's outcome, and running totals (`market_stats`). Written as jobs
//! end; read by the `KilnMarketApi` runtime API, never by the market's own rules.

use crate::{
	BalanceOf, ClearingPrices, Config, JobOf, JobOutcome, MarketTotals, Outcomes, Pallet, Totals,
};
use frame_support::{traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{ClearingPrice, JobId};
use sp_runtime::Saturating;

/// What one job's end adds to the market's records beyond its benchmark: the benchmarks of
/// `settle_jobs`, `fail_jobs` and `cancel_job` run `record_end` and `count` (the totals,
/// each outcome, one kind's price list), but every settled job there is of one kind, so
/// a settlement may also read and write its own kind's price list.
pub(crate) fn other_kind_prices<T: Config>() -> Weight {
	T::DbWeight::get().reads_writes(1, 1)
}

impl<T: Config> Pallet<T> {
	/// The id the next job gets: the count of jobs created.
	pub fn next_job_id() -> JobId {
		Totals::<T>::get().jobs_created
	}

	/// Updates the running totals.
	pub(crate) fn count(update: impl FnOnce(&mut MarketTotals<BalanceOf<T>>)) {
		Totals::<T>::mutate(update);
	}

	/// Records how awarded `job` ended and adds it to the totals; a settled job's price joins
	/// its kind's recent prices when it is at least `reputation_min_price` (cheaper jobs are
	/// what self-dealers post to move quotes for the cost of a fee on nothing).
	pub(crate) fn record_end(
		job_id: JobId,
		job: &JobOf<T>,
		outcome: JobOutcome<BalanceOf<T>>,
		now: BlockNumberFor<T>,
		min_price: BalanceOf<T>,
	) {
		Self::count(|totals| {
			match (outcome.rejected, outcome.missed_deadline) {
				(Some(_), _) => totals.jobs_rejected.saturating_inc(),
				(None, true) => totals.jobs_failed.saturating_inc(),
				(None, false) => totals.jobs_completed.saturating_inc(),
			}
			totals.paid_to_providers.saturating_accrue(outcome.paid);
			totals.protocol_fees.saturating_accrue(outcome.fee);
			totals.paid_to_verifiers.saturating_accrue(outcome.verifiers_paid);
			totals.slashed.saturating_accrue(outcome.slashed);
		});
		let settled = outcome.rejected.is_none() && !outcome.missed_deadline;
		Outcomes::<T>::insert(job_id, outcome);
		let Some(award) = job.award.as_ref() else { return };
		if settled && award.price >= min_price {
			let record = ClearingPrice {
				price: award.price,
				units: job.spec.workload.units(),
				backend: job.spec.requirements.backend,
				gpu_count: job.spec.requirements.gpu_count,
				settled_at: now,
			};
			ClearingPrices::<T>::mutate(job.spec.workload.kind(), |prices| {
				if prices.is_full() {
					prices.remove(0);
				}
				// Room was made above: the push cannot fail.
				let _ = prices.try_push(record);
			});
		}
	}
}
