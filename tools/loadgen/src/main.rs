//! `kiln-loadgen`: Kiln's chain throughput load generator (run by `scripts/bench.sh`).
//!
//! Against a node (a fresh `kiln-node --dev`): derives `--accounts` senders, funds them (and,
//! for `bids`, bonds and registers each as a provider and creates the jobs they bid on), then
//! pre-signs the whole measured load (`--txs` transactions, nonces in order, immortal), sends
//! it round by round while keeping at most `--window` transactions outside finalized blocks,
//! and counts it from the finalized blocks that include it ([`count`]): per-block counts,
//! dispatch successes, block weight, tx/s.
//!
//! - `transfers`: `Balances.transfer_keep_alive` from each sender to the next.
//! - `bids`: new bids. `Market.place_bid` from each provider on a job it has not bid on yet
//!   (as many jobs as rounds, each ending with a bid from every provider), so every bid
//!   locks a deposit and grows a job's list: what an auction sees.
//! - `rebids`: `Market.place_bid` from each provider on `--jobs` jobs in turn, each bid cheaper
//!   than its last on that job: after the first round on a job, every bid replaces one.
//! - `jobs`: `Market.create_job` from every sender, the bidding and execution periods spread
//!   (as a population of clients spreads them), so that the agendas have room.
//! - `results`: two loads on jobs awarded to the providers ([`results`]): every winner's
//!   `Market.commit_result`, then every `Market.reveal_result`; one summary line each.

mod count;
mod results;

use anyhow::{anyhow, bail, ensure, Context, Result};
use clap::Parser;
use count::{summarize, BlockRecord};
use futures::future::join_all;
use kiln_primitives::{
	currency::KILN,
	hardware::{Backends, HardwareProfile, Region, Requirements},
	job::{JobSpec, Workload},
};
use kiln_worker::chain::{self, kiln, Connection, KilnConfig};
use std::{collections::HashSet, sync::Arc, time::Duration};
use subxt::{
	client::OnlineClientAtBlock, config::DefaultExtrinsicParamsBuilder, transactions::Payload,
	utils::H256,
};
use subxt_signer::sr25519::Keypair;
use tokio::sync::mpsc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Scenario {
	Transfers,
	Bids,
	Rebids,
	Jobs,
	Results,
}

/// Sends a pre-signed load to a Kiln node and counts it from the blocks.
#[derive(Parser, Debug)]
struct Args {
	/// The node's WebSocket RPC endpoint.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	url: String,
	#[arg(long, value_enum)]
	scenario: Scenario,
	/// Sending accounts (for `bids`, providers: at most 32, the bids a job holds).
	#[arg(long, default_value_t = 32)]
	accounts: u32,
	/// Transactions in the measured load.
	#[arg(long, default_value_t = 6_000)]
	txs: u32,
	/// Most of the load's transactions in the pool at once, counted until their block is
	/// finalized (a dev node's pool holds 8 192).
	#[arg(long, default_value_t = 6_000)]
	window: u32,
	/// The account that funds the senders and creates the jobs.
	#[arg(long, default_value = "//Alice")]
	funder: String,
	/// Jobs the providers bid on (`rebids`; `bids` makes one per round, `results` one per
	/// provider per round).
	#[arg(long, default_value_t = 16)]
	jobs: u32,
	/// Print the summary as one JSON object.
	#[arg(long)]
	json: bool,
}

/// The event a setup transaction is checked by.
const SUCCESS: (&str, &str) = ("System", "ExtrinsicSuccess");

/// A signed transaction ready to send.
struct Signed {
	bytes: Vec<u8>,
	hash: H256,
}

/// The connection and the block signatures are made against (immortal: only the genesis
/// hash and the runtime version enter the signed payload).
struct Load {
	conn: Connection,
	/// The follower opens its own connection here, so sending never holds up reading.
	url: String,
	at: OnlineClientAtBlock<KilnConfig>,
	slot_ms: u64,
}

impl Load {
	fn sign<Call: Payload>(&self, key: &Keypair, nonce: u64, call: &Call) -> Result<Signed> {
		let params =
			DefaultExtrinsicParamsBuilder::<KilnConfig>::new().nonce(nonce).immortal().build();
		let mut signable = self
			.at
			.transactions()
			.create_signable_offline(call, params)
			.context("cannot build the transaction")?;
		let signed = signable.sign(key).context("cannot sign the transaction")?;
		Ok(Signed { bytes: signed.encoded().to_vec(), hash: signed.hash() })
	}

