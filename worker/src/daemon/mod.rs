//! `kiln-worker run`: the provider daemon. It follows the node's best blocks and at each one
//! compares the chain with its journal and acts on the difference: the executor steps every
//! job awarded to this worker (run, commit, reveal), the bidder bids on the open jobs it can
//! run, and the challenge duty answers hardware challenges. A restart or a reconnection is
//! just another difference. When the node goes away or its head stops for two block times,
//! it reconnects with backoff, to the next configured node if there are several; a failed
//! RPC call is logged and retried at the next block, never a reason to drop a job.
//!
//! It also answers the samplings of its `Gemm` results and the spot-checks it is drawn for
//! ([`crate::poc`]).
//!
//! Jobs run in background tasks ([`runner::JobRunner`]): a long one never holds up the
//! block loop. Not yet: structured `tracing` logs.

pub mod runner;

use crate::{
	backend::{choice, wasm},
	bidder::{self, price::FloorAndMarkup, Capacity, OpenJob, Terms},
	chain::{
		self,
		view::{ChallengeOutcome, MarketJob, MarketPhase, SpotCheckView},
		AccountId, At, Connection, Submitter, Tx, Wait,
	},
	config::WorkerConfig,
	executor::{
		content::ContentCache,
		fetch::FetchPolicy,
		machine::{Action, ChainJob, Phase},
		store::OutputStore,
		Executor, Sender,
	},
	gateway,
	journal::Journal,
	metrics::Metrics,
	poc::{
		challenges::{Answer, ChallengeDuty},
		samplings::{self, SamplingDuty},
		spot_checks::{CheckAction, CheckSender, SpotCheckDuty},
	},
};
use anyhow::{Context, Result};
use kiln_primitives::{
	currency::DisplayKiln,
	job::{ContentRef, Workload},
	HardwareProfile,
};
use runner::{Fault, JobRunner, RunnerCore};
use std::{
	collections::{HashMap, HashSet},
	sync::Arc,
	time::Duration,
};

/// Everything `run` needs, from the config and the command line.
pub struct Settings {
	pub urls: Vec<String>,
	pub signer: Submitter,
	pub config: WorkerConfig,
	pub fault: Option<Fault>,
	pub backend: choice::BackendChoice,
}

/// Bids sent for one job at most (a bid the chain refused is not sent again and again).
const MAX_BID_SENDS: u32 = 2;

struct Daemon {
	signer: Submitter,
	profile: HardwareProfile,
	endpoint: String,
	cuda_usable: bool,
	max_content_bytes: u64,
	max_concurrent_jobs: u32,
	policy: FloorAndMarkup,
	executor: Executor,
	runner: JobRunner,
	challenges: ChallengeDuty,
	samplings: SamplingDuty,
	checks: SpotCheckDuty,
	metrics: Arc<Metrics>,
	shared: Arc<gateway::Shared>,
	/// Jobs bid on and not yet decided: the block of the last bid sent and how many were sent
	/// (a bid the chain does not show is sent again: the pool may have lost it).
	bid_on: HashMap<u64, (u64, u32)>,
	/// Jobs whose skip reason was logged.
	logged: HashSet<u64>,
	/// Jobs whose content could not be had or used (not bid on; not fetched again).
	unusable: HashMap<u64, String>,
	/// Jobs of ours whose end was counted.
	counted: HashSet<u64>,
	block_seconds: u64,
	/// How long outputs stay on disk after their job ended.
	retention_secs: u64,
}

