//! The market JSON-RPC methods (SPEC §5), backed by the `KilnMarketApi` runtime API:
//! `market_openJobs`, `market_job`, `market_provider`, `market_quote`, `market_stats`.
//! Each takes an optional block hash `at` last (the best block when left out). Bad input is
//! answered with a JSON-RPC error whose message says what is wrong: `-32602` (invalid
//! params) for malformed input, [`NOT_FOUND`] for a job or account the chain does not know.

use std::sync::Arc;

use jsonrpsee::{core::RpcResult, proc_macros::rpc, types::ErrorObjectOwned};
use kiln_market_runtime_api::{KilnMarketApi, MAX_PAGE_SIZE};
use kiln_primitives::{Backend, JobId, Region, Requirements, WorkloadKind};
use kiln_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use serde::Deserialize;
use serde_json::{json, Value};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::crypto::Ss58Codec;
use sp_runtime::{traits::Block as BlockT, Perbill};

use super::json;

/// The error code of an unknown job or account.
pub const NOT_FOUND: i32 = 4004;
/// The error code of a failed runtime call.
pub const RUNTIME_ERROR: i32 = 5000;
/// JSON-RPC's invalid-params code.
pub const INVALID_PARAMS: i32 = -32602;
/// Open jobs a page holds unless asked otherwise.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
	error(INVALID_PARAMS, message)
}

#[rpc(server, namespace = "market")]
pub trait MarketApi<BlockHash> {
	/// Page `page` (from 0, default 0) of the jobs whose auction runs, `pageSize` (1 to 100,
	/// default 20) a page, in id order.
	#[method(name = "openJobs")]
	fn open_jobs(
		&self,
		page: Option<u32>,
		page_size: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<Value>;

	/// One job: spec, state, bids, refusals with their reasons, award, deadlines, result and
	/// outcome.
	#[method(name = "job")]
	fn job(&self, job_id: u64, at: Option<BlockHash>) -> RpcResult<Value>;

	/// An account as a provider: profile, status, bond and locked collateral, reputation
	/// and score, jobs in flight.
	#[method(name = "provider")]
	fn provider(&self, account: String, at: Option<BlockHash>) -> RpcResult<Value>;

	/// Recent clearing prices of comparable jobs, scaled to this workload's units of work.
	#[method(name = "quote")]
	fn quote(
		&self,
		requirements: Value,
		workload: Value,
		at: Option<BlockHash>,
	) -> RpcResult<Value>;

	/// Open, running and settled jobs; active and paused providers; KILN paid and slashed.
	#[method(name = "stats")]
	fn stats(&self, at: Option<BlockHash>) -> RpcResult<Value>;
}

/// What `market_quote` takes as requirements: only the backend and GPU count decide which
/// jobs are comparable; the other fields are accepted so a job spec's requirements can be
/// passed as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RequirementsParam {
	backend: String,
	#[serde(default)]
	gpu_count: u16,
	#[serde(default)]
	min_vram_mib: u32,
	#[serde(default)]
	min_compute_capability: f64,
	#[serde(default)]
	region: Option<String>,
	#[serde(default)]
	min_reputation_percent: f64,
}

/// What `market_quote` takes as the workload: its kind and either its units of work or the
/// fields they come from (`fuel`; `grid` and `block`; `m`, `n` and `k`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkloadParam {
	kind: String,
	units: Option<u64>,
	fuel: Option<u64>,
	grid: Option<[u32; 3]>,
	block: Option<[u32; 3]>,
	m: Option<u32>,
	n: Option<u32>,
	k: Option<u32>,
}

pub fn parse_backend(name: &str) -> Result<Backend, String> {
	match name {
		"cpu" => Ok(Backend::Cpu),
		"cuda" => Ok(Backend::Cuda),
		other => Err(format!("unknown backend '{other}': expected 'cpu' or 'cuda'")),
	}
}

fn parse_requirements(value: Value) -> Result<Requirements, String> {
	let r: RequirementsParam =
		serde_json::from_value(value).map_err(|e| format!("requirements: {e}"))?;
	let region = match r.region {
		None => None,
		Some(code) => {
			let bytes: [u8; 2] = code
				.as_bytes()
				.try_into()
				.map_err(|_| format!("region '{code}': expected two letters (ISO 3166-1)"))?;
			let region = Region(bytes);
			if !region.is_valid() {
				return Err(format!("region '{code}': expected two upper-case letters"));
			}
			Some(region)
		},
	};
	if !(0.0..=100.0).contains(&r.min_reputation_percent) {
		return Err("minReputationPercent: expected 0 to 100".into());
	}
	if !(0.0..=6553.5).contains(&r.min_compute_capability) {
		return Err("minComputeCapability: expected a capability such as 8.9".into());
	}
	Ok(Requirements {
		min_vram_mib: r.min_vram_mib,
		min_compute_capability: (r.min_compute_capability * 10.0).round() as u16,
		gpu_count: r.gpu_count,
		backend: parse_backend(&r.backend).map_err(|e| format!("requirements: {e}"))?,
		region,
		min_reputation: Perbill::from_rational(
			(r.min_reputation_percent * 10_000_000.0).round() as u32,
			1_000_000_000,
		),
	})
}

