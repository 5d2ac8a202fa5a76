//! Answering spot-checks: as a verifier drawn to re-execute another provider's job, and as the
//! provider of a job in a dispute. At each block [`next_check_action`] (pure: tested without
//! a node) compares the chain's view of the check with the journal's record and decides one
//! action; [`SpotCheckDuty`] takes it.
//!
//! - First round: a verifier re-executes the job, commits `result_commitment(hash, salt)` of
//!   its output's hash, and reveals once everyone has committed. A verifier whose inputs
//!   cannot be had (a 404, a wrong hash, a module that is not Wasm) answers
//!   [`UNAVAILABLE`]: it is not paid, and never slashed for it.
//! - Dispute: every counted verifier and the provider answer `dispute_answer(output, nonce)`
//!   over the output's bytes (kept in `checks/` for a verifier, in `outputs/` for the
//!   provider), committed blind and then revealed.
//!
//! The record (output, salt and answer) is journalled before the commitment is sent, so a
//! restarted worker reveals what it committed and never commits twice; it never answers for
//! a job it did not run.

use crate::{
	chain::view::{CheckStage, SpotCheckView},
	executor::{
		machine::{Sent, RESEND_AFTER},
		random_salt,
		store::OutputStore,
		Run, Runner,
	},
	journal::{Journal, Kind},
};
use anyhow::{Context, Result};
use kiln_primitives::job::{dispute_answer, result_commitment, UNAVAILABLE};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What this worker has of a job it answers a spot-check for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckOutput {
	/// Re-executed (or, for the provider, computed): the output's hash; the bytes are stored.
	Ran { hash: [u8; 32], len: u64 },
	/// The job could not be run, for this reason: the answer is [`UNAVAILABLE`].
	Unavailable { reason: String },
}

/// One round's answer, journalled before its commitment is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundAnswer {
	/// The dispute's nonce (`None` in the first round).
	pub nonce: Option<[u8; 32]>,
	pub answer: [u8; 32],
	pub salt: [u8; 32],
	/// The block the commitment was last sent at.
	pub sent_at: Option<u64>,
}

impl RoundAnswer {
	pub fn commitment(&self) -> [u8; 32] {
		result_commitment(&self.answer, &self.salt)
	}
}

/// The journal's record of a spot-check (`Kind::Check`, by job id).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
	pub output: Option<CheckOutput>,
	pub answers: Vec<RoundAnswer>,
}

impl CheckRecord {
	fn answer(&self, nonce: Option<[u8; 32]>) -> Option<&RoundAnswer> {
		self.answers.iter().find(|a| a.nonce == nonce)
	}
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckAction {
	Wait,
	/// Re-execute the job (a verifier without an output yet) and journal the output.
	Execute,
	/// Compute this round's answer, journal it with a fresh salt, send the commitment.
	Commit,
	/// Send the journalled commitment (again: it has not shown on chain).
	SendCommit {
		commitment: [u8; 32],
	},
	Reveal {
		answer: [u8; 32],
		salt: [u8; 32],
	},
	/// The chain holds a commitment this worker cannot open (not in the journal).
	Lost,
}

/// The next action for the check `view` at `block`; `sent` is what this process last sent
/// for it, and when.
pub fn next_check_action(
	view: &SpotCheckView,
	record: Option<&CheckRecord>,
	sent: Option<Sent>,
	block: u64,
) -> CheckAction {
	let (sent_commit, sent_reveal) = match sent {
		Some(Sent::Commit { at }) => (Some(at), None),
		Some(Sent::Reveal { at }) => (None, Some(at)),
		None => (None, None),
	};
	let end = u64::from(view.next);
	if block >= end {
		return CheckAction::Wait;
	}
	let near = block + RESEND_AFTER >= end;
	let resend = |last: Option<u64>| near || last.is_none_or(|at| block >= at + RESEND_AFTER);
	match view.stage {
		CheckStage::Waiting => CheckAction::Wait,
		CheckStage::Committing if view.committed.is_some() => CheckAction::Wait,
		CheckStage::Committing => match record.and_then(|r| r.answer(view.nonce)) {
			Some(a) if resend(sent_commit.max(a.sent_at)) => {
				CheckAction::SendCommit { commitment: a.commitment() }
			},
			Some(_) => CheckAction::Wait,
			None if view.as_provider || record.is_some_and(|r| r.output.is_some()) => {
				CheckAction::Commit
			},
			None => CheckAction::Execute,
		},
		CheckStage::Revealing => {
			let Some(commitment) = view.committed else { return CheckAction::Wait };
			if view.revealed {
				return CheckAction::Wait;
			}
			let answers = record.map(|r| r.answers.as_slice()).unwrap_or_default();
			match answers.iter().find(|a| a.commitment() == commitment) {
				Some(a) if resend(sent_reveal) => {
					CheckAction::Reveal { answer: a.answer, salt: a.salt }
				},
				Some(_) => CheckAction::Wait,
				None => CheckAction::Lost,
			}
		},
	}
}

/// Sends a spot-check's transactions.
#[allow(async_fn_in_trait)]
pub trait CheckSender {
	async fn commit(&mut self, job: u64, commitment: [u8; 32]) -> Result<()>;
	async fn reveal(&mut self, job: u64, answer: [u8; 32], salt: [u8; 32]) -> Result<()>;
}

/// The spot-checks this worker answers: their journal, the outputs it re-executed, and what
/// it sent lately.
pub struct SpotCheckDuty {
	journal: Journal,
	checks: OutputStore,
	sent: HashMap<u64, Sent>,
}

impl SpotCheckDuty {
	/// `checks` holds the outputs of re-executed jobs (apart from the worker's own outputs).
	pub fn new(journal: Journal, checks: OutputStore) -> Self {
		Self { journal, checks, sent: HashMap::new() }
	}