/// Runs the daemon until SIGTERM or Ctrl-C.
pub async fn run(settings: Settings) -> Result<()> {
	let Settings { urls, signer, config, fault, backend } = settings;
	let section = config
		.provider
		.as_ref()
		.context("`run` needs the [provider] section of the config (the machine it registered)")?;
	let (profile, endpoint) = section.to_profile(u32::MAX)?;
	crate::detect::warn_about(&profile);
	let endpoint = String::from_utf8_lossy(&endpoint).trim_end_matches('/').to_string();
	let data_dir = config.worker.data_dir.clone();
	let journal = Journal::open(&data_dir)?;
	let store = OutputStore::open(&data_dir)?;
	let checks =
		SpotCheckDuty::new(journal.clone(), OutputStore::open_dir(data_dir.join("checks"))?);
	let metrics = Arc::new(Metrics::new()?);
	let shared = Arc::new(gateway::Shared {
		outputs: store.path(0).parent().map(|p| p.to_path_buf()).unwrap_or_default(),
		metrics: metrics.clone(),
		status: Default::default(),
	});
	let listener = tokio::net::TcpListener::bind(&config.worker.listen)
		.await
		.with_context(|| format!("cannot listen on {} ([worker] listen)", config.worker.listen))?;
	tracing::info!(
		"gateway listening on http://{} (outputs, /metrics, /health)",
		listener.local_addr().map(|a| a.to_string()).unwrap_or_default()
	);
	tokio::spawn(gateway::serve(listener, shared.clone()));

	let gemm = choice::select(backend, None)?;
	let cuda_usable = gemm.name().starts_with("cuda");
	// Cuda jobs run on the first device, compiled for its architecture.
	let cuda_arch =
		cuda_usable.then(|| crate::backend::cuda::devices().ok()).flatten().and_then(|devices| {
			devices.first().map(|d| crate::backend::cuda::job::arch(d.compute_capability))
		});
	let limits = &config.limits;
	let sandbox = wasm::Sandbox::new(wasm::Limits {
		memory: (limits.wasm_memory_mib as usize) << 20,
		output: limits.max_content_bytes.min(usize::MAX as u64) as usize,
		..Default::default()
	})?;
	let fetch = FetchPolicy {
		max_bytes: limits.max_content_bytes,
		timeout: Duration::from_secs(limits.fetch_timeout_secs),
		allow_private: limits.allow_private_addresses,
	};
	if let Some(fault) = fault {
		tracing::warn!("TEST FAULT {fault:?}: this worker returns wrong results on purpose");
	}
	let mut daemon = Daemon {
		profile,
		endpoint,
		cuda_usable,
		max_content_bytes: limits.max_content_bytes,
		max_concurrent_jobs: config.worker.max_concurrent_jobs,
		policy: config.pricing.policy()?,
		executor: Executor::new(journal, store, crate::executor::NoCrash),
		runner: JobRunner::new(RunnerCore {
			sandbox,
			gemm: Arc::from(gemm),
			content: ContentCache::open(data_dir.join("content"), fetch)?,
			cuda_arch,
			work_dir: data_dir.join("cuda"),
			fault,
			metrics: metrics.clone(),
		}),
		challenges: ChallengeDuty::new(Answer::Honest),
		samplings: SamplingDuty::default(),
		checks,
		metrics,
		shared,
		bid_on: HashMap::new(),
		logged: HashSet::new(),
		unusable: HashMap::new(),
		counted: HashSet::new(),
		block_seconds: 6,
		retention_secs: config.worker.output_retention_secs,
		signer,
	};
	tracing::info!("provider {} with {}", daemon.signer.account(), daemon.runner.core.gemm.name());

	let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
		.context("cannot handle SIGTERM")?;
	let mut attempt: u32 = 0;
	loop {
		let url = &urls[attempt as usize % urls.len()];
		let connected = tokio::select! {
			conn = chain::connect(url) => conn,
			_ = sigterm.recv() => return stop("SIGTERM"),
			_ = tokio::signal::ctrl_c() => return stop("Ctrl-C"),
		};
		match connected {
			Ok(conn) => {
				tracing::info!("connected to {url}");
				if attempt > 0 {
					daemon.metrics.reconnects.inc();
				}
				daemon.set_connected(true, url);
				let ended = tokio::select! {
					why = daemon.follow(&conn) => why,
					_ = sigterm.recv() => return stop("SIGTERM"),
					_ = tokio::signal::ctrl_c() => return stop("Ctrl-C"),
				};
				daemon.set_connected(false, url);
				tracing::warn!("lost {url}: {ended}; reconnecting");
				attempt = attempt.wrapping_add(1);
				tokio::time::sleep(Duration::from_secs(1)).await;
			},
			Err(e) => {
				let wait = Duration::from_secs(1 << attempt.min(5));
				tracing::warn!("cannot connect to {url}: {e:#}; next try in {wait:?}");
				attempt = attempt.wrapping_add(1);
				tokio::select! {
					_ = tokio::time::sleep(wait) => {},
					_ = sigterm.recv() => return stop("SIGTERM"),
					_ = tokio::signal::ctrl_c() => return stop("Ctrl-C"),
				}
			},
		}
	}
}