	/// What block `number` holds of `ours`; `effect` is the (pallet, event) the load exists
	/// to cause.
	async fn record(
		&self,
		number: u64,
		ours: &HashSet<H256>,
		effect: (&str, &str),
	) -> Result<BlockRecord> {
		let at =
			self.conn.api.at_block(number).await.with_context(|| format!("block #{number}"))?;
		let extrinsics = at.extrinsics().fetch().await.context("the block's extrinsics")?;
		let mut indices = HashSet::new();
		for ext in extrinsics.iter() {
			let ext = ext.context("an extrinsic")?;
			if ours.contains(&ext.hash()) {
				indices.insert(ext.index() as u32);
			}
		}
		let (mut succeeded, mut effects) = (0, 0);
		if !indices.is_empty() {
			let events = at.events().fetch().await.context("the block's events")?;
			for event in events.iter() {
				let event = event.context("an event")?;
				if let subxt::events::Phase::ApplyExtrinsic(i) = event.phase() {
					if indices.contains(&i) {
						let name = (event.pallet_name(), event.event_name());
						succeeded += u32::from(name == ("System", "ExtrinsicSuccess"));
						effects += u32::from(name == effect);
					}
				}
			}
		}
		let (weight, total_weight) = at
			.storage()
			.try_fetch(kiln::storage().system().block_weight(), ())
			.await?
			.map(|v| v.decode())
			.transpose()?
			.map_or((0, 0), |w| {
				let total = w.normal.ref_time + w.operational.ref_time + w.mandatory.ref_time;
				(w.normal.ref_time, total)
			});
		let timestamp_ms = at
			.storage()
			.try_fetch(kiln::storage().timestamp().now(), ())
			.await?
			.map(|v| v.decode())
			.transpose()?
			.unwrap_or(0);
		let limits = at.constants().entry(kiln::constants().system().block_weights())?;
		let normal_max =
			limits.per_class.normal.max_total.map_or(limits.max_block.ref_time, |w| w.ref_time);
		Ok(BlockRecord {
			number,
			timestamp_ms,
			extrinsics: extrinsics.len() as u32,
			ours: indices.len() as u32,
			succeeded,
			effects,
			normal_weight: weight,
			normal_max,
			total_weight,
		})
	}

	/// Sends `txs` (at most `window` not yet in a finalized block) and follows the finalized
	/// blocks until all are included or four blocks pass without any more: the records of every block from the one
	/// before the first send on, and how many the pool refused.
	async fn send_and_count(
		&self,
		txs: Vec<Signed>,
		window: u32,
		batch: usize,
		what: &str,
		effect: (&'static str, &'static str),
	) -> Result<(Vec<BlockRecord>, u64)> {
		let ours: Arc<HashSet<H256>> = Arc::new(txs.iter().map(|t| t.hash).collect());
		// Finalized blocks only: a transaction stays in the node's pool, counting against its
		// limit, until its block is finalized, so the window closes on finality.
		let start = self.conn.finalized_number().await?;
		let (sender, mut receiver) = mpsc::unbounded_channel::<Result<BlockRecord>>();
		let follower = {
			let load = Self {
				conn: chain::connect(&self.url).await?,
				url: self.url.clone(),
				at: self.at.clone(),
				slot_ms: self.slot_ms,
			};
			let ours = ours.clone();
			tokio::spawn(async move {
				let mut next = start;
				loop {
					let best = match load.conn.finalized_number().await {
						Ok(best) => best,
						Err(e) => {
							let _ = sender.send(Err(e));
							return;
						},
					};
					while next <= best {
						let record = load.record(next, &ours, effect).await;
						if sender.send(record).is_err() {
							return;
						}
						next += 1;
					}
					tokio::time::sleep(Duration::from_millis(300)).await;
				}
			})
		};
		let mut records: Vec<BlockRecord> = Vec::new();
		let mut included = 0u64;
		let mut refused = 0u64;
		let mut sent = 0u64;
		let total = txs.len() as u64;
		// One batch at a time, each batch sent at once: a batch holds at most one transaction
		// per account (a round of nonces), so every transaction reaches the pool after its
		// predecessor. Out of order, later nonces wait in the pool's small "future" queue, and
		// whatever overflows it is dropped, leaving a hole no later nonce gets past.
		for batch in txs.chunks(batch.max(1)) {
			while sent.saturating_sub(included + refused) + batch.len() as u64 > u64::from(window) {
				let record = receiver
					.recv()
					.await
					.ok_or_else(|| anyhow!("the block follower stopped"))??;
				included += u64::from(record.ours);
				records.push(record);
			}
			let results =
				join_all(batch.iter().map(|tx| self.conn.rpc.author_submit_extrinsic(&tx.bytes)))
					.await;
			for result in results {
				if let Err(e) = result {
					refused += 1;
					if refused <= 3 {
						eprintln!("{what}: the pool refused a transaction: {e}");
					}
				}
			}
			sent += batch.len() as u64;
		}
		let mut quiet_blocks = 0;
		while included + refused < total && quiet_blocks < 4 {
			let record =
				receiver.recv().await.ok_or_else(|| anyhow!("the block follower stopped"))??;
			quiet_blocks = if record.ours == 0 { quiet_blocks + 1 } else { 0 };
			included += u64::from(record.ours);
			records.push(record);
		}
		follower.abort();
		Ok((records, refused))
	}
}

