//! The client commands (`kiln-worker job …`): submit a job from a TOML spec (checked before
//! signing, priced from the market's quote, its inputs served with `--serve DIR` for clients
//! without a web host), follow it (`status`, `watch`), get its output checked against the
//! revealed hash (`fetch`), `cancel` it before the award and `list` the account's jobs.
//! They read the market through the node's `market_*` JSON-RPC methods and sign with the
//! client's key.

pub mod fetch;
pub mod market;
pub mod serve;
pub mod spec;
pub mod watch;

use crate::chain::{self, format_kiln, Connection, Submitter, Tx, Wait};
use anyhow::{anyhow, bail, Context, Result};
use kiln_primitives::job::{JobSpecError, Workload};
use serde_json::{json, Value};
use std::{path::PathBuf, sync::Arc, time::Duration};

/// What `job submit` needs besides the connection and the key.
#[derive(Debug)]
pub struct Submit {
	pub spec: PathBuf,
	/// Overrides the spec's `max_price`.
	pub max_price: Option<String>,
	pub serve: Option<PathBuf>,
	/// Where `--serve` listens.
	pub serve_addr: String,
	/// The URL providers reach the served files at [default: http://<serve_addr>].
	pub public_url: Option<String>,
	/// Check and price the job, print what it would lock, sign nothing.
	pub dry_run: bool,
}

fn spec_error(e: JobSpecError, terms: &chain::view::ClientTerms) -> anyhow::Error {
	match e {
		JobSpecError::ZeroPrice => anyhow!("max_price is zero"),
		JobSpecError::GemmDimension => anyhow!("a gemm dimension is 0 or above 65536"),
		JobSpecError::CudaLaunch => {
			anyhow!("a cuda launch needs non-zero grid and block sizes, an entry and an output")
		},
		JobSpecError::NoFuel => anyhow!("a wasm job needs fuel"),
		JobSpecError::EmptyUri => anyhow!("a content URI is empty"),
		JobSpecError::Window => anyhow!(
			"bidding_blocks must be {} to {} and execution_blocks {} to {} on this chain",
			terms.bidding_blocks.0,
			terms.bidding_blocks.1,
			terms.execution_blocks.0,
			terms.execution_blocks.1
		),
	}
}

/// The quote as `market_quote` gives it, for the job's workload and requirements.
async fn quote(
	conn: &Connection,
	spec: &kiln_primitives::job::JobSpec<u128, u32>,
) -> Result<Value> {
	let r = &spec.requirements;
	let requirements = json!({
		"backend": match r.backend { kiln_primitives::Backend::Cpu => "cpu", kiln_primitives::Backend::Cuda => "cuda" },
		"gpuCount": r.gpu_count,
	});
	let workload = json!({ "kind": spec.workload.kind().name(), "units": spec.workload.units() });
	market::quote(conn, requirements, workload).await
}

/// The figure a `quote±N%` price starts from: comparable jobs' median scaled to this job's
/// units, but at least the cheapest comparable job's price as paid (providers ask a minimum
/// per job, so a small job does not cost its share of a big one); else the kind's median.
fn quote_basis(quote: &Value) -> Option<(u128, String)> {
	let comparable = &quote["comparable"];
	if !comparable.is_null() {
		let median = market::amount(&comparable["median"]);
		let cheapest = market::amount(&quote["perJob"]["min"]);
		let count = &comparable["count"];
		return Some(if cheapest > median {
			(
				cheapest,
				format!("the cheapest of {count} comparable jobs, above their scaled median"),
			)
		} else {
			(median, format!("median of {count} comparable jobs, scaled to this job"))
		});
	}
	let all = &quote["all"];
	(!all.is_null()).then(|| {
		let what =
			format!("median of {} recent jobs of this kind, scaled to this job", all["count"]);
		(market::amount(&all["median"]), what)
	})
}

fn describe_quote(quote: &Value) -> String {
	let line = |key: &str, what: &str| {
		let r = &quote[key];
		if r.is_null() {
			format!("  {what}: none settled recently\n")
		} else {
			format!(
				"  {what}: {} jobs, {} to {}, median {}\n",
				r["count"],
				format_kiln(market::amount(&r["min"])),
				format_kiln(market::amount(&r["max"])),
				format_kiln(market::amount(&r["median"]))
			)
		}
	};
	format!(
		"quote for {} {} of {} work:\n{}{}",
		quote["units"],
		quote["unit"].as_str().unwrap_or("units"),
		quote["kind"].as_str().unwrap_or("?"),
		line("comparable", "comparable (same backend and GPU count)"),
		line("all", "every recent job of the kind"),
	)
}

