//! The market's answers as JSON a client reads without SCALE types: amounts as decimal
//! strings in planck, accounts in SS58 (prefix 42), hashes in 0x hex, block numbers with the
//! time they fall at (estimated from the block time for blocks not yet produced).

use kiln_market_runtime_api::{
	Bond, CheckSummary, Clock, JobDetails, MarketStats, ProviderDetails, Registration,
};
use kiln_primitives::{
	Backend, ContentRef, HardwareProfile, JobId, PriceRange, Quote, Rejection, Reputation,
	Requirements, Workload,
};
use kiln_runtime::{AccountId, Balance, BlockNumber};
use pallet_market::{JobOutcome, JobState, RefusalCounts, RevealRequest};
use serde_json::{json, Value};
use sp_core::crypto::Ss58Codec;
use sp_runtime::Perbill;

pub type Job = pallet_market::Job<AccountId, Balance, BlockNumber>;

pub fn amount(value: Balance) -> Value {
	Value::String(value.to_string())
}

pub fn account(who: &AccountId) -> Value {
	Value::String(who.to_ss58check())
}

pub fn hex(bytes: &[u8]) -> Value {
	Value::String(format!("0x{}", hex::encode(bytes)))
}

pub fn percent(share: Perbill) -> Value {
	json!(f64::from(share.deconstruct()) / 10_000_000.0)
}

fn text(bytes: &[u8]) -> Value {
	Value::String(String::from_utf8_lossy(bytes).into_owned())
}

pub fn backend(backend: Backend) -> &'static str {
	match backend {
		Backend::Cpu => "cpu",
		Backend::Cuda => "cuda",
	}
}

/// A block number and the time it falls at, estimated from `clock`.
pub fn block(clock: &Clock<BlockNumber>, number: BlockNumber) -> Value {
	let offset = i64::from(number) - i64::from(clock.block);
	let ms = i64::try_from(clock.timestamp_ms)
		.unwrap_or(i64::MAX)
		.saturating_add(offset.saturating_mul(clock.block_time_ms as i64));
	let time = chrono::DateTime::from_timestamp_millis(ms)
		.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
	json!({ "number": number, "time": time, "past": number <= clock.block })
}

pub fn content(c: &ContentRef) -> Value {
	json!({ "hash": hex(&c.hash), "len": c.len, "uri": text(&c.uri) })
}

pub fn workload(w: &Workload) -> Value {
	let mut value = match w {
		Workload::Wasm { module, input, fuel } => {
			json!({ "module": content(module), "input": content(input), "fuel": fuel })
		},
		Workload::Cuda { source, entry, grid, block, input, output_len } => json!({
			"source": content(source),
			"entry": text(entry),
			"grid": grid,
			"block": block,
			"input": content(input),
			"outputLen": output_len,
		}),
		Workload::Gemm { m, n, k, seed } => json!({ "m": m, "n": n, "k": k, "seed": hex(seed) }),
	};
	value["kind"] = json!(w.kind().name());
	value["units"] = json!(w.units());
	value["unit"] = json!(w.kind().unit());
	value
}

pub fn requirements(r: &Requirements) -> Value {
	json!({
		"backend": backend(r.backend),
		"gpuCount": r.gpu_count,
		"minVramMib": r.min_vram_mib,
		"minComputeCapability": f64::from(r.min_compute_capability) / 10.0,
		"region": r.region.map(|region| text(&region.0)),
		"minReputationPercent": percent(r.min_reputation),
	})
}

/// Each reason bids were refused, with its count and what it means.
pub fn refusals(counts: &RefusalCounts) -> Value {
	let reasons: [(&str, u32, &str); 9] = [
		("notProvider", counts.not_provider, "not a registered provider"),
		("paused", counts.paused, "the provider is paused"),
		("backend", counts.backend, "the provider does not offer the job's backend"),
		("region", counts.region, "the provider is outside the job's region"),
		("vram", counts.vram, "too little GPU memory for the job"),
		(
			"computeCapability",
			counts.compute_capability,
			"GPU compute capability below the job's minimum",
		),
		("gpuCount", counts.gpu_count, "fewer GPUs than the job needs"),
		("reputation", counts.reputation, "reputation below the job's minimum"),
		("collateral", counts.collateral, "not enough free collateral to lock for the job"),
	];
	let list: Vec<Value> = reasons
		.iter()
		.filter(|(_, count, _)| *count > 0)
		.map(
			|(reason, count, meaning)| json!({ "reason": reason, "count": count, "meaning": meaning }),
		)
		.collect();
	json!({ "total": counts.total(), "reasons": list })
}