fn key(uri: &str) -> Result<Keypair> {
	let parsed: subxt_signer::SecretUri =
		uri.parse().map_err(|e| anyhow!("bad secret URI {uri}: {e}"))?;
	Keypair::from_uri(&parsed).map_err(|e| anyhow!("cannot derive {uri}: {e}"))
}

/// Sends `txs`, checks every one of them dispatched successfully, and says how long it took.
async fn setup(load: &Load, txs: Vec<Signed>, what: &str) -> Result<()> {
	let total = txs.len() as u64;
	let (records, refused) = load.send_and_count(txs, 6_000, 64, what, SUCCESS).await?;
	let summary = summarize(total, &records, load.slot_ms);
	ensure!(
		refused == 0 && summary.succeeded == total,
		"setup step `{what}`: {} of {total} succeeded ({} refused by the pool, {} failed)",
		summary.succeeded,
		refused,
		summary.failed
	);
	eprintln!("setup: {what}: {total} transactions in {} blocks", summary.blocks);
	Ok(())
}

async fn next_nonce(load: &Load, key: &Keypair) -> Result<u64> {
	let account = key.public_key().to_account_id();
	Ok(load
		.conn
		.rpc
		.system_account_next_index(&account)
		.await
		.context("system_accountNextIndex")?)
}

/// Funds every sender with `amount` from the funder.
async fn fund(load: &Load, funder: &Keypair, senders: &[Keypair], amount: u128) -> Result<()> {
	let nonce = next_nonce(load, funder).await?;
	let txs = senders
		.iter()
		.enumerate()
		.map(|(i, s)| {
			let call = kiln::transactions()
				.balances()
				.transfer_keep_alive(s.public_key().to_account_id().into(), amount);
			load.sign(funder, nonce + i as u64, &call)
		})
		.collect::<Result<Vec<_>>>()?;
	setup(load, txs, "fund the senders").await
}

/// A CPU GEMM job open for bids for `bidding_blocks`.
fn job_spec(max_price: u128, bidding_blocks: u32, execution_blocks: u32) -> JobSpec<u128, u32> {
	JobSpec {
		workload: Workload::Gemm { m: 64, n: 64, k: 64, seed: [7; 32] },
		requirements: Requirements::any_cpu(),
		max_price,
		bidding_blocks,
		execution_blocks,
	}
}

fn create_job(spec: JobSpec<u128, u32>) -> impl Payload {
	subxt::transactions::dynamic("Market", "create_job", (subxt::utils::Static(spec),))
}

/// Jobs per block of auction closes when the load's jobs are set up: each job takes two of a
/// block's `MaxJobsPerBlock` (32) agenda entries, its close and its deadline (20 blocks on,
/// where later jobs close), so 4 leaves room for jobs set up over four blocks.
const JOBS_PER_CLOSE: u32 = 4;

/// What each provider of the market loads bonds.
const BOND: u128 = 500 * KILN;

