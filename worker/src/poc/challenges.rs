//! Answering hardware challenges (`kiln-worker challenges`): follow the best blocks, and for
//! the provider's open challenge compute C = A·B on the backend, commit its Merkle root, and
//! once the chain has drawn the entries to open, reveal them with their proofs. Driven by the
//! chain's state at each block (not by remembered events), so a restart picks up where the
//! challenge stands. What to do at each block is decided by [`machine::next_step`]; this
//! module reads the chain and sends what it decides.

use crate::{
	backend::GemmBackend,
	chain::{view::ChallengeOutcome, At, Connection, LeafOpening, Submitter, Tx, Wait},
	poc::machine::{self, Step, Work},
};
use anyhow::{bail, Context, Result};
use kiln_primitives::poc::{self, reference::Tree};
use std::collections::BTreeMap;

/// How the provider answers. `CheatHalf` exists to demonstrate (and test) what the chain does
/// to a cheater: every other leaf of C is made up, as if half the work had been skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Answer {
	Honest,
	CheatHalf,
}

/// The provider's hardware challenges, block by block: what this process computed for each.
pub struct ChallengeDuty {
	work: BTreeMap<u64, Work>,
	answer: Answer,
}

impl ChallengeDuty {
	pub fn new(answer: Answer) -> Self {
		Self { work: BTreeMap::new(), answer }
	}

	/// The challenges that ended in block `at`, after taking the step the open challenge
	/// needs (computing C, committing its root, revealing the drawn entries).
	pub async fn on_block(
		&mut self,
		at: &At,
		conn: &Connection,
		signer: &Submitter,
		backend: &dyn GemmBackend,
	) -> Result<Vec<(u64, ChallengeOutcome)>> {
		let me = signer.account();
		let number = at.number();
		let ended = at.challenge_outcomes(&me, |id| self.work.contains_key(&id)).await?;
		for (id, outcome) in &ended {
			tracing::info!(block = number, "#{number}: challenge {id}: {outcome:?}");
			self.work.remove(id);
		}
		let view = at.open_challenge(&me).await?;
		match machine::next_step(view.as_ref(), &self.work, number) {
			Step::Wait => {},
			Step::TooLate { id, commit_by } => {
				bail!("challenge {id}: too late to commit (commit_by {commit_by})")
			},
			Step::Recover { id, seed, shape, root, indices } => {
				// Killed after committing: the same seed and shape give the same C.
				let started = std::time::Instant::now();
				let mut c = backend.gemm(&seed, shape)?;
				if self.answer == Answer::CheatHalf {
					poc::reference::cheat_half(&mut c);
				}
				let tree = Tree::build(&c);
				if tree.root() != root {
					bail!(
						"challenge {id}: C computed again has another root than the committed \
						 0x{}; nothing is revealed",
						hex::encode(&root)
					);
				}
				tracing::warn!(
					block = number,
					"#{number}: challenge {id}: committed before a restart; C computed again in \
					 {:.3} s",
					started.elapsed().as_secs_f64()
				);
				self.work.insert(id, Work { c, tree, committed: true, revealed: false });
				self.reveal(id, &indices, number, conn, signer).await?;
			},
			Step::Commit { id, seed, shape } => {
				let started = std::time::Instant::now();
				let mut c = backend.gemm(&seed, shape)?;
				if self.answer == Answer::CheatHalf {
					poc::reference::cheat_half(&mut c);
				}
				let tree = Tree::build(&c);
				let root = tree.root();
				tracing::info!(
					block = number, "#{number}: challenge {id}: m={} n={} k={} computed in {:.3} s, committing root 0x{}",
					shape.m,
					shape.n,
					shape.k,
					started.elapsed().as_secs_f64(),
					hex::encode(&root)
				);
				signer
					.send(conn, &Tx::CommitChallenge { id, root }, Wait::Pool)
					.await
					.with_context(|| format!("challenge {id}"))?;
				self.work.insert(id, Work { c, tree, committed: true, revealed: false });
			},
			Step::Reveal { id, indices } => self.reveal(id, &indices, number, conn, signer).await?,
		}
		Ok(ended)
	}

	/// Reveals the openings of `indices` from the C computed for challenge `id`.
	async fn reveal(
		&mut self,
		id: u64,
		indices: &[u64],
		number: u64,
		conn: &Connection,
		signer: &Submitter,
	) -> Result<()> {
		let Some(w) = self.work.get_mut(&id) else { return Ok(()) };
		let openings: Vec<LeafOpening> = indices
			.iter()
			.map(|sample| {
				let (entries, proof) = poc::reference::opening(&w.c, &w.tree, *sample);
				LeafOpening { entries, proof }
			})
			.collect();
		tracing::info!(
			block = number,
			"#{number}: challenge {id}: revealing {} openings",
			openings.len()
		);
		signer
			.send(conn, &Tx::RevealChallenge { id, openings }, Wait::Pool)
			.await
			.with_context(|| format!("challenge {id}"))?;
		w.revealed = true;
		Ok(())
	}
}

/// Answers the account's challenges until `count` of them have ended; prints each step.
pub async fn answer(
	conn: &Connection,
	signer: &Submitter,
	backend: &dyn GemmBackend,
	answer: Answer,
	count: u32,
) -> Result<Vec<(u64, ChallengeOutcome)>> {
	let mut duty = ChallengeDuty::new(answer);
	let mut ended = Vec::new();
	let mut blocks = conn.follow_best().await?;
	tracing::info!(
		"answering the challenges of {} with {} ({answer:?})",
		signer.account(),
		backend.name()
	);
	while let Some(at) = blocks.next().await {
		ended.extend(duty.on_block(&at?, conn, signer, backend).await?);
		if ended.len() as u32 >= count {
			return Ok(ended);
		}
	}
	bail!("the block stream ended")
}
