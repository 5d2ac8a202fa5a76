//! What to do next about a job awarded to this worker, as a pure function of the chain's
//! view of the job, the journal's record and what was sent lately: no I/O, so every path is
//! tested without a node ([`super::Executor`] does the reading, writing and sending).

use kiln_primitives::job::result_commitment;
use serde::{Deserialize, Serialize};

/// The job as the chain shows it at a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainJob {
	pub id: u64,
	/// Awarded to this worker.
	pub ours: bool,
	pub phase: Phase,
	/// The block whose start fails the job if no result was revealed by then.
	pub deadline: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
	Bidding,
	Awarded,
	/// A commitment is on chain; the market or a verification asks for the reveal.
	Committed {
		commitment: [u8; 32],
		reveal_requested: bool,
	},
	Revealed,
	/// Completed, failed, expired or cancelled, in a finalized block (a reorganisation cannot
	/// undo it).
	Ended,
}

/// The journal's record of a job: each step is written before the transaction that depends
/// on it is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStep {
	/// The output is in the output store.
	Computed { output_hash: [u8; 32], output_len: u64 },
	/// The salt is chosen; the commitment `result_commitment(output_hash, salt)` is (being)
	/// sent, last at block `sent_at` (so a restarted worker does not send it again at once).
	Committing {
		output_hash: [u8; 32],
		output_len: u64,
		salt: [u8; 32],
		#[serde(default)]
		sent_at: Option<u64>,
	},
	/// The job ended on chain, seen at `ended_unix` (seconds; the output is kept for the
	/// retention period from then).
	Done {
		outcome: String,
		#[serde(default)]
		ended_unix: u64,
	},
	/// Given up, with the reason (inputs unusable, too late).
	Abandoned { reason: String },
}

/// A transaction sent for a job, kept in memory to avoid resending it every block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
	Commit { at: u64 },
	Reveal { at: u64 },
}

/// Blocks to wait for a sent transaction to show before sending it again (sooner when the
/// deadline is this close).
pub const RESEND_AFTER: u64 = 3;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
	Wait,
	/// Fetch the inputs, run, store the output, journal `Computed`.
	Execute,
	/// Choose a salt, journal `Committing`, send the commitment.
	Commit {
		output_hash: [u8; 32],
		output_len: u64,
	},
	/// Send the journalled commitment (again: it has not shown on chain).
	SendCommit {
		commitment: [u8; 32],
	},
	Reveal {
		output_hash: [u8; 32],
		output_len: u64,
		salt: [u8; 32],
	},
	/// The job ended: journal `Done`.
	Finish,
	/// The deadline passed before a commitment: journal `Abandoned`.
	TooLate,
	/// The chain holds a commitment this worker cannot open (not in the journal): log it.
	Lost,
}

impl std::fmt::Display for Action {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Action::Wait => write!(f, "waiting"),
			Action::Execute => write!(f, "executed"),
			Action::Commit { output_hash, output_len } => {
				write!(f, "committed to output 0x{} ({output_len} bytes)", hex::encode(output_hash))
			},
			Action::SendCommit { commitment } => {
				write!(f, "sent the commitment 0x{} again", hex::encode(commitment))
			},
			Action::Reveal { output_hash, .. } => {
				write!(f, "revealed output 0x{}", hex::encode(output_hash))
			},
			Action::Finish => write!(f, "ended on chain; journalled"),
			Action::TooLate => write!(f, "the deadline passed before a commitment: abandoned"),
			Action::Lost => write!(f, "the chain holds a commitment this worker cannot open"),
		}
	}
}

/// Whether a journalled job's output and record are past the retention period at `now_unix`.
pub fn expired(step: &JobStep, now_unix: u64, retention_secs: u64) -> bool {
	matches!(step, JobStep::Done { ended_unix, .. }
		if *ended_unix > 0 && ended_unix.saturating_add(retention_secs) <= now_unix)
}

fn settled(step: Option<&JobStep>) -> bool {
	matches!(step, Some(JobStep::Done { .. } | JobStep::Abandoned { .. }))
}