	pub fn checks(&self) -> &OutputStore {
		&self.checks
	}

	/// Takes the next action for `view` at `block`. `own` is the worker's output store (its
	/// own jobs' outputs, for its answers as a provider in a dispute).
	pub async fn step(
		&mut self,
		view: &SpotCheckView,
		block: u64,
		runner: &mut impl Runner,
		own: &OutputStore,
		sender: &mut impl CheckSender,
	) -> Result<CheckAction> {
		let job = view.job;
		let mut record: CheckRecord = self.journal.get(Kind::Check, job)?.unwrap_or_default();
		let action = next_check_action(view, Some(&record), self.sent.get(&job).copied(), block);
		match &action {
			CheckAction::Wait | CheckAction::Lost => {},
			CheckAction::Execute => {
				record.output = Some(match runner.run(job).await {
					Run::Running => return Ok(CheckAction::Wait),
					Run::Done(output) => {
						let len = self.checks.put(job, &output.bytes)?;
						CheckOutput::Ran { hash: output.hash, len }
					},
					Run::Failed(reason) => {
						tracing::warn!(
							job,
							"spot-check of job {job}: cannot run it ({reason}): UNAVAILABLE"
						);
						CheckOutput::Unavailable { reason }
					},
				});
				self.journal.put(Kind::Check, job, &record)?;
			},
			CheckAction::Commit => {
				let answer = self.answer(view, &record, own)?;
				let entry =
					RoundAnswer { nonce: view.nonce, answer, salt: random_salt()?, sent_at: None };
				let commitment = entry.commitment();
				record.answers.push(entry);
				self.journal.put(Kind::Check, job, &record)?;
				self.send_commit(job, commitment, &mut record, block, sender).await?;
			},
			CheckAction::SendCommit { commitment } => {
				self.send_commit(job, *commitment, &mut record, block, sender).await?;
			},
			CheckAction::Reveal { answer, salt } => {
				sender.reveal(job, *answer, *salt).await?;
				self.sent.insert(job, Sent::Reveal { at: block });
			},
		}
		Ok(action)
	}

	async fn send_commit(
		&mut self,
		job: u64,
		commitment: [u8; 32],
		record: &mut CheckRecord,
		block: u64,
		sender: &mut impl CheckSender,
	) -> Result<()> {
		sender.commit(job, commitment).await?;
		self.sent.insert(job, Sent::Commit { at: block });
		if let Some(a) = record.answers.iter_mut().find(|a| a.commitment() == commitment) {
			a.sent_at = Some(block);
		}
		self.journal.put(Kind::Check, job, record)
	}

	/// This round's answer: the output's hash in the first round, the dispute answer over its
	/// bytes in a dispute; [`UNAVAILABLE`] for a job that could not be run.
	fn answer(
		&self,
		view: &SpotCheckView,
		record: &CheckRecord,
		own: &OutputStore,
	) -> Result<[u8; 32]> {
		let job = view.job;
		let store = if view.as_provider { own } else { &self.checks };
		match (view.nonce, &record.output) {
			(_, Some(CheckOutput::Unavailable { .. })) => Ok(UNAVAILABLE),
			(None, Some(CheckOutput::Ran { hash, .. })) => Ok(*hash),
			(Some(nonce), _) => match store.get(job)? {
				Some(bytes) => Ok(dispute_answer(&bytes, &nonce)),
				None if view.as_provider => {
					tracing::warn!(job, "dispute over job {job}: its output is gone: UNAVAILABLE");
					Ok(UNAVAILABLE)
				},
				None => Err(anyhow::anyhow!("the re-executed output of job {job} is gone"))
					.context("spot-check"),
			},
			(None, None) => Err(anyhow::anyhow!("job {job} was not re-executed")),
		}
	}

	/// Forgets the checks no longer on chain (or no longer this worker's to answer): what
	/// was sent, their journal records and the re-executed outputs.
	pub fn retain(&mut self, open: &[SpotCheckView]) -> Result<()> {
		let live = |job: &u64| open.iter().any(|v| v.job == *job);
		self.sent.retain(|job, _| live(job));
		for (job, _) in self.journal.all::<CheckRecord>(Kind::Check)? {
			if !live(&job) {
				self.checks.remove(job)?;
				self.journal.remove(Kind::Check, job)?;
			}
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests;