fn stop(signal: &str) -> Result<()> {
	tracing::info!("{signal}: stopping (everything in flight is in the journal)");
	Ok(())
}

/// The chain's phase of a job, for the executor. A job is `Ended` only once the block it
/// ended in is finalized (`finalized` is the latest finalized block): the executor then
/// journals it done, and a reorganisation of the best chain must not find a job journalled
/// done that the chain asks to reveal again. Until then it waits, as after a reveal.
fn phase(phase: &MarketPhase, finalized: u64) -> Phase {
	match phase {
		MarketPhase::Bidding => Phase::Bidding,
		MarketPhase::Awarded => Phase::Awarded,
		MarketPhase::Committed { commitment, reveal_requested } => {
			Phase::Committed { commitment: *commitment, reveal_requested: *reveal_requested }
		},
		MarketPhase::Revealed { .. } => Phase::Revealed,
		ended => match ended.ended_at() {
			Some(at) if u64::from(at) <= finalized => Phase::Ended,
			_ => Phase::Revealed,
		},
	}
}

/// Sends a job's transactions through the chain.
struct ChainSender<'a> {
	conn: &'a Connection,
	signer: &'a Submitter,
	endpoint: &'a str,
}

impl Sender for ChainSender<'_> {
	async fn commit(&mut self, job: u64, commitment: [u8; 32]) -> Result<()> {
		let tx = Tx::CommitResult { job, commitment };
		self.signer.send(self.conn, &tx, Wait::Pool).await?;
		tracing::info!(job, "job {job}: commitment sent");
		Ok(())
	}

	async fn reveal(&mut self, job: u64, hash: [u8; 32], len: u64, salt: [u8; 32]) -> Result<()> {
		let uri = format!("{}/jobs/{job}/output", self.endpoint);
		let uri = uri.into_bytes().try_into().map_err(|_| {
			anyhow::anyhow!(
				"the output URI is longer than {} bytes",
				kiln_primitives::job::MAX_URI_LEN
			)
		})?;
		let tx = Tx::RevealResult { job, output: ContentRef { hash, len, uri }, salt };
		self.signer.send(self.conn, &tx, Wait::Pool).await?;
		tracing::info!(job, "job {job}: result revealed");
		Ok(())
	}
}

impl CheckSender for ChainSender<'_> {
	async fn commit(&mut self, job: u64, commitment: [u8; 32]) -> Result<()> {
		let tx = Tx::CommitSpotCheck { job, commitment };
		self.signer.send(self.conn, &tx, Wait::Pool).await?;
		Ok(())
	}

	async fn reveal(&mut self, job: u64, answer: [u8; 32], salt: [u8; 32]) -> Result<()> {
		let tx = Tx::RevealSpotCheck { job, answer, salt };
		self.signer.send(self.conn, &tx, Wait::Pool).await?;
		Ok(())
	}
}

impl Daemon {
	fn set_connected(&self, connected: bool, url: &str) {
		self.metrics.connected.set(i64::from(connected));
		let mut status = self.shared.status.lock().unwrap_or_else(|e| e.into_inner());
		status.connected = connected;
		status.node = url.to_string();
	}