/// Bonds and registers every sender as a CPU provider, then has the funder create `jobs` jobs
/// they may bid on (by default their closes spread, [`JOBS_PER_CLOSE`] to a block, all after
/// the load; `spec` for others); returns the jobs' ids and their price ceiling.
async fn market(
	load: &Load,
	funder: &Keypair,
	providers: &[Keypair],
	jobs: u32,
	spec: Option<&dyn Fn(u32) -> JobSpec<u128, u32>>,
) -> Result<(Vec<u64>, u128)> {
	let mut txs = Vec::new();
	for (i, p) in providers.iter().enumerate() {
		// Each standing bid locks its deposit (1 KILN) of this bond, and each needs the job
		// collateral of a 1 KILN bid (6 KILN) free besides: 500 KILN carry 490 standing bids.
		txs.push(load.sign(p, 0, &kiln::transactions().collateral().bond(BOND))?);
		let profile = HardwareProfile {
			gpus: Default::default(),
			cpu_cores: 2,
			ram_mib: 4096,
			region: Region(*b"EU"),
			backends: Backends { cuda: false, cpu: true },
		};
		let endpoint = format!("http://127.0.0.1:1/load/{i}").into_bytes();
		let call = kiln::transactions().providers().register(
			chain::tx::profile(&profile),
			kiln::runtime_types::bounded_collections::bounded_vec::BoundedVec(endpoint),
		);
		txs.push(load.sign(p, 1, &call)?);
	}
	setup(load, txs, "bond and register the providers").await?;

	// The next job's id is the count of jobs created.
	let first = load
		.at_best()
		.await?
		.storage()
		.try_fetch(kiln::storage().market().totals(), ())
		.await?
		.map(|v| v.decode())
		.transpose()?
		.map_or(0, |totals| totals.jobs_created);
	let max_price = KILN;
	// The bidding period is at most 600 blocks (an hour).
	ensure!(
		spec.is_some() || jobs <= 300 * JOBS_PER_CLOSE,
		"at most {} jobs",
		300 * JOBS_PER_CLOSE
	);
	let nonce = next_nonce(load, funder).await?;
	let txs = (0..jobs)
		.map(|j| {
			let spec = match spec {
				Some(spec) => spec(j),
				None => job_spec(max_price, 300 + j / JOBS_PER_CLOSE, 20),
			};
			load.sign(funder, nonce + u64::from(j), &create_job(spec))
		})
		.collect::<Result<Vec<_>>>()?;
	setup(load, txs, "create the jobs").await?;
	Ok(((first..first + u64::from(jobs)).collect(), max_price))
}

impl Load {
	async fn at_best(&self) -> Result<OnlineClientAtBlock<KilnConfig>> {
		let best = self.conn.best_number().await?;
		Ok(self.conn.api.at_block(best).await?)
	}
}

