//! Executing the jobs awarded to this worker. At each block, for each such job, the
//! [`Executor`] compares the chain's view with the journal's record and takes the one action
//! [`machine::next_action`] decides: run the job and store its output, journal a salt and send
//! the commitment, reveal when the chain asks, or record the end. Every step that a later
//! transaction depends on is journalled before that transaction is sent, so a worker killed
//! anywhere and restarted never commits twice, never loses a salt it committed to and never
//! recomputes an output it journalled (the crash-point test kills it at every step in turn).

pub mod fetch;
pub mod machine;
pub mod store;

use crate::journal::{Journal, Kind};
use anyhow::Result;
use kiln_primitives::job::result_commitment;
use machine::{next_action, Action, ChainJob, JobStep, Sent};
use std::collections::HashMap;
use store::OutputStore;

/// Runs a job: fetches its inputs and computes the output's bytes, or says why it cannot
/// (a clear reason, journalled as the job's abandonment).
#[allow(async_fn_in_trait)]
pub trait Runner {
	async fn run(&mut self, job: u64) -> std::result::Result<Vec<u8>, String>;
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
					Ok(bytes) => {
						self.crash.at("before store")?;
						let (output_hash, output_len) = self.store.put(id, &bytes)?;
						self.crash.at("before journal computed")?;
						self.journal.put(
							Kind::Job,
							id,
							&JobStep::Computed { output_hash, output_len },
						)?;
					},
					Err(reason) => {
						println!("job {id}: abandoned: {reason}");
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
				self.journal.put(Kind::Job, id, &JobStep::Done { outcome: "ended".into() })?;
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