	/// Follows the best blocks until the connection fails or the head stalls; says why.
	async fn follow(&mut self, conn: &Connection) -> String {
		let mut blocks = match conn.follow_best().await {
			Ok(blocks) => blocks,
			Err(e) => return format!("{e:#}"),
		};
		// A new subscription can start with blocks older than the head (seen after a restart):
		// acting on an old state would bid on auctions long closed. Blocks more than two
		// behind the best at connection time are skipped.
		let mut last: Option<u64> = None;
		let floor = match conn.best_number().await {
			Ok(best) => best.saturating_sub(2),
			Err(e) => return format!("{e:#}"),
		};
		loop {
			let stall = Duration::from_secs(2 * self.block_seconds + 2);
			let at = match tokio::time::timeout(stall, blocks.next()).await {
				Err(_) => return format!("no new best block in {stall:?}"),
				Ok(None) => return "the node ended the block stream".into(),
				Ok(Some(Err(e))) => return format!("{e:#}"),
				Ok(Some(Ok(at))) => at,
			};
			let number = at.number();
			if number < floor {
				continue;
			}
			if last.is_some_and(|last| number != last + 1) {
				tracing::info!("best block #{} after #{}", number, last.unwrap_or_default());
			}
			last = Some(number);
			if let Err(e) = self.on_block(conn, &at).await {
				tracing::warn!("#{}: {e:#} (retrying at the next block)", at.number());
			}
		}
	}

	async fn on_block(&mut self, conn: &Connection, at: &At) -> Result<()> {
		let block = at.number();
		self.metrics.best_block.set(block as i64);
		self.shared.status.lock().unwrap_or_else(|e| e.into_inner()).best = block;
		let me = self.signer.account();
		let terms = at.market_terms().await?;
		self.block_seconds = terms.block_seconds;
		self.runner.block_seconds = terms.block_seconds;
		let jobs = at.market_jobs(&me).await?;
		let finalized = conn.finalized_number().await?;
		self.forget_gone(&jobs);
		match self.executor.expire_outputs(self.retention_secs) {
			Ok(removed) => {
				let mut status = self.shared.status.lock().unwrap_or_else(|e| e.into_inner());
				for id in removed {
					tracing::info!(
						block,
						job = id,
						"#{block}: job {id}: output removed (retention period over)"
					);
					status.settled.remove(&id);
					status.clients.remove(&id);
				}
			},
			Err(e) => tracing::warn!(block, "#{block}: cannot remove expired outputs: {e:#}"),
		}
		self.execute(conn, &me, &jobs, block, finalized).await;
		if let Err(e) = self.answer_samplings(conn, at, &me, &jobs, block).await {
			tracing::warn!(block, "#{block}: samplings: {e:#} (retrying at the next block)");
		}
		if let Err(e) = self.answer_spot_checks(conn, at, &me, &jobs, block).await {
			tracing::warn!(block, "#{block}: spot-checks: {e:#} (retrying at the next block)");
		}
		self.count_bids(&me, &jobs);
		self.bid(conn, at, &me, &jobs, terms, block).await?;
		match self.challenges.on_block(at, conn, &self.signer, self.runner.core.gemm.as_ref()).await
		{
			Ok(ended) => {
				for (_, outcome) in ended {
					let result = match outcome {
						ChallengeOutcome::Passed => "passed",
						ChallengeOutcome::Failed { .. } => "failed",
						ChallengeOutcome::Voided => "voided",
					};
					self.metrics.challenges.with_label_values(&[result]).inc();
				}
			},
			Err(e) => tracing::warn!(block, "#{block}: challenge: {e:#}"),
		}
		Ok(())
	}

