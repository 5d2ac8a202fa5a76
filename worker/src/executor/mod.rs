//! Executing the jobs awarded to this worker. At each block, for each such job, the
//! [`Executor`] compares the chain's view with the journal's record and takes the one action
//! [`machine::next_action`] decides: run the job and store its output, journal a salt and send
//! the commitment, reveal when the chain asks, or record the end. Every step that a later
//! transaction depends on is journalled before that transaction is sent, so a worker killed
//! anywhere and restarted never commits twice, never loses a salt it committed to and never
//! recomputes an output it journalled (the crash-point test kills it at every step in turn).

pub mod content;
pub mod fetch;
pub mod machine;
pub mod store;

use crate::journal::{Journal, Kind};
use anyhow::Result;
use kiln_primitives::job::result_commitment;
use machine::{next_action, Action, ChainJob, JobStep, Sent};
use std::collections::HashMap;
use store::OutputStore;

/// A job's output: its bytes and the hash the chain knows it by (blake2-256 of the bytes,
/// or for a `Gemm` job the Merkle root of C).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
	pub bytes: Vec<u8>,
	pub hash: [u8; 32],
}

impl Output {
	/// Bytes known by their blake2-256 (every workload but `Gemm`).
	pub fn plain(bytes: Vec<u8>) -> Self {
		let hash = sp_crypto_hashing::blake2_256(&bytes);
		Self { bytes, hash }
	}
}

/// Where a job's run stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Run {
	/// Still computing (in the background): ask again at a later block.
	Running,
	Done(Output),
	/// It cannot run, for this reason (journalled as the job's abandonment).
	Failed(String),
}

impl From<std::result::Result<Output, String>> for Run {
	fn from(result: std::result::Result<Output, String>) -> Self {
		match result {
			Ok(output) => Run::Done(output),
			Err(reason) => Run::Failed(reason),
		}
	}
}

/// Runs a job: fetches its inputs and computes the output, or says why it cannot. A runner
/// may compute in the background and answer [`Run::Running`] until the output is there, so a
/// long job never holds up the worker's other duties.
#[allow(async_fn_in_trait)]
pub trait Runner {
	async fn run(&mut self, job: u64) -> Run;
}

/// Sends a job's transactions. An error (a failed RPC call) is retried at a later block.
#[allow(async_fn_in_trait)]
pub trait Sender {
	async fn commit(&mut self, job: u64, commitment: [u8; 32]) -> Result<()>;
	async fn reveal(
		&mut self,
		job: u64,
		output_hash: [u8; 32],
		output_len: u64,
		salt: [u8; 32],
	) -> Result<()>;
}

/// Where a test stops the worker, as a kill would: `at` fails at the chosen point. The
/// daemon uses [`NoCrash`].
pub trait CrashPoints {
	fn at(&mut self, point: &'static str) -> Result<()>;
}

pub struct NoCrash;

impl CrashPoints for NoCrash {
	fn at(&mut self, _: &'static str) -> Result<()> {
		Ok(())
	}
}

pub struct Executor<C: CrashPoints = NoCrash> {
	journal: Journal,
	store: OutputStore,
	sent: HashMap<u64, Sent>,
	crash: C,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
	std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A fresh random salt (from the operating system).
pub fn random_salt() -> Result<[u8; 32]> {
	let mut salt = [0u8; 32];
	getrandom::getrandom(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
	Ok(salt)
}

impl<C: CrashPoints> Executor<C> {
	pub fn new(journal: Journal, store: OutputStore, crash: C) -> Self {
		Self { journal, store, sent: HashMap::new(), crash }
	}

	pub fn store(&self) -> &OutputStore {
		&self.store
	}

	/// Removes the outputs (and journal records) of jobs that ended more than
	/// `retention_secs` ago; returns their ids.
	pub fn expire_outputs(&mut self, retention_secs: u64) -> Result<Vec<u64>> {
		let now = unix_now();
		let mut removed = Vec::new();
		for (id, step) in self.journal.all::<JobStep>(Kind::Job)? {
			if machine::expired(&step, now, retention_secs) {
				self.store.remove(id)?;
				self.journal.remove(Kind::Job, id)?;
				self.sent.remove(&id);
				removed.push(id);
			}
		}
		Ok(removed)
	}

	/// Notes that `record`'s commitment was sent at `block`, in memory and in the journal (so a
	/// restarted worker does not send it again at once).
	fn commit_sent(&mut self, id: u64, record: JobStep, block: u64) -> Result<()> {
		self.sent.insert(id, Sent::Commit { at: block });
		if let JobStep::Committing { output_hash, output_len, salt, .. } = record {
			let sent_at = Some(block);
			let record = JobStep::Committing { output_hash, output_len, salt, sent_at };
			self.journal.put(Kind::Job, id, &record)?;
		}
		Ok(())
	}

	/// Takes the next action for `job` at block `block`; returns what it did.
	pub async fn step(
		&mut self,
		job: &ChainJob,
		block: u64,
		runner: &mut impl Runner,
		sender: &mut impl Sender,
	) -> Result<Action> {
		let id = job.id;
		let step: Option<JobStep> = self.journal.get(Kind::Job, id)?;
		let action = next_action(job, step.as_ref(), self.sent.get(&id).copied(), block);
		match &action {
			Action::Wait | Action::Lost => {},
			Action::Execute => {
				self.crash.at("before run")?;
				match runner.run(id).await {
					Run::Running => return Ok(Action::Wait),
					Run::Done(output) => {
						self.crash.at("before store")?;
						let output_len = self.store.put(id, &output.bytes)?;
						let output_hash = output.hash;
						self.crash.at("before journal computed")?;
						self.journal.put(
							Kind::Job,
							id,
							&JobStep::Computed { output_hash, output_len },
						)?;
					},
					Run::Failed(reason) => {
						tracing::warn!(job = id, "job {id}: abandoned: {reason}");
						self.journal.put(Kind::Job, id, &JobStep::Abandoned { reason })?;
					},
				}
			},
			Action::Commit { output_hash, output_len } => {
				let salt = random_salt()?;
				self.crash.at("before journal committing")?;
				let record = JobStep::Committing {
					output_hash: *output_hash,
					output_len: *output_len,
					salt,
					sent_at: None,
				};
				self.journal.put(Kind::Job, id, &record)?;
				self.crash.at("before send commit")?;
				sender.commit(id, result_commitment(output_hash, &salt)).await?;
				self.commit_sent(id, record, block)?;
			},
			Action::SendCommit { commitment } => {
				self.crash.at("before send commit")?;
				sender.commit(id, *commitment).await?;
				if let Some(record) = step {
					self.commit_sent(id, record, block)?;
				}
			},
			Action::Reveal { output_hash, output_len, salt } => {
				self.crash.at("before send reveal")?;
				sender.reveal(id, *output_hash, *output_len, *salt).await?;
				self.sent.insert(id, Sent::Reveal { at: block });
			},
			Action::Finish => {
				self.crash.at("before journal done")?;
				let done = JobStep::Done { outcome: "ended".into(), ended_unix: unix_now() };
				self.journal.put(Kind::Job, id, &done)?;
				self.sent.remove(&id);
			},
			Action::TooLate => {
				let reason = "the deadline passed before a commitment".to_string();
				self.journal.put(Kind::Job, id, &JobStep::Abandoned { reason })?;
			},
		}
		Ok(action)
	}
}

#[cfg(test)]
mod tests;