/// `job submit`.
pub async fn submit(conn: &Connection, signer: &Submitter, args: Submit) -> Result<u64> {
	// Bind before reading the spec: the URIs name the port actually bound.
	let listener = match &args.serve {
		Some(_) => Some(
			tokio::net::TcpListener::bind(&args.serve_addr)
				.await
				.with_context(|| format!("cannot listen on {} for --serve", args.serve_addr))?,
		),
		None => None,
	};
	let serve_at = match (&args.serve, &listener) {
		(Some(dir), Some(listener)) => {
			let bound = listener.local_addr()?;
			let base = args.public_url.clone().unwrap_or_else(|| format!("http://{bound}"));
			Some(spec::ServeAt { dir: dir.clone(), base_url: base.trim_end_matches('/').into() })
		},
		_ => None,
	};
	let mut prepared = spec::load(&args.spec, serve_at.as_ref())?;
	if let Some(text) = &args.max_price {
		prepared.max_price = spec::MaxPrice::parse(text)?;
	}
	let terms = conn.at_finalized().await?.client_terms().await?;
	let quote = quote(conn, &prepared.spec).await?;
	print!("{}", describe_quote(&quote));
	let max_price = match prepared.max_price {
		spec::MaxPrice::Fixed(price) => price,
		spec::MaxPrice::Quote { percent } => {
			let (median, basis) = quote_basis(&quote).ok_or_else(|| {
				anyhow!(
					"no {} job settled recently, so there is no quote to price from: give \
					 max_price in KILN (--max-price 0.5)",
					prepared.spec.workload.kind().name()
				)
			})?;
			let price = prepared.max_price.from_quote(median);
			println!("max price: {} ({basis} {percent:+}%)", format_kiln(price));
			price
		},
	};
	prepared.spec.max_price = max_price;
	prepared
		.spec
		.validate(terms.bidding_blocks, terms.execution_blocks)
		.map_err(|e| spec_error(e, &terms))?;
	let escrow = terms.escrow(max_price).context("the escrow overflows")?;
	let deposit = terms
		.deposit(subxt::ext::codec::Encode::encoded_size(&prepared.spec))
		.context("the deposit overflows")?;
	let fee = u128::from(terms.protocol_fee_perbill) * max_price / 1_000_000_000;
	println!(
		"locks: {} in escrow (the max price {} and up to {} for verifiers), and a {} \
		 deposit for the record (back when the record is dropped)",
		format_kiln(escrow),
		format_kiln(max_price),
		format_kiln(escrow - max_price),
		format_kiln(deposit)
	);
	println!(
		"fees: the protocol takes {}% of the price (at most {}) from the provider's pay; \
		 unused escrow comes back; plus the transaction fee",
		f64::from(terms.protocol_fee_perbill) / 1e7,
		format_kiln(fee)
	);
	if args.dry_run {
		println!("dry run: nothing signed");
		return Ok(0);
	}
	let files = match &listener {
		Some(_) => Some(Arc::new(serve::Files::load(&prepared.served)?)),
		None => None,
	};
	let server = match (listener, &files) {
		(Some(listener), Some(files)) => {
			for s in &prepared.served {
				println!(
					"serving {} at {}",
					s.path.display(),
					String::from_utf8_lossy(&s.content.uri)
				);
			}
			Some(tokio::spawn(serve::serve(listener, files.clone())))
		},
		_ => None,
	};
	let (id, bidding_ends) = signer.create_job(conn, &prepared.spec).await?;
	println!("job {id} created by {}; its auction closes at #{bidding_ends}", signer.account());
	let Some(server) = server else {
		println!("follow it with: kiln-worker job watch {id}");
		return Ok(id);
	};
	// Serve until the job ends: verifiers may fetch the inputs again while it is checked.
	let outcome = watch::watch(conn, id, Duration::from_secs(2)).await;
	server.abort();
	if let Some(files) = files {
		for (name, count) in files.downloads() {
			println!("served {name}: {count} download(s)");
		}
	}
	outcome.map(|_| id)
}

/// `job status`.
pub async fn status(conn: &Connection, id: u64) -> Result<()> {
	print!("{}", watch::describe(&market::job(conn, id).await?));
	Ok(())
}

