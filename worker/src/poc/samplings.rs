//! Answering the samplings of this worker's `Gemm` results. The output hash of a `Gemm` job is
//! the Merkle root of C; after the reveal the chain draws entries of C, and the provider
//! opens each (its leaf and Merkle proof) before `reveal_by`, from the C it stored as the
//! job's output: after a restart C is read back from the output store, never recomputed from
//! the seed (that would answer for work it may not have done).

use crate::{
	chain::{view::JobSampling, LeafOpening},
	daemon::runner::gemm_entries,
	executor::machine::RESEND_AFTER,
};
use kiln_primitives::poc::reference::{self, Tree};
use std::collections::{HashMap, HashSet};

/// Openings of `indices` in C (given as a `Gemm` output's bytes), after checking that C is
/// the one whose root was revealed.
pub fn openings(
	output: &[u8],
	root: &[u8; 32],
	indices: &[u64],
) -> Result<Vec<LeafOpening>, String> {
	let c = gemm_entries(output).ok_or("the stored output is not a whole number of entries")?;
	let tree = Tree::build(&c);
	if tree.root() != *root {
		return Err("the stored output no longer has the revealed root".into());
	}
	Ok(indices
		.iter()
		.map(|sample| {
			let (entries, proof) = reference::opening(&c, &tree, *sample);
			LeafOpening { entries, proof }
		})
		.collect())
}

/// When the openings of each sampling were last sent (a sent reveal that does not show on
/// chain is sent again after [`RESEND_AFTER`] blocks, at every block near the deadline).
#[derive(Default)]
pub struct SamplingDuty {
	sent: HashMap<u64, u64>,
	/// Samplings this worker cannot answer (its output is gone or changed): not tried again.
	given_up: HashSet<u64>,
}

impl SamplingDuty {
	/// The samplings to answer at `block`.
	pub fn due<'a>(&self, open: &'a [JobSampling], block: u64) -> Vec<&'a JobSampling> {
		open.iter()
			.filter(|s| block < u64::from(s.reveal_by) && !self.given_up.contains(&s.challenge))
			.filter(|s| {
				let near = block + RESEND_AFTER >= u64::from(s.reveal_by);
				near || self.sent.get(&s.challenge).is_none_or(|at| block >= at + RESEND_AFTER)
			})
			.collect()
	}

	pub fn sent(&mut self, challenge: u64, block: u64) {
		self.sent.insert(challenge, block);
	}

	pub fn give_up(&mut self, challenge: u64) {
		self.given_up.insert(challenge);
	}

	/// Forgets the samplings no longer open.
	pub fn retain(&mut self, open: &[JobSampling]) {
		let is_open = |id: &u64| open.iter().any(|s| s.challenge == *id);
		self.sent.retain(|id, _| is_open(id));
		self.given_up.retain(is_open);
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::daemon::runner::gemm_bytes;
	use kiln_primitives::poc::{verify_opening, Shape};

	#[test]
	fn openings_from_the_stored_output_verify_and_a_changed_output_is_refused() {
		let (seed, shape) = ([5; 32], Shape { m: 9, n: 20, k: 7 });
		let c = reference::gemm(&seed, shape);
		let root = Tree::build(&c).root();
		let bytes = gemm_bytes(&c);
		let indices = [0, 63, 64, 179];
		let opened = openings(&bytes, &root, &indices).unwrap();
		for (sample, o) in indices.iter().zip(&opened) {
			verify_opening(&seed, shape, &root, *sample, &o.entries, &o.proof).unwrap();
		}
		let mut changed = bytes.clone();
		changed[0] ^= 1;
		assert!(openings(&changed, &root, &indices).unwrap_err().contains("revealed root"));
		assert!(openings(&bytes[1..], &root, &indices).is_err());
	}

	#[test]
	fn a_sampling_is_answered_once_then_again_only_if_it_stays_open() {
		let s =
			JobSampling { challenge: 4, job: 1, root: [0; 32], indices: vec![1], reveal_by: 20 };
		let open = vec![s];
		let mut duty = SamplingDuty::default();
		assert_eq!(duty.due(&open, 10).len(), 1);
		duty.sent(4, 10);
		assert!(duty.due(&open, 12).is_empty());
		assert_eq!(duty.due(&open, 13).len(), 1);
		// Near the deadline, at every block; at or past it, never.
		duty.sent(4, 17);
		assert_eq!(duty.due(&open, 18).len(), 1);
		assert!(duty.due(&open, 20).is_empty());
		// One it cannot answer is not tried again, even near the deadline.
		duty.give_up(4);
		assert!(duty.due(&open, 19).is_empty());
		duty.retain(&[]);
		assert!(duty.sent.is_empty() && duty.given_up.is_empty());
	}
}