	/// Steps every job awarded to this worker.
	async fn execute(
		&mut self,
		conn: &Connection,
		me: &AccountId,
		jobs: &[MarketJob],
		block: u64,
		finalized: u64,
	) {
		let mut sender = ChainSender { conn, signer: &self.signer, endpoint: &self.endpoint };
		for job in jobs {
			let Some((winner, price)) = &job.award else { continue };
			if winner != me {
				continue;
			}
			self.runner.specs.insert(job.id, job.spec.clone());
			if matches!(job.phase, MarketPhase::Committed { .. } | MarketPhase::Revealed { .. }) {
				let mut status = self.shared.status.lock().unwrap_or_else(|e| e.into_inner());
				status.clients.insert(job.id, job.client.clone());
			}
			let view = ChainJob {
				id: job.id,
				ours: true,
				phase: phase(&job.phase, finalized),
				deadline: u64::from(job.deadline),
			};
			match self.executor.step(&view, block, &mut self.runner, &mut sender).await {
				Ok(Action::Wait) => {},
				Ok(action) => {
					tracing::info!(block, job = job.id, "#{block}: job {}: {action}", job.id)
				},
				Err(e) => tracing::warn!(
					block,
					job = job.id,
					"#{block}: job {}: {e:#} (retrying at the next block)",
					job.id
				),
			}
			if job.phase.ended() && self.counted.insert(job.id) {
				self.runner.specs.remove(&job.id);
				let outcome = match job.phase {
					MarketPhase::Completed { .. } => {
						self.metrics.earned.inc_by(*price as f64 / 1e12);
						self.shared
							.status
							.lock()
							.unwrap_or_else(|e| e.into_inner())
							.settled
							.insert(job.id);
						"completed"
					},
					_ => "failed",
				};
				tracing::info!(
					block,
					job = job.id,
					"#{block}: job {}: {outcome}, price {}",
					job.id,
					DisplayKiln(*price)
				);
				self.metrics.jobs.with_label_values(&[outcome]).inc();
			}
		}
	}

	/// Forgets jobs the chain no longer holds, and the content no live job refers to.
	fn forget_gone(&mut self, jobs: &[MarketJob]) {
		let live: HashSet<u64> = jobs.iter().map(|j| j.id).collect();
		self.logged.retain(|id| live.contains(id));
		self.unusable.retain(|id, _| live.contains(id));
		self.counted.retain(|id| live.contains(id));
		// Runs of jobs that ended (or are gone) are stopped.
		let running: HashSet<u64> =
			jobs.iter().filter(|j| !j.phase.ended()).map(|j| j.id).collect();
		self.runner.forget(|id| running.contains(&id));
		let keep: HashSet<[u8; 32]> = jobs
			.iter()
			.filter(|j| !j.phase.ended())
			.flat_map(|j| match &j.spec.workload {
				Workload::Wasm { module, input, .. } => vec![module.hash, input.hash],
				Workload::Cuda { source, input, .. } => vec![source.hash, input.hash],
				Workload::Gemm { .. } => vec![],
			})
			.collect();
		if let Err(e) = self.runner.core.content.retain(&keep) {
			tracing::warn!("cannot clean the content cache: {e:#}");
		}
	}

	/// Counts the bids that were decided.
	fn count_bids(&mut self, me: &AccountId, jobs: &[MarketJob]) {
		for job in jobs {
			if !self.bid_on.contains_key(&job.id) {
				continue;
			}
			let decided = match &job.award {
				Some((winner, _)) => Some(if winner == me { "won" } else { "lost" }),
				None if job.phase.ended() => Some("lost"),
				None => None,
			};
			if let Some(outcome) = decided {
				self.metrics.bids.with_label_values(&[outcome]).inc();
				self.bid_on.remove(&job.id);
			}
		}
	}