/// `job fetch`: writes the output to `to` [default: job-<id>.out].
pub async fn fetch(
	conn: &Connection,
	signer: &Submitter,
	id: u64,
	to: Option<PathBuf>,
) -> Result<()> {
	let job = market::job(conn, id).await?;
	let result = &job["result"];
	if result.is_null() {
		bail!("job {id} has no revealed result ({})", watch::state_line(&job));
	}
	let output = kiln_primitives::job::ContentRef {
		hash: spec::parse_hash(result["hash"].as_str().unwrap_or_default())?,
		len: result["len"].as_u64().context("the result has no length")?,
		uri: result["uri"]
			.as_str()
			.unwrap_or_default()
			.as_bytes()
			.to_vec()
			.try_into()
			.map_err(|_| anyhow!("the result's URI is too long"))?,
	};
	let to = to.unwrap_or_else(|| PathBuf::from(format!("job-{id}.out")));
	let uri = result["uri"].as_str().unwrap_or_default();
	let provider = job["award"]["provider"].as_str().context("the job has no award")?;
	let endpoint = market::provider(conn, provider).await?["registration"]["endpoint"]
		.as_str()
		.map(str::to_string);
	let policy = crate::executor::fetch::FetchPolicy {
		max_bytes: output.len,
		timeout: Duration::from_secs(300),
		// A private address only where the provider registered its endpoint.
		allow_private: endpoint.is_some_and(|e| fetch::same_host(uri, &e)),
	};
	let w = &job["workload"];
	let kind = match w["kind"].as_str() {
		Some("gemm") => fetch::OutputHash::GemmRoot {
			m: w["m"]
				.as_u64()
				.and_then(|m| u32::try_from(m).ok())
				.context("a gemm job without m")?,
			n: w["n"]
				.as_u64()
				.and_then(|n| u32::try_from(n).ok())
				.context("a gemm job without n")?,
		},
		_ => fetch::OutputHash::Blake2,
	};
	let bytes = fetch::fetch_output(id, &output, kind, signer, &to, &policy).await?;
	let what = match kind {
		fetch::OutputHash::Blake2 => "blake2-256",
		fetch::OutputHash::GemmRoot { .. } => "Merkle root of C",
	};
	println!(
		"job {id}: {bytes} bytes, {what} {} as revealed, written to {}",
		result["hash"].as_str().unwrap_or("?"),
		to.display()
	);
	Ok(())
}

/// `job cancel`.
pub async fn cancel(conn: &Connection, signer: &Submitter, id: u64) -> Result<()> {
	signer.send(conn, &Tx::CancelJob { job: id }, Wait::Finalized).await?;
	println!("job {id} cancelled; its escrow is refunded");
	Ok(())
}

fn phase_name(phase: &chain::view::MarketPhase) -> String {
	use chain::view::MarketPhase as P;
	match phase {
		P::Bidding => "bidding".into(),
		P::Awarded => "awarded".into(),
		P::Committed { .. } => "committed".into(),
		P::Revealed { .. } => "revealed".into(),
		P::Completed { at } => format!("completed at #{at}"),
		P::Failed { at } => format!("failed at #{at}"),
		P::Expired { at } => format!("expired at #{at}"),
		P::Cancelled { at } => format!("cancelled at #{at}"),
	}
}

/// `job list`: the jobs of `client` the chain still holds.
pub async fn list(conn: &Connection, client: &chain::AccountId) -> Result<()> {
	let at = conn.at_finalized().await?;
	println!("jobs of {client} at the finalized block #{}:", at.number());
	let mut jobs: Vec<_> =
		at.market_jobs(client).await?.into_iter().filter(|j| &j.client == client).collect();
	jobs.sort_by_key(|j| j.id);
	if jobs.is_empty() {
		println!("{client} has no jobs on chain (ended ones are dropped after the retention)");
	}
	for job in jobs {
		let kind = job.spec.workload.kind().name();
		let units = job.spec.workload.units();
		let award = job.award.map_or(String::new(), |(p, price)| {
			format!(", awarded to {p} at {}", format_kiln(price))
		});
		let gemm = matches!(job.spec.workload, Workload::Gemm { .. });
		println!(
			"job {}: {}; {kind} ({units} units{}); max price {}{award}",
			job.id,
			phase_name(&job.phase),
			if gemm { ", sampled" } else { "" },
			format_kiln(job.spec.max_price)
		);
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn range(count: u32, min: u128, median: u128) -> Value {
		json!({ "count": count, "min": min.to_string(), "median": median.to_string(), "max": "0" })
	}

	#[test]
	fn a_quote_starts_from_the_scaled_median_but_not_below_the_cheapest_job() {
		// Big jobs: the scaled median.
		let q = json!({ "comparable": range(3, 0, 500), "perJob": range(3, 100, 200), "all": range(3, 0, 500) });
		assert_eq!(quote_basis(&q).map(|(p, _)| p), Some(500));
		// A tiny job: its share of big jobs is less than any job was paid.
		let q = json!({ "comparable": range(3, 0, 2), "perJob": range(3, 100, 200), "all": range(3, 0, 2) });
		let (price, why) = quote_basis(&q).unwrap();
		assert_eq!(price, 100);
		assert!(why.contains("cheapest of 3 comparable jobs"), "{why}");
		// No comparable job: the kind's median.
		let q = json!({ "comparable": null, "perJob": null, "all": range(2, 0, 40) });
		assert_eq!(quote_basis(&q).map(|(p, _)| p), Some(40));
		let none = json!({ "comparable": null, "perJob": null, "all": null });
		assert_eq!(quote_basis(&none), None);
	}
}