fn parse_workload(value: Value) -> Result<(WorkloadKind, u64), String> {
	let w: WorkloadParam = serde_json::from_value(value).map_err(|e| format!("workload: {e}"))?;
	let kind = WorkloadKind::from_name(&w.kind).ok_or_else(|| {
		format!("workload: unknown kind '{}': expected wasm, cuda or gemm", w.kind)
	})?;
	let product = |dims: &[u32]| dims.iter().fold(1u64, |a, d| a.saturating_mul(u64::from(*d)));
	let units = match (kind, w.units) {
		(_, Some(units)) => units,
		(WorkloadKind::Wasm, None) => {
			w.fuel.ok_or("workload: a wasm job needs `fuel` or `units`")?
		},
		(WorkloadKind::Cuda, None) => match (w.grid, w.block) {
			(Some(grid), Some(block)) => product(&grid).saturating_mul(product(&block)),
			_ => return Err("workload: a cuda job needs `grid` and `block`, or `units`".into()),
		},
		(WorkloadKind::Gemm, None) => match (w.m, w.n, w.k) {
			(Some(m), Some(n), Some(k)) => product(&[m, n, k]),
			_ => return Err("workload: a gemm job needs `m`, `n` and `k`, or `units`".into()),
		},
	};
	if units == 0 {
		return Err("workload: no work (zero units)".into());
	}
	Ok((kind, units))
}

pub fn parse_account(text: &str) -> Result<AccountId, String> {
	AccountId::from_ss58check(text)
		.map_err(|e| format!("malformed account '{text}': {e:?} (expected an SS58 address)"))
}

/// Serves the market methods from the runtime API of `client`'s blocks.
pub struct Market<C> {
	client: Arc<C>,
}