/// The next action for `job` at block `block`.
pub fn next_action(
	job: &ChainJob,
	step: Option<&JobStep>,
	sent: Option<Sent>,
	block: u64,
) -> Action {
	if job.phase == Phase::Ended {
		return if step.is_some() && !matches!(step, Some(JobStep::Done { .. })) {
			Action::Finish
		} else {
			Action::Wait
		};
	}
	if !job.ours || settled(step) {
		return Action::Wait;
	}
	let near_deadline = block + RESEND_AFTER >= job.deadline;
	let resend =
		|last: Option<u64>| near_deadline || last.is_none_or(|at| block >= at + RESEND_AFTER);
	match (&job.phase, step) {
		(Phase::Bidding | Phase::Revealed | Phase::Ended, _) => Action::Wait,
		(Phase::Awarded, _) if block >= job.deadline => Action::TooLate,
		(Phase::Awarded, None) => Action::Execute,
		(Phase::Awarded, Some(JobStep::Computed { output_hash, output_len })) => {
			Action::Commit { output_hash: *output_hash, output_len: *output_len }
		},
		(Phase::Awarded, Some(JobStep::Committing { output_hash, salt, sent_at, .. })) => {
			let last = match sent {
				Some(Sent::Commit { at }) => Some(at).max(*sent_at),
				_ => *sent_at,
			};
			if resend(last) {
				Action::SendCommit { commitment: result_commitment(output_hash, salt) }
			} else {
				Action::Wait
			}
		},
		(
			Phase::Committed { commitment, reveal_requested },
			Some(JobStep::Committing { output_hash, output_len, salt, .. }),
		) if result_commitment(output_hash, salt) == *commitment => {
			let last = match sent {
				Some(Sent::Reveal { at }) => Some(at),
				_ => None,
			};
			if *reveal_requested && resend(last) {
				Action::Reveal { output_hash: *output_hash, output_len: *output_len, salt: *salt }
			} else {
				Action::Wait
			}
		},
		(Phase::Committed { .. }, _) => Action::Lost,
		(Phase::Awarded, Some(JobStep::Done { .. } | JobStep::Abandoned { .. })) => Action::Wait,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const H: [u8; 32] = [7; 32];
	const SALT: [u8; 32] = [9; 32];

	fn job(phase: Phase) -> ChainJob {
		ChainJob { id: 1, ours: true, phase, deadline: 20 }
	}

	fn committing() -> JobStep {
		JobStep::Committing { output_hash: H, output_len: 3, salt: SALT, sent_at: None }
	}

	#[test]
	fn an_awarded_job_is_executed_then_committed_once() {
		assert_eq!(next_action(&job(Phase::Awarded), None, None, 5), Action::Execute);
		let computed = JobStep::Computed { output_hash: H, output_len: 3 };
		assert_eq!(
			next_action(&job(Phase::Awarded), Some(&computed), None, 5),
			Action::Commit { output_hash: H, output_len: 3 }
		);
		let commitment = result_commitment(&H, &SALT);
		assert_eq!(
			next_action(&job(Phase::Awarded), Some(&committing()), None, 5),
			Action::SendCommit { commitment }
		);
		// Sent at 5: not again before 8, and then the same commitment.
		let sent = Some(Sent::Commit { at: 5 });
		assert_eq!(next_action(&job(Phase::Awarded), Some(&committing()), sent, 7), Action::Wait);
		assert_eq!(
			next_action(&job(Phase::Awarded), Some(&committing()), sent, 8),
			Action::SendCommit { commitment }
		);
		// After a restart nothing is in memory: the journal's `sent_at` holds it back.
		let journalled =
			JobStep::Committing { output_hash: H, output_len: 3, salt: SALT, sent_at: Some(5) };
		assert_eq!(next_action(&job(Phase::Awarded), Some(&journalled), None, 6), Action::Wait);
		assert_eq!(
			next_action(&job(Phase::Awarded), Some(&journalled), None, 8),
			Action::SendCommit { commitment }
		);
		// Close to the deadline (20) it is sent again at every block.
		let late = Some(Sent::Commit { at: 17 });
		assert_eq!(
			next_action(&job(Phase::Awarded), Some(&journalled), late, 18),
			Action::SendCommit { commitment }
		);
	}

	#[test]
	fn reveals_only_what_it_committed_and_only_when_asked() {
		let commitment = result_commitment(&H, &SALT);
		let waiting = job(Phase::Committed { commitment, reveal_requested: false });
		assert_eq!(next_action(&waiting, Some(&committing()), None, 6), Action::Wait);
		let asked = job(Phase::Committed { commitment, reveal_requested: true });
		assert_eq!(
			next_action(&asked, Some(&committing()), None, 6),
			Action::Reveal { output_hash: H, output_len: 3, salt: SALT }
		);
		let sent = Some(Sent::Reveal { at: 6 });
		assert_eq!(next_action(&asked, Some(&committing()), sent, 7), Action::Wait);
		// A commitment it cannot open (another salt, or no record): never a made-up reveal.
		let other = job(Phase::Committed { commitment: [1; 32], reveal_requested: true });
		assert_eq!(next_action(&other, Some(&committing()), None, 6), Action::Lost);
		assert_eq!(next_action(&asked, None, None, 6), Action::Lost);
	}

	#[test]
	fn only_ended_jobs_expire_and_only_after_the_retention_period() {
		let done = JobStep::Done { outcome: "ended".into(), ended_unix: 1_000 };
		assert!(!expired(&done, 1_099, 100));
		assert!(expired(&done, 1_100, 100));
		assert!(!expired(&committing(), u64::MAX, 0));
		let abandoned = JobStep::Abandoned { reason: "404".into() };
		assert!(!expired(&abandoned, u64::MAX, 0));
		// A record from before `ended_unix` was kept: it expires once stamped, never at once.
		let old = JobStep::Done { outcome: "ended".into(), ended_unix: 0 };
		assert!(!expired(&old, u64::MAX, 0));
	}

	#[test]
	fn deadlines_endings_and_other_providers_jobs() {
		assert_eq!(next_action(&job(Phase::Awarded), None, None, 20), Action::TooLate);
		assert_eq!(next_action(&job(Phase::Ended), Some(&committing()), None, 30), Action::Finish);
		let done = JobStep::Done { outcome: "Completed".into(), ended_unix: 0 };
		assert_eq!(next_action(&job(Phase::Ended), Some(&done), None, 30), Action::Wait);
		assert_eq!(next_action(&job(Phase::Ended), None, None, 30), Action::Wait);
		let theirs = ChainJob { ours: false, ..job(Phase::Awarded) };
		assert_eq!(next_action(&theirs, None, None, 5), Action::Wait);
		let abandoned = JobStep::Abandoned { reason: "404".into() };
		assert_eq!(next_action(&job(Phase::Awarded), Some(&abandoned), None, 5), Action::Wait);
		assert_eq!(next_action(&job(Phase::Bidding), None, None, 5), Action::Wait);
	}
}