fn state(clock: &Clock<BlockNumber>, state: &JobState<BlockNumber>) -> Value {
	match state {
		JobState::Bidding => json!({ "name": "bidding" }),
		JobState::Awarded => json!({ "name": "awarded" }),
		JobState::Committed { commitment, reveal } => json!({
			"name": "committed",
			"commitment": hex(commitment),
			"revealRequested": match reveal {
				RevealRequest::NotYet => "notYet",
				RevealRequest::ByMarket => "byMarket",
				RevealRequest::ByVerification => "byVerification",
			},
		}),
		JobState::Revealed { output, settles_at } => json!({
			"name": "revealed",
			"output": content(output),
			"settlesAt": settles_at.map(|at| block(clock, at)),
		}),
		JobState::Completed { at } => json!({ "name": "completed", "endedAt": block(clock, *at) }),
		JobState::Failed { at } => json!({ "name": "failed", "endedAt": block(clock, *at) }),
		JobState::Expired { at } => json!({ "name": "expired", "endedAt": block(clock, *at) }),
		JobState::Cancelled { at } => json!({ "name": "cancelled", "endedAt": block(clock, *at) }),
	}
}

fn rejection(why: Rejection) -> &'static str {
	match why {
		Rejection::Wrong => "wrongResult",
		Rejection::UnrevealedWhenChecked => "unrevealedWhenChecked",
		Rejection::Unconfirmed => "unconfirmed",
	}
}

fn outcome(job: &Job, outcome: Option<&JobOutcome<Balance>>) -> Value {
	if let Some(o) = outcome {
		let kind = match (o.rejected, o.missed_deadline) {
			(Some(_), _) => "rejected",
			(None, true) => "missedDeadline",
			(None, false) => "completed",
		};
		return json!({
			"kind": kind,
			"rejection": o.rejected.map(rejection),
			"paid": amount(o.paid),
			"fee": amount(o.fee),
			"refunded": amount(o.refunded),
			"slashed": amount(o.slashed),
			"verifiersPaid": amount(o.verifiers_paid),
		});
	}
	// Ended without an award: the whole escrow went back.
	let kind = match job.state {
		JobState::Expired { .. } => "expired",
		JobState::Cancelled { .. } => "cancelled",
		_ => return Value::Null,
	};
	json!({ "kind": kind, "refunded": amount(job.escrowed) })
}

fn check(clock: &Clock<BlockNumber>, c: &CheckSummary<BlockNumber>) -> Value {
	json!({ "verifiers": c.verifiers, "dispute": c.dispute, "stageEnds": block(clock, c.stage_ends) })
}

/// A job in a list: what a provider or client scans.
pub fn job_summary(clock: &Clock<BlockNumber>, id: JobId, job: &Job, bids: u32) -> Value {
	json!({
		"id": id,
		"client": account(&job.client),
		"state": state(clock, &job.state),
		"workload": workload(&job.spec.workload),
		"requirements": requirements(&job.spec.requirements),
		"maxPrice": amount(job.spec.max_price),
		"created": block(clock, job.created_at),
		"biddingEnds": block(clock, job.bidding_ends),
		"executionBlocks": job.spec.execution_blocks,
		"bids": bids,
	})
}

/// Everything about one job.
pub fn job(
	clock: &Clock<BlockNumber>,
	id: JobId,
	d: &JobDetails<AccountId, Balance, BlockNumber>,
) -> Value {
	let j = &d.job;
	let bids: Vec<Value> = d
		.bids
		.iter()
		.map(|b| {
			json!({ "provider": account(&b.provider), "price": amount(b.price), "placedAt": block(clock, b.placed_at) })
		})
		.collect();
	let award = j.award.as_ref().map(|a| {
		json!({
			"provider": account(&a.provider),
			"price": amount(a.price),
			"collateral": amount(a.collateral),
			"awardedAt": block(clock, a.awarded_at),
		})
	});
	let result = j
		.state
		.output()
		.or_else(|| d.outcome.as_ref().and_then(|o| o.output.as_ref()))
		.map(content);
	let mut value = job_summary(clock, id, j, d.bids.len() as u32);
	value["bids"] = json!(bids);
	value["escrowed"] = amount(j.escrowed);
	value["deposit"] = amount(j.deposit);
	value["deadline"] = block(clock, j.deadline);
	value["refusals"] = refusals(&j.refusals);
	value["award"] = json!(award);
	value["result"] = json!(result);
	value["outcome"] = outcome(j, d.outcome.as_ref());
	value["check"] = json!(d.check.as_ref().map(|c| check(clock, c)));
	value
}