#[tokio::main]
async fn main() -> Result<()> {
	let args = Args::parse();
	ensure!(
		args.accounts > 0 && args.txs >= args.accounts,
		"--txs must be at least --accounts (> 0)"
	);
	let conn = chain::connect(&args.url).await?;
	let at = conn.api.at_current_block().await.context("cannot read the finalized block")?;
	let slot_ms = 6_000;
	let load = Load { conn, url: args.url.clone(), at, slot_ms };
	let funder = key(&args.funder)?;
	let scenario = format!("{:?}", args.scenario).to_lowercase();
	// Fresh accounts on every run (named after the best block), so a chain can take several.
	let run = load.conn.best_number().await?;
	let senders = (0..args.accounts)
		.map(|i| key(&format!("//kiln-load//{scenario}//{run}//{i}")))
		.collect::<Result<Vec<_>>>()?;
	fund(&load, &funder, &senders, 1_000 * KILN).await?;

	let rounds = u64::from(args.txs / args.accounts);
	let one = |txs: Vec<Signed>, effect| vec![Measured { name: scenario.clone(), txs, effect }];
	let loads = match args.scenario {
		Scenario::Transfers => {
			let mut txs = Vec::new();
			for n in 0..rounds {
				for (i, s) in senders.iter().enumerate() {
					let to = senders[(i + 1) % senders.len()].public_key().to_account_id();
					let call = kiln::transactions()
						.balances()
						.transfer_keep_alive(to.into(), KILN / 1_000 + n as u128);
					txs.push(load.sign(s, n, &call)?);
				}
			}
			one(txs, ("Balances", "Transfer"))
		},
		Scenario::Bids => {
			ensure!(
				args.accounts <= 32,
				"`bids` takes at most 32 providers (the bids one job holds)"
			);
			ensure!(rounds <= 490, "`bids` takes at most 490 rounds (the bond's deposits)");
			// Round n: provider i bids on job (i + n) mod rounds, a job it has not bid on.
			let (jobs, max_price) = market(&load, &funder, &senders, rounds as u32, None).await?;
			let mut txs = Vec::new();
			for n in 0..rounds {
				for (i, p) in senders.iter().enumerate() {
					let job = jobs[(i + n as usize) % jobs.len()];
					let price = max_price - 1 - (i as u128);
					let call = kiln::transactions().market().place_bid(job, price);
					txs.push(load.sign(p, 2 + n, &call)?);
				}
			}
			one(txs, ("Market", "BidPlaced"))
		},
		Scenario::Rebids => {
			ensure!(
				args.accounts <= 32,
				"`rebids` takes at most 32 providers (the bids one job holds)"
			);
			ensure!((1..=32).contains(&args.jobs), "--jobs must be 1 to 32");
			let (jobs, max_price) = market(&load, &funder, &senders, args.jobs, None).await?;
			let mut txs = Vec::new();
			for n in 0..rounds {
				for (i, p) in senders.iter().enumerate() {
					let job = jobs[(i + n as usize) % jobs.len()];
					let call = kiln::transactions()
						.market()
						.place_bid(job, max_price - 1 - u128::from(n as u32));
					// Nonces 0 and 1 went to the bond and the registration.
					txs.push(load.sign(p, 2 + n, &call)?);
				}
			}
			one(txs, ("Market", "BidPlaced"))
		},
		Scenario::Jobs => {
			// Periods spread over their ranges (bidding 10 to 600 blocks, execution 10 to
			// 2 000), as clients with their own needs spread them, so that the agendas (32
			// entries a block, two per job) are not what limits the load.
			let mut txs = Vec::new();
			for n in 0..rounds {
				for (i, s) in senders.iter().enumerate() {
					let t = n as u32 * args.accounts + i as u32;
					let spec = job_spec(KILN / 10, 10 + t % 591, 10 + t.wrapping_mul(37) % 1_991);
					txs.push(load.sign(s, n, &create_job(spec))?);
				}
			}
			one(txs, ("Market", "JobCreated"))
		},
		Scenario::Results => {
			ensure!(
				args.accounts <= 32,
				"`results` takes at most 32 providers (the closes a block holds)"
			);
			results::loads(&load, &funder, &senders, rounds as u32).await?
		},
	};
	for measured in loads {
		measure(&load, measured, &args).await?;
	}
	Ok(())
}

/// One measured load: pre-signed transactions and the (pallet, event) each exists to cause.
struct Measured {
	name: String,
	txs: Vec<Signed>,
	effect: (&'static str, &'static str),
}

/// Sends one measured load, counts it from the blocks, prints its summary and fails when any
/// of it missed a block, failed in dispatch or did not cause its event.
async fn measure(load: &Load, measured: Measured, args: &Args) -> Result<()> {
	let Measured { name: scenario, txs, effect } = measured;
	let submitted = txs.len() as u64;
	eprintln!("load: {submitted} {scenario} pre-signed from {} accounts; sending", args.accounts);
	let (records, refused) =
		load.send_and_count(txs, args.window, args.accounts as usize, &scenario, effect).await?;
	let summary = summarize(submitted, &records, load.slot_ms);
	if args.json {
		let json = serde_json::json!({
			"scenario": scenario,
			"accounts": args.accounts,
			"refused_by_pool": refused,
			"summary": summary,
			"records": records,
		});
		println!("{json}");
	} else {
		println!(
			"{scenario}: {} of {submitted} included ({} succeeded, {} with their event, {refused} refused by the pool) in {} blocks over {:.1} s: {:.1} tx/s; per block {:?}; weight % {:?}",
			summary.included,
			summary.succeeded,
			summary.effects,
			summary.blocks,
			summary.span_s,
			summary.tx_per_s,
			summary.per_block,
			summary.weight_percent.iter().map(|w| w.round() as u32).collect::<Vec<_>>(),
		);
	}
	if summary.not_included > 0 {
		bail!(
			"{} of the load's transactions never reached a block ({refused} refused by the pool)",
			summary.not_included
		);
	}
	if summary.succeeded < summary.included {
		bail!("{} of the load's transactions failed in dispatch", summary.failed);
	}
	if summary.effects < summary.succeeded {
		bail!(
			"{} of the load's transactions succeeded without their {}.{} event",
			summary.succeeded - summary.effects,
			effect.0,
			effect.1
		);
	}
	Ok(())
}