impl<C> Market<C> {
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

type Hash = <Block as BlockT>::Hash;

impl<C> Market<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: KilnMarketApi<Block, AccountId, Balance, BlockNumber>,
{
	/// Runs `read` against the runtime API at `at` (the best block by default), with the
	/// block's clock.
	fn read<R>(
		&self,
		at: Option<Hash>,
		read: impl FnOnce(&sp_api::ApiRef<'_, C::Api>, Hash) -> Result<R, sp_api::ApiError>,
	) -> RpcResult<(kiln_market_runtime_api::Clock<BlockNumber>, R)> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let api = self.client.runtime_api();
		let failed =
			|e: sp_api::ApiError| error(RUNTIME_ERROR, format!("runtime call failed: {e}"));
		let clock = api.clock(at).map_err(failed)?;
		let value = read(&api, at).map_err(failed)?;
		Ok((clock, value))
	}
}

impl<C> MarketApiServer<Hash> for Market<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: KilnMarketApi<Block, AccountId, Balance, BlockNumber>,
{
	fn open_jobs(
		&self,
		page: Option<u32>,
		page_size: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Value> {
		let page = page.unwrap_or(0);
		let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
		if page_size == 0 || page_size > MAX_PAGE_SIZE {
			return Err(invalid(format!("pageSize {page_size}: expected 1 to {MAX_PAGE_SIZE}")));
		}
		let (clock, open) = self.read(at, |api, at| api.open_jobs(at, page, page_size))?;
		let pages = open.total.div_ceil(page_size);
		if page > 0 && page >= pages {
			return Err(invalid(format!(
				"page {page} is beyond the last page ({}) of {} open jobs at {page_size} a page",
				pages.saturating_sub(1),
				open.total
			)));
		}
		let jobs: Vec<Value> = open
			.jobs
			.iter()
			.map(|(id, job, bids)| json::job_summary(&clock, *id, job, *bids))
			.collect();
		Ok(json!({
			"total": open.total,
			"page": page,
			"pageSize": page_size,
			"pages": pages,
			"jobs": jobs,
			"at": json::clock(&clock),
		}))
	}

	fn job(&self, job_id: JobId, at: Option<Hash>) -> RpcResult<Value> {
		let (clock, details) = self.read(at, |api, at| api.job(at, job_id))?;
		let details = details.ok_or_else(|| {
			error(NOT_FOUND, format!("no job {job_id}: never created, or its record was dropped"))
		})?;
		let mut value = json::job(&clock, job_id, &details);
		value["at"] = json::clock(&clock);
		Ok(value)
	}

	fn provider(&self, account: String, at: Option<Hash>) -> RpcResult<Value> {
		let who = parse_account(&account).map_err(invalid)?;
		let (clock, details) = self.read(at, |api, at| api.provider(at, who.clone()))?;
		let details = details.ok_or_else(|| {
			error(NOT_FOUND, format!("{account} is not a provider: it never bonded nor registered"))
		})?;
		let mut value = json::provider(&clock, &who, &details);
		value["at"] = json::clock(&clock);
		Ok(value)
	}

	fn quote(&self, requirements: Value, workload: Value, at: Option<Hash>) -> RpcResult<Value> {
		let requirements = parse_requirements(requirements).map_err(invalid)?;
		let (kind, units) = parse_workload(workload).map_err(invalid)?;
		let (clock, quote) =
			self.read(at, |api, at| api.quote(at, kind, units, requirements.clone()))?;
		let mut value = json::quote(&quote);
		value["requirements"] = json::requirements(&requirements);
		value["at"] = json::clock(&clock);
		Ok(value)
	}

	fn stats(&self, at: Option<Hash>) -> RpcResult<Value> {
		let (clock, stats) = self.read(at, |api, at| api.stats(at))?;
		let mut value = json::stats(&stats);
		value["at"] = json::clock(&clock);
		Ok(value)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn workloads_are_read_from_their_fields_or_units() {
		let w = |v: Value| parse_workload(v);
		assert_eq!(
			w(json!({"kind": "gemm", "m": 2, "n": 3, "k": 4})),
			Ok((WorkloadKind::Gemm, 24))
		);
		assert_eq!(w(json!({"kind": "wasm", "fuel": 7})), Ok((WorkloadKind::Wasm, 7)));
		assert_eq!(
			w(json!({"kind": "cuda", "grid": [2, 1, 1], "block": [256, 1, 1]})),
			Ok((WorkloadKind::Cuda, 512))
		);
		assert_eq!(w(json!({"kind": "cuda", "units": 9})), Ok((WorkloadKind::Cuda, 9)));
		assert!(w(json!({"kind": "gpu"})).unwrap_err().contains("unknown kind 'gpu'"));
		assert!(w(json!({"kind": "gemm", "m": 2})).unwrap_err().contains("needs `m`, `n` and `k`"));
		assert!(w(json!({"kind": "wasm", "fuel": 0})).unwrap_err().contains("zero units"));
		assert!(w(json!("gemm")).unwrap_err().starts_with("workload:"));
	}

	#[test]
	fn requirements_default_and_refuse_what_is_malformed() {
		let r = parse_requirements(json!({"backend": "cuda", "gpuCount": 2, "minComputeCapability": 8.9, "region": "DE", "minReputationPercent": 50}))
			.unwrap();
		assert_eq!((r.backend, r.gpu_count, r.min_compute_capability), (Backend::Cuda, 2, 89));
		assert_eq!((r.region, r.min_reputation), (Some(Region(*b"DE")), Perbill::from_percent(50)));
		let cpu = parse_requirements(json!({"backend": "cpu"})).unwrap();
		assert_eq!((cpu.gpu_count, cpu.region), (0, None));
		let err = |v: Value| parse_requirements(v).unwrap_err();
		assert!(err(json!({"backend": "tpu"})).contains("unknown backend 'tpu'"));
		assert!(err(json!({"backend": "cpu", "region": "de"})).contains("upper-case"));
		assert!(err(json!({"backend": "cpu", "gpus": 1})).contains("unknown field `gpus`"));
		assert!(err(json!({"backend": "cpu", "minReputationPercent": 120})).contains("0 to 100"));
		assert!(err(json!({})).contains("missing field `backend`"));
	}

	#[test]
	fn accounts_must_be_ss58() {
		let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
		assert!(parse_account(alice).is_ok());
		assert!(parse_account("5GrwvaEF").unwrap_err().contains("malformed account '5GrwvaEF'"));
		assert!(parse_account("0x1234").is_err());
	}

	#[test]
	fn blocks_carry_their_estimated_time() {
		let clock = kiln_market_runtime_api::Clock {
			block: 10,
			timestamp_ms: 1_700_000_000_000,
			block_time_ms: 6_000,
		};
		assert_eq!(
			json::block(&clock, 20),
			json!({"number": 20, "time": "2023-11-14T22:14:20Z", "past": false})
		);
		assert_eq!(json::block(&clock, 10)["past"], json!(true));
		assert_eq!(json::amount(u128::MAX), json!("340282366920938463463374607431768211455"));
	}
}