fn profile(p: &HardwareProfile) -> Value {
	let gpus: Vec<Value> = p
		.gpus
		.iter()
		.map(|g| {
			json!({
				"model": text(&g.model),
				"vramMib": g.vram_mib,
				"computeCapability": f64::from(g.compute_capability) / 10.0,
				"count": g.count,
			})
		})
		.collect();
	let mut backends = Vec::new();
	if p.backends.cuda {
		backends.push("cuda");
	}
	if p.backends.cpu {
		backends.push("cpu");
	}
	json!({
		"gpus": gpus,
		"cpuCores": p.cpu_cores,
		"ramMib": p.ram_mib,
		"region": text(&p.region.0),
		"backends": backends,
	})
}

fn registration(clock: &Clock<BlockNumber>, r: &Registration<BlockNumber>) -> Value {
	let status = match r.status {
		pallet_providers::ProviderStatus::Active => "active",
		pallet_providers::ProviderStatus::Paused => "paused",
		pallet_providers::ProviderStatus::Underbonded => "underbonded",
	};
	json!({
		"profile": profile(&r.profile),
		"endpoint": text(&r.endpoint),
		"status": status,
		"registeredAt": block(clock, r.registered_at),
		"jobsInFlight": r.jobs_in_flight,
	})
}

fn bond(clock: &Clock<BlockNumber>, b: &Bond<Balance, BlockNumber>) -> Value {
	let unlocking: Vec<Value> = b
		.unlocking
		.iter()
		.map(|(value, at)| json!({ "amount": amount(*value), "withdrawableAt": block(clock, *at) }))
		.collect();
	json!({
		"active": amount(b.active),
		"locked": amount(b.locked),
		"free": amount(b.active.saturating_sub(b.locked)),
		"unlocking": unlocking,
	})
}

fn reputation(r: &Reputation) -> Value {
	json!({
		"jobsCompleted": r.jobs_completed,
		"jobsFailed": r.jobs_failed,
		"challengesPassed": r.challenges_passed,
		"challengesFailed": r.challenges_failed,
		"slashes": r.slashes,
	})
}

pub fn provider(
	clock: &Clock<BlockNumber>,
	who: &AccountId,
	p: &ProviderDetails<Balance, BlockNumber>,
) -> Value {
	json!({
		"account": account(who),
		"registered": p.registration.is_some(),
		"registration": p.registration.as_ref().map(|r| registration(clock, r)),
		"bond": p.bond.as_ref().map(|b| bond(clock, b)),
		"reputation": reputation(&p.reputation),
		"scorePercent": percent(p.score),
		"openChallenge": p.open_challenge,
	})
}

fn range(r: &PriceRange<Balance>) -> Value {
	json!({ "count": r.count, "min": amount(r.min), "median": amount(r.median), "max": amount(r.max) })
}

pub fn quote(q: &Quote<Balance>) -> Value {
	json!({
		"kind": q.kind.name(),
		"units": q.units,
		"unit": q.kind.unit(),
		"comparable": q.comparable.as_ref().map(range),
		"all": q.all.as_ref().map(range),
		"perJob": q.per_job.as_ref().map(range),
		"window": q.window,
	})
}

pub fn stats(s: &MarketStats<Balance>) -> Value {
	let t = &s.totals;
	json!({
		"jobs": {
			"open": s.open_jobs,
			"running": s.running_jobs,
			"records": s.job_records,
			"created": t.jobs_created,
			"completed": t.jobs_completed,
			"failed": t.jobs_failed,
			"rejected": t.jobs_rejected,
			"expired": t.jobs_expired,
			"cancelled": t.jobs_cancelled,
		},
		"providers": {
			"registered": s.providers,
			"active": s.providers_active,
			"paused": s.providers_paused,
		},
		"kiln": {
			"paidToProviders": amount(t.paid_to_providers),
			"protocolFees": amount(t.protocol_fees),
			"paidToVerifiers": amount(t.paid_to_verifiers),
			"slashedByMarket": amount(t.slashed),
			"slashed": amount(s.total_slashed),
			"bonded": amount(s.total_bonded),
		},
	})
}

pub fn clock(clock: &Clock<BlockNumber>) -> Value {
	json!({ "block": block(clock, clock.block), "blockTimeMs": clock.block_time_ms })
}
