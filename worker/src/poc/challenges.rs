//! Answering hardware challenges (`kiln-worker challenges`): follow the best blocks, and for
//! the provider's open challenge compute C = A·B on the backend, commit its Merkle root, and
//! once the chain has drawn the entries to open, reveal them with their proofs. Driven by the
//! chain's state at each block (not by remembered events), so a restart picks up where the
//! challenge stands. What to do at each block is decided by [`machine::next_step`]; this
//! module reads the chain and sends what it decides.

use crate::{
	backend::GemmBackend,
	chain::{kiln, Connection},
	poc::machine::{self, ChainChallenge, Step, Work},
};
use anyhow::{bail, Context, Result};
use kiln_primitives::poc::{self, reference::Tree, Shape};
use std::collections::BTreeMap;
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

use kiln::runtime_types::{
	bounded_collections::bounded_vec::BoundedVec,
	pallet_proof_of_compute::types::{ChallengeState, Opening},
};

/// What became of one challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
	Passed,
	Failed { reason: String, slashed: u128 },
	Voided,
}

/// How the provider answers. `CheatHalf` exists to demonstrate (and test) what the chain does
/// to a cheater: every other leaf of C is made up, as if half the work had been skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Answer {
	Honest,
	CheatHalf,
}

/// Answers the account's challenges until `count` of them have ended; prints each step.
pub async fn answer(
	conn: &Connection,
	signer: &Keypair,
	backend: &dyn GemmBackend,
	answer: Answer,
	count: u32,
) -> Result<Vec<(u64, Outcome)>> {
	let me: AccountId32 = signer.public_key().to_account_id();
	let mut work: BTreeMap<u64, Work> = BTreeMap::new();
	let mut ended = Vec::new();
	let mut blocks =
		conn.api.stream_best_blocks().await.context("cannot follow the best blocks")?;
	println!("answering the challenges of {me} with {} ({answer:?})", backend.name());
	while let Some(block) = blocks.next().await {
		let block = block.context("the block stream failed")?;
		let number = block.number();
		let at = block.at().await.context("cannot read the block")?;

		// Challenges of ours that ended in this block.
		let events = at.events().fetch().await.context("cannot read the block's events")?;
		use kiln::proof_of_compute::events as ev;
		let mut outcomes = Vec::new();
		for e in events.find::<ev::ChallengePassed>() {
			let e = e?;
			if e.provider == me {
				outcomes.push((e.id, Outcome::Passed));
			}
		}
		for e in events.find::<ev::ChallengeFailed>() {
			let e = e?;
			if e.provider == me {
				let reason = format!("{:?}", e.reason);
				outcomes.push((e.id, Outcome::Failed { reason, slashed: e.slashed }));
			}
		}
		for e in events.find::<ev::ChallengeVoided>() {
			let e = e?;
			if work.contains_key(&e.id) {
				outcomes.push((e.id, Outcome::Voided));
			}
		}
		for (id, outcome) in outcomes {
			println!("#{number}: challenge {id}: {outcome:?}");
			work.remove(&id);
			ended.push((id, outcome));
			if ended.len() as u32 >= count {
				return Ok(ended);
			}
		}

		// Our open challenge, as the chain sees it now.
		let storage = at.storage();
		let Some(id) = storage
			.try_fetch(kiln::storage().proof_of_compute().open_challenge(), (me.clone(),))
			.await?
			.map(|v| v.decode())
			.transpose()?
		else {
			continue;
		};
		let Some(challenge) = storage
			.try_fetch(kiln::storage().proof_of_compute().challenges(), (id,))
			.await?
			.map(|v| v.decode())
			.transpose()?
		else {
			continue;
		};
		let shape = Shape { m: challenge.m, n: challenge.n, k: challenge.k };
		let view = match challenge.state {
			ChallengeState::Issued => ChainChallenge::Issued {
				id,
				seed: challenge.seed,
				shape,
				commit_by: challenge.commit_by,
			},
			ChallengeState::Committed { .. } => ChainChallenge::Committed { id },
			ChallengeState::Opened { indices, .. } => {
				ChainChallenge::Opened { id, indices: indices.0 }
			},
		};
		match machine::next_step(Some(&view), &work, u64::from(number)) {
			Step::Wait => {},
			Step::TooLate { id, commit_by } => {
				bail!("challenge {id}: too late to commit (commit_by {commit_by})")
			},
			Step::Lost { id } => {
				bail!("challenge {id} was committed before this worker started; C is gone")
			},
			Step::Commit { id, seed, shape } => {
				let started = std::time::Instant::now();
				let mut c = backend.gemm(&seed, shape)?;
				if answer == Answer::CheatHalf {
					poc::reference::cheat_half(&mut c);
				}
				let tree = Tree::build(&c);
				let root = tree.root();
				println!(
					"#{number}: challenge {id}: m={} n={} k={} computed in {:.3} s, committing root 0x{}",
					shape.m,
					shape.n,
					shape.k,
					started.elapsed().as_secs_f64(),
					hex(&root)
				);
				let tx = kiln::transactions().proof_of_compute().commit_challenge(id, root);
				at.transactions().sign_and_submit_default(&tx, signer).await.with_context(
					|| format!("challenge {id}: commit_challenge was not accepted"),
				)?;
				work.insert(id, Work { c, tree, committed: true, revealed: false });
			},
			Step::Reveal { id, indices } => {
				let Some(w) = work.get_mut(&id) else { continue };
				let openings: Vec<Opening> = indices
					.iter()
					.map(|sample| {
						let (entries, proof) = poc::reference::opening(&w.c, &w.tree, *sample);
						Opening { entries, proof: BoundedVec(proof) }
					})
					.collect();
				println!("#{number}: challenge {id}: revealing {} openings", openings.len());
				let tx = kiln::transactions()
					.proof_of_compute()
					.reveal_challenge(id, BoundedVec(openings));
				at.transactions().sign_and_submit_default(&tx, signer).await.with_context(
					|| format!("challenge {id}: reveal_challenge was not accepted"),
				)?;
				w.revealed = true;
			},
		}
	}
	bail!("the block stream ended")
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
