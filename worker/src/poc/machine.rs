//! What to do next about the provider's hardware challenge, as a pure function of what the
//! chain shows at a block and what this worker has done: no I/O, so every path is tested
//! without a node ([`crate::poc::challenges`] does the reading and the sending).

pub use crate::chain::view::ChainChallenge;
use kiln_primitives::poc::{reference::Tree, Shape};
use std::collections::BTreeMap;

/// What this worker has done for one challenge.
pub struct Work {
	/// C and its Merkle tree.
	pub c: Vec<i32>,
	pub tree: Tree,
	pub committed: bool,
	pub revealed: bool,
}

/// The next step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
	/// Nothing to do at this block.
	Wait,
	/// Compute C for `id` and commit its root.
	Commit { id: u64, seed: [u8; 32], shape: Shape },
	/// Reveal the openings of `indices`.
	Reveal { id: u64, indices: Vec<u64> },
	/// `id` can no longer be committed: the block is at or past `commit_by`.
	TooLate { id: u64, commit_by: u32 },
	/// `id` was committed before this worker (re)started: C is not in memory. Compute it again
	/// from the seed (the same C, so the same root) and reveal the openings of `indices`.
	Recover { id: u64, seed: [u8; 32], shape: Shape, root: [u8; 32], indices: Vec<u64> },
}

/// The step for `view` (the open challenge, if any) at block `block`, given `work`.
pub fn next_step(view: Option<&ChainChallenge>, work: &BTreeMap<u64, Work>, block: u64) -> Step {
	match view {
		None | Some(ChainChallenge::Committed { .. }) => Step::Wait,
		Some(ChainChallenge::Issued { id, seed, shape, commit_by }) => {
			if work.get(id).is_some_and(|w| w.committed) {
				Step::Wait
			} else if block >= u64::from(*commit_by) {
				Step::TooLate { id: *id, commit_by: *commit_by }
			} else {
				Step::Commit { id: *id, seed: *seed, shape: *shape }
			}
		},
		Some(ChainChallenge::Opened { id, seed, shape, root, indices }) => match work.get(id) {
			None => Step::Recover {
				id: *id,
				seed: *seed,
				shape: *shape,
				root: *root,
				indices: indices.clone(),
			},
			Some(w) if w.revealed => Step::Wait,
			Some(_) => Step::Reveal { id: *id, indices: indices.clone() },
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const SHAPE: Shape = Shape { m: 8, n: 8, k: 4 };

	fn issued(commit_by: u32) -> ChainChallenge {
		ChainChallenge::Issued { id: 7, seed: [1; 32], shape: SHAPE, commit_by }
	}

	fn work(committed: bool, revealed: bool) -> BTreeMap<u64, Work> {
		let c = kiln_primitives::poc::reference::gemm(&[1; 32], SHAPE);
		let tree = Tree::build(&c);
		BTreeMap::from([(7, Work { c, tree, committed, revealed })])
	}

	#[test]
	fn an_issued_challenge_is_committed_once_and_in_time() {
		let none = BTreeMap::new();
		assert_eq!(
			next_step(Some(&issued(10)), &none, 9),
			Step::Commit { id: 7, seed: [1; 32], shape: SHAPE }
		);
		// The commitment is in flight: the chain still shows it issued, no second commit.
		assert_eq!(next_step(Some(&issued(10)), &work(true, false), 9), Step::Wait);
		assert_eq!(next_step(Some(&issued(10)), &none, 10), Step::TooLate { id: 7, commit_by: 10 });
	}

	#[test]
	fn openings_are_revealed_once_and_recomputed_after_a_restart() {
		let opened = ChainChallenge::Opened {
			id: 7,
			seed: [1; 32],
			shape: SHAPE,
			root: [2; 32],
			indices: vec![3, 9],
		};
		assert_eq!(
			next_step(Some(&opened), &work(true, false), 12),
			Step::Reveal { id: 7, indices: vec![3, 9] }
		);
		assert_eq!(next_step(Some(&opened), &work(true, true), 12), Step::Wait);
		// Committed by an earlier process (killed since): C is computed again from the seed,
		// and its root checked against the committed one before anything is revealed.
		assert_eq!(
			next_step(Some(&opened), &BTreeMap::new(), 12),
			Step::Recover {
				id: 7,
				seed: [1; 32],
				shape: SHAPE,
				root: [2; 32],
				indices: vec![3, 9]
			}
		);
	}

	#[test]
	fn nothing_open_or_waiting_for_the_draw_is_a_wait() {
		assert_eq!(next_step(None, &BTreeMap::new(), 1), Step::Wait);
		let committed = ChainChallenge::Committed { id: 7 };
		assert_eq!(next_step(Some(&committed), &work(true, false), 5), Step::Wait);
	}
}
