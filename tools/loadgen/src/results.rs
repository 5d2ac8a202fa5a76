//! The `results` scenario: jobs awarded to the load's providers, then two measured loads,
//! every winner's `Market.commit_result` and then every `Market.reveal_result`.
//!
//! A block closes at most 32 auctions (its agenda's `MaxJobsPerBlock` entries), so awards come
//! 32 to a block at most: the jobs' closes are spread one provider set to a block, and `n`
//! jobs take `n / 32` blocks of closes before the loads start. That is why these loads are
//! smaller than a full block; they are compared with the others by the weight they use.

use super::{job_spec, market, setup, Load, Measured, Signed};
use anyhow::{bail, ensure, Result};
use kiln_primitives::{currency::KILN, job::result_commitment};
use kiln_worker::chain::{
	kiln::{self, runtime_types::bounded_collections::bounded_vec::BoundedVec},
	view::MarketPhase,
};
use std::{collections::HashMap, time::Duration};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

/// Blocks a job takes bids for: the least a job may ask (10), and two for the bids to land
/// (they are sent as soon as the jobs are in a finalized block).
const BIDDING: u32 = 12;

/// Blocks from a job's close to its deadline: the commits and reveals land long before.
const EXECUTION: u32 = 200;

/// Bonds and registers the providers, creates `rounds` jobs per provider and has each provider
/// bid alone on its own, waits for every award, then pre-signs the two measured loads.
pub(crate) async fn loads(
	load: &Load,
	funder: &Keypair,
	providers: &[Keypair],
	rounds: u32,
) -> Result<Vec<Measured>> {
	let n = providers.len() as u32;
	// Each award locks the job collateral of a 1 KILN price (6 KILN) of the 500 KILN bond.
	ensure!(rounds <= 64, "`results` takes at most 64 rounds (the bond's job collateral)");
	// Job r·n + i is provider i's, closing in the r-th block of closes.
	let spec = move |j: u32| job_spec(KILN, BIDDING + j / n, EXECUTION);
	let (jobs, max_price) = market(load, funder, providers, rounds * n, Some(&spec)).await?;

	let mut bids = Vec::new();
	for r in 0..rounds {
		for (i, p) in providers.iter().enumerate() {
			let job = jobs[(r * n) as usize + i];
			let call = kiln::transactions().market().place_bid(job, max_price - 1);
			// Nonces 0 and 1 went to the bond and the registration.
			bids.push(load.sign(p, 2 + u64::from(r), &call)?);
		}
	}
	setup(load, bids, "bid, one provider on each job").await?;

	let owners: HashMap<u64, AccountId32> = jobs
		.iter()
		.enumerate()
		.map(|(k, job)| (*job, providers[k % n as usize].public_key().to_account_id()))
		.collect();
	wait_for_awards(load, &owners).await?;

	let (mut commits, mut reveals): (Vec<Signed>, Vec<Signed>) = (Vec::new(), Vec::new());
	let base = 2 + u64::from(rounds);
	for r in 0..rounds {
		for (i, p) in providers.iter().enumerate() {
			let job = jobs[(r * n) as usize + i];
			let (output, salt) = result_of(job);
			let commit =
				kiln::transactions().market().commit_result(job, result_commitment(&output, &salt));
			commits.push(load.sign(p, base + u64::from(r), &commit)?);
			let content = kiln::runtime_types::kiln_primitives::job::ContentRef {
				hash: output,
				len: 64 * 64 * 4,
				uri: BoundedVec(format!("http://127.0.0.1:1/load/{job}").into_bytes()),
			};
			let reveal = kiln::transactions().market().reveal_result(job, content, salt);
			reveals.push(load.sign(p, base + u64::from(rounds + r), &reveal)?);
		}
	}
	Ok(vec![
		Measured { name: "commits".into(), txs: commits, effect: ("Market", "ResultCommitted") },
		Measured { name: "reveals".into(), txs: reveals, effect: ("Market", "ResultRevealed") },
	])
}

/// A made-up output hash and salt for `job` (the chain checks only that the reveal matches
/// the commitment; the proof-of-compute challenge that follows is never answered).
fn result_of(job: u64) -> ([u8; 32], [u8; 32]) {
	let (mut output, mut salt) = ([0x5a; 32], [0x17; 32]);
	output[..8].copy_from_slice(&job.to_le_bytes());
	salt[24..].copy_from_slice(&job.to_le_bytes());
	(output, salt)
}

/// Waits until every job in `owners` is awarded to its owner in a finalized block; fails on a
/// job that ended, went to someone else, or is still open long after its close.
async fn wait_for_awards(load: &Load, owners: &HashMap<u64, AccountId32>) -> Result<()> {
	let anyone = owners.values().next().cloned().unwrap_or(AccountId32([0; 32]));
	loop {
		let at = load.conn.at_finalized().await?;
		let finalized = at.number();
		let (mut open, mut seen) = (0, 0);
		for job in at.market_jobs(&anyone).await? {
			let Some(owner) = owners.get(&job.id) else { continue };
			seen += 1;
			match (&job.phase, &job.award) {
				(MarketPhase::Awarded, Some((winner, _))) if winner == owner => {},
				(MarketPhase::Bidding, _) if u64::from(job.bidding_ends) + 20 > finalized => {
					open += 1
				},
				(phase, award) => bail!(
					"job {} was not awarded to its bidder by finalized block #{finalized} \
					 (closing at #{}): {phase:?}, award {award:?}",
					job.id,
					job.bidding_ends
				),
			}
		}
		if seen < owners.len() {
			bail!("{} of the load's jobs are gone from the chain", owners.len() - seen);
		}
		if open == 0 {
			eprintln!("setup: every one of {} jobs awarded by #{finalized}", owners.len());
			return Ok(());
		}
		eprintln!("setup: {open} of {} jobs still open at #{finalized}", owners.len());
		tokio::time::sleep(Duration::from_secs(6)).await;
	}
}