	async fn bid(
		&mut self,
		conn: &Connection,
		at: &At,
		me: &AccountId,
		jobs: &[MarketJob],
		terms: Terms,
		block: u64,
	) -> Result<()> {
		let open: Vec<&MarketJob> = jobs
			.iter()
			.filter(|j| j.phase == MarketPhase::Bidding && u64::from(j.bidding_ends) > block)
			.filter(|j| !self.unusable.contains_key(&j.id))
			.filter(|j| {
				j.our_bid.is_none()
					&& self.bid_on.get(&j.id).is_none_or(|(at, sent)| {
						*sent < MAX_BID_SENDS
							&& block >= at + crate::executor::machine::RESEND_AFTER
					})
			})
			.collect();
		if open.is_empty() {
			return Ok(());
		}
		let ledger = at.ledger(me).await?.unwrap_or_default();
		let in_flight = jobs
			.iter()
			.filter(|j| j.award.as_ref().is_some_and(|(w, _)| w == me) && !j.phase.ended())
			.count() as u32;
		let mut capacity = Capacity {
			profile: self.profile.clone(),
			cuda_usable: self.cuda_usable,
			max_content_bytes: self.max_content_bytes,
			free_collateral: ledger.active.saturating_sub(ledger.locked),
			in_flight: in_flight + self.bid_on.len() as u32,
			max_concurrent_jobs: self.max_concurrent_jobs,
		};
		for job in open {
			let open = OpenJob { id: job.id, spec: job.spec.clone(), our_bid: job.our_bid };
			let decision = bidder::decide(&open, &capacity, &terms, &self.policy)
				.map_err(|s| (s.to_string(), s.kind()));
			// Only a job whose content is here and usable is bid on (fetched now, kept for
			// the run: a client cannot take it away after the award).
			let decision = match decision {
				Ok(price) => match self.runner.core.prepare(&job.spec).await {
					Ok(()) => Ok(price),
					Err(reason) => {
						// One line in the log (compilers' messages span several).
						let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
						self.unusable.insert(job.id, reason.clone());
						Err((reason, "content"))
					},
				},
				Err(skip) => Err(skip),
			};
			match decision {
				Ok(price) => {
					let tx = Tx::PlaceBid { job: job.id, price };
					match self.signer.send(conn, &tx, Wait::Pool).await {
						Ok(_) => {
							tracing::info!(
								block,
								job = job.id,
								"#{block}: job {}: bid {}",
								job.id,
								DisplayKiln(price)
							);
							self.metrics.bids.with_label_values(&["placed"]).inc();
							let sent = self.bid_on.get(&job.id).map_or(0, |(_, n)| *n);
							self.bid_on.insert(job.id, (block, sent + 1));
							capacity.in_flight += 1;
							// The deposit is locked now, the collateral at the award: count
							// the larger against the next bids.
							let collateral =
								terms.collateral(price).unwrap_or(u128::MAX).max(terms.bid_deposit);
							capacity.free_collateral =
								capacity.free_collateral.saturating_sub(collateral);
						},
						Err(e) => {
							self.metrics.bids.with_label_values(&["failed"]).inc();
							tracing::warn!(
								block,
								job = job.id,
								"#{block}: job {}: the bid was not accepted: {e:#}",
								job.id
							);
						},
					}
				},
				Err((reason, kind)) => {
					// Logged and counted once per job; decided again at each block (room,
					// collateral or balance may come).
					if self.logged.insert(job.id) {
						tracing::info!(
							block,
							job = job.id,
							"#{block}: job {}: not bidding: {reason}",
							job.id
						);
						self.metrics.skipped.with_label_values(&[kind]).inc();
					}
				},
			}
		}
		Ok(())
	}

