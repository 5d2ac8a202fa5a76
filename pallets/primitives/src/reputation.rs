//! A provider's track record and its score (SPEC §3).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// Something that happened to a provider that its reputation remembers.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Outcome {
	JobCompleted,
	JobFailed,
	ChallengePassed,
	ChallengeFailed,
	Slashed,
	/// A job ended through nobody's fault (e.g. verifiers could not agree): it no longer
	/// counts as in flight, and the record is not marked either way.
	JobEnded,
}

/// Counters of what a provider did; they only grow (saturating).
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Reputation {
	pub jobs_completed: u32,
	pub jobs_failed: u32,
	pub challenges_passed: u32,
	pub challenges_failed: u32,
	pub slashes: u32,
}

impl Reputation {
	pub fn record(&mut self, outcome: Outcome) {
		let counter = match outcome {
			Outcome::JobEnded => return,
			Outcome::JobCompleted => &mut self.jobs_completed,
			Outcome::JobFailed => &mut self.jobs_failed,
			Outcome::ChallengePassed => &mut self.challenges_passed,
			Outcome::ChallengeFailed => &mut self.challenges_failed,
			Outcome::Slashed => &mut self.slashes,
		};
		*counter = counter.saturating_add(1);
	}

	/// `(passed + completed + 1) / (all + 2)`: a newcomer scores 50 %, and every success or
	/// failure moves the score (Laplace's rule of succession). Slashes are counted but the
	/// failures that caused them already lower the score.
	pub fn score(&self) -> Perbill {
		let good = u64::from(self.challenges_passed) + u64::from(self.jobs_completed) + 1;
		let all = good + u64::from(self.challenges_failed) + u64::from(self.jobs_failed) + 1;
		Perbill::from_rational(good, all)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn newcomer_scores_half_and_outcomes_move_the_score() {
		let mut r = Reputation::default();
		assert_eq!(r.score(), Perbill::from_percent(50));
		r.record(Outcome::JobCompleted);
		r.record(Outcome::ChallengePassed);
		// (2 + 1) / (2 + 2)
		assert_eq!(r.score(), Perbill::from_percent(75));
		r.record(Outcome::JobFailed);
		r.record(Outcome::ChallengeFailed);
		r.record(Outcome::Slashed);
		// (2 + 1) / (4 + 2)
		assert_eq!(r.score(), Perbill::from_percent(50));
		assert_eq!(r.slashes, 1);
		let before = r;
		r.record(Outcome::JobEnded);
		assert_eq!(r, before, "a no-fault end marks nothing");
	}

	#[test]
	fn counters_saturate() {
		let mut r = Reputation { jobs_completed: u32::MAX, ..Default::default() };
		r.record(Outcome::JobCompleted);
		assert_eq!(r.jobs_completed, u32::MAX);
		assert!(r.score() > Perbill::from_percent(99));
	}
}
