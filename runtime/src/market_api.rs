//! The `KilnMarketApi` runtime API's answers (the node serves them as `market_*` JSON-RPC):
//! reads of the market, provider, collateral and proof-of-compute pallets' storage, run off
//! chain. `open_jobs` and `stats` walk the job records, which deposits bound.

use alloc::vec::Vec;
use kiln_market_runtime_api::{
	Bond, CheckSummary, Clock, JobDetails, MarketStats, OpenJobs, ProviderDetails, Registration,
	MAX_PAGE_SIZE,
};
use kiln_primitives::{JobId, Quote, Requirements, WorkloadKind};
use pallet_market::JobState;
use pallet_providers::ProviderStatus;

use super::{time::MILLI_SECS_PER_BLOCK, AccountId, Balance, BlockNumber, Runtime, System};

pub fn clock() -> Clock<BlockNumber> {
	Clock {
		block: System::block_number(),
		timestamp_ms: pallet_timestamp::Now::<Runtime>::get(),
		block_time_ms: MILLI_SECS_PER_BLOCK,
	}
}

pub fn open_jobs(page: u32, page_size: u32) -> OpenJobs<AccountId, Balance, BlockNumber> {
	let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
	let mut open: Vec<_> = pallet_market::Jobs::<Runtime>::iter()
		.filter(|(_, job)| job.state == JobState::Bidding)
		.collect();
	open.sort_by_key(|(id, _)| *id);
	let total = open.len() as u32;
	let skip = (page as usize).saturating_mul(page_size as usize);
	let jobs = open
		.into_iter()
		.skip(skip)
		.take(page_size as usize)
		.map(|(id, job)| {
			let bids = pallet_market::Bids::<Runtime>::decode_len(id).unwrap_or(0) as u32;
			(id, job, bids)
		})
		.collect();
	OpenJobs { total, jobs }
}

pub fn job(job_id: JobId) -> Option<JobDetails<AccountId, Balance, BlockNumber>> {
	let job = pallet_market::Jobs::<Runtime>::get(job_id)?;
	let check =
		pallet_proof_of_compute::SpotChecks::<Runtime>::get(job_id).map(|check| CheckSummary {
			verifiers: check.active().count() as u32,
			dispute: check.dispute,
			stage_ends: check.next,
		});
	Some(JobDetails {
		job,
		bids: pallet_market::Bids::<Runtime>::get(job_id).into_inner(),
		outcome: pallet_market::Outcomes::<Runtime>::get(job_id),
		check,
	})
}

pub fn provider(who: AccountId) -> Option<ProviderDetails<Balance, BlockNumber>> {
	let record = pallet_providers::Providers::<Runtime>::get(&who);
	let bond = pallet_collateral::Ledgers::<Runtime>::get(&who).map(|ledger| Bond {
		active: ledger.active,
		locked: ledger.locked,
		unlocking: ledger.unlocking.iter().map(|c| (c.value, c.unlock_at)).collect(),
	});
	let retired = pallet_providers::RetiredReputation::<Runtime>::get(&who);
	if record.is_none() && bond.is_none() && retired.is_none() {
		return None;
	}
	let reputation = record.as_ref().map(|r| r.reputation).or(retired).unwrap_or_default();
	let registration = record.map(|r| Registration {
		profile: r.profile,
		endpoint: r.endpoint.into_inner(),
		status: r.status,
		registered_at: r.registered_at,
		jobs_in_flight: r.jobs_in_flight,
	});
	Some(ProviderDetails {
		registration,
		bond,
		score: reputation.score(),
		reputation,
		open_challenge: pallet_proof_of_compute::OpenChallenge::<Runtime>::contains_key(&who),
	})
}

pub fn quote(kind: WorkloadKind, units: u64, requirements: Requirements) -> Quote<Balance> {
	let records = pallet_market::ClearingPrices::<Runtime>::get(kind);
	kiln_primitives::quote(&records, kind, &requirements, units.max(1))
}

pub fn stats() -> MarketStats<Balance> {
	let (mut open_jobs, mut running_jobs, mut job_records) = (0u32, 0u32, 0u32);
	for job in pallet_market::Jobs::<Runtime>::iter_values() {
		job_records = job_records.saturating_add(1);
		match job.state {
			JobState::Bidding => open_jobs = open_jobs.saturating_add(1),
			state if state.ended_at().is_none() => running_jobs = running_jobs.saturating_add(1),
			_ => {},
		}
	}
	let (mut providers, mut providers_active, mut providers_paused) = (0u32, 0u32, 0u32);
	for record in pallet_providers::Providers::<Runtime>::iter_values() {
		providers = providers.saturating_add(1);
		match record.status {
			ProviderStatus::Active => providers_active = providers_active.saturating_add(1),
			ProviderStatus::Paused | ProviderStatus::Underbonded => {
				providers_paused = providers_paused.saturating_add(1)
			},
		}
	}
	MarketStats {
		open_jobs,
		running_jobs,
		job_records,
		totals: pallet_market::Totals::<Runtime>::get(),
		providers,
		providers_active,
		providers_paused,
		total_bonded: pallet_collateral::TotalBonded::<Runtime>::get(),
		total_slashed: pallet_collateral::TotalSlashed::<Runtime>::get(),
	}
}