	/// Opens the entries the chain drew from this worker's revealed `Gemm` results.
	async fn answer_samplings(
		&mut self,
		conn: &Connection,
		at: &At,
		me: &AccountId,
		jobs: &[MarketJob],
		block: u64,
	) -> Result<()> {
		let sampled = jobs.iter().any(|j| {
			matches!(j.phase, MarketPhase::Revealed { settles_at: None, .. })
				&& matches!(j.spec.workload, Workload::Gemm { .. })
				&& j.award.as_ref().is_some_and(|(w, _)| w == me)
		});
		if !sampled {
			return Ok(());
		}
		let open = at.job_samplings(me).await?;
		self.samplings.retain(&open);
		for sampling in self.samplings.due(&open, block) {
			let (job, id) = (sampling.job, sampling.challenge);
			let opened = match self.executor.store().get(job)? {
				None => Err("its output is gone".to_string()),
				Some(bytes) => samplings::openings(&bytes, &sampling.root, &sampling.indices),
			};
			let openings = match opened {
				Ok(openings) => openings,
				Err(e) => {
					tracing::warn!(
						block,
						job,
						"#{block}: job {job}: cannot answer its sampling: {e}"
					);
					self.metrics.samplings.with_label_values(&["failed"]).inc();
					self.samplings.give_up(id);
					continue;
				},
			};
			let count = openings.len();
			self.signer.send(conn, &Tx::RevealChallenge { id, openings }, Wait::Pool).await?;
			self.samplings.sent(id, block);
			self.metrics.samplings.with_label_values(&["revealed"]).inc();
			tracing::info!(
				block,
				job,
				"#{block}: job {job}: sampled; revealed {count} openings (challenge {id})"
			);
		}
		Ok(())
	}

	/// Answers the spot-checks this worker is drawn for, and its disputes as a provider.
	async fn answer_spot_checks(
		&mut self,
		conn: &Connection,
		at: &At,
		me: &AccountId,
		jobs: &[MarketJob],
		block: u64,
	) -> Result<()> {
		let views: Vec<SpotCheckView> = at.spot_checks(me).await?;
		self.checks.retain(&views)?;
		let mut sender = ChainSender { conn, signer: &self.signer, endpoint: &self.endpoint };
		for view in &views {
			let Some(job) = jobs.iter().find(|j| j.id == view.job) else { continue };
			if !view.as_provider {
				self.runner.specs.insert(job.id, job.spec.clone());
			}
			let role = if view.as_provider { "as its provider" } else { "as a verifier" };
			let own = self.executor.store();
			match self.checks.step(view, block, &mut self.runner, own, &mut sender).await {
				Ok(CheckAction::Wait) => {},
				Ok(action) => {
					let step = match &action {
						CheckAction::Execute if self.checks.checks().path(job.id).exists() => {
							"executed"
						},
						CheckAction::Execute => "unavailable",
						CheckAction::Commit | CheckAction::SendCommit { .. } => "committed",
						CheckAction::Reveal { .. } => "revealed",
						CheckAction::Lost | CheckAction::Wait => "lost",
					};
					self.metrics.spot_checks.with_label_values(&[step]).inc();
					let round = if view.nonce.is_some() { "dispute" } else { "spot-check" };
					tracing::info!(
						block,
						job = job.id,
						"#{block}: job {}: {round} {role}: {step}",
						job.id
					);
				},
				Err(e) => tracing::info!(
					block,
					job = job.id,
					"#{block}: job {}: spot-check {role}: {e:#}",
					job.id
				),
			}
			if !view.as_provider {
				// Another provider's job: its spec is put back at the next block if needed.
				self.runner.specs.remove(&view.job);
			}
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_job_is_ended_for_the_executor_only_once_its_end_is_finalized() {
		let completed = MarketPhase::Completed { at: 10 };
		assert_eq!(phase(&completed, 9), Phase::Revealed, "ended in a block not yet final");
		assert_eq!(phase(&completed, 10), Phase::Ended);
		assert_eq!(phase(&MarketPhase::Failed { at: 3 }, 12), Phase::Ended);
		assert_eq!(phase(&MarketPhase::Expired { at: 13 }, 12), Phase::Revealed);
		assert_eq!(phase(&MarketPhase::Awarded, 12), Phase::Awarded);
	}
}
