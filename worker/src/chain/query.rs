//! Typed reads of the chain's state at one block, returning [`super::view`]'s plain types.

use super::{
	kiln::{
		self,
		runtime_types::pallet_proof_of_compute::types::{ChallengeState, Purpose, SpotCheckStage},
	},
	view::{
		ChainChallenge, ChallengeOutcome, CheckStage, JobSampling, Ledger, ProviderRecord,
		ProvidersLimits, SpotCheckView,
	},
	AccountId, Connection, KilnConfig,
};
use anyhow::{Context, Result};
use kiln_primitives::{poc::Shape, Reputation};
use subxt::{client::OnlineClientAtBlock, storage::Address};

/// The chain's state at one block.
pub struct At {
	inner: OnlineClientAtBlock<KilnConfig>,
}

impl Connection {
	/// The state at the latest finalized block.
	pub async fn at_finalized(&self) -> Result<At> {
		let inner = self.api.at_current_block().await.context("cannot open the finalized block")?;
		Ok(At { inner })
	}
}

impl At {
	pub(super) fn new(inner: OnlineClientAtBlock<KilnConfig>) -> Self {
		Self { inner }
	}

	pub fn number(&self) -> u64 {
		self.inner.block_number()
	}

	pub(super) fn storage(
		&self,
	) -> subxt::storage::StorageClient<
		'_,
		KilnConfig,
		subxt::client::OnlineClientAtBlockImpl<KilnConfig>,
	> {
		self.inner.storage()
	}

	pub(super) fn constant<Addr: subxt::constants::Address>(
		&self,
		addr: Addr,
	) -> Result<Addr::Target> {
		Ok(self.inner.constants().entry(addr)?)
	}

	pub(super) async fn fetch_typed<Addr: Address>(
		&self,
		addr: Addr,
		key: Addr::KeyParts,
	) -> Result<Option<Addr::Value>> {
		self.fetch(addr, key).await
	}

	/// A storage entry, `None` where nothing is stored.
	async fn fetch<Addr: Address>(
		&self,
		addr: Addr,
		key: Addr::KeyParts,
	) -> Result<Option<Addr::Value>> {
		let value = self.inner.storage().try_fetch(addr, key).await?;
		Ok(value.map(|v| v.decode()).transpose()?)
	}

	pub async fn free_balance(&self, who: &AccountId) -> Result<u128> {
		let account = self.fetch(kiln::storage().system().account(), (*who,)).await?;
		Ok(account.map_or(0, |a| a.data.free))
	}

	pub async fn ledger(&self, who: &AccountId) -> Result<Option<Ledger>> {
		let ledger = self.fetch(kiln::storage().collateral().ledgers(), (*who,)).await?;
		Ok(ledger.map(|l| Ledger {
			active: l.active,
			locked: l.locked,
			unlocking: l.unlocking.0.iter().map(|c| (c.value, c.unlock_at)).collect(),
		}))
	}

	/// The smallest first bond.
	pub async fn min_bond(&self) -> Result<u128> {
		let config = self
			.fetch(kiln::storage().collateral().configuration(), ())
			.await?
			.context("the chain has no collateral configuration")?;
		Ok(config.min_bond)
	}

	pub async fn providers_limits(&self) -> Result<ProvidersLimits> {
		let config = self
			.fetch(kiln::storage().providers().configuration(), ())
			.await?
			.context("the chain has no providers configuration")?;
		Ok(ProvidersLimits { max_gpus: config.max_gpus, min_bond_per_gpu: config.min_bond_per_gpu })
	}

	pub async fn provider(&self, who: &AccountId) -> Result<Option<ProviderRecord>> {
		let record = self.fetch(kiln::storage().providers().providers(), (*who,)).await?;
		Ok(record.map(|p| {
			let r = &p.reputation;
			ProviderRecord {
				status: format!("{:?}", p.status),
				gpus: p.profile.gpus.0.iter().map(|g| u32::from(g.count)).sum(),
				endpoint: String::from_utf8_lossy(&p.endpoint.0).into_owned(),
				reputation: Reputation {
					jobs_completed: r.jobs_completed,
					jobs_failed: r.jobs_failed,
					challenges_passed: r.challenges_passed,
					challenges_failed: r.challenges_failed,
					slashes: r.slashes,
				},
			}
		}))
	}

	/// The provider's open hardware challenge.
	pub async fn open_challenge(&self, who: &AccountId) -> Result<Option<ChainChallenge>> {
		let pallet = kiln::storage().proof_of_compute();
		let Some(id) = self.fetch(pallet.open_challenge(), (*who,)).await? else {
			return Ok(None);
		};
		let Some(challenge) = self.fetch(pallet.challenges(), (id,)).await? else {
			return Ok(None);
		};
		let shape = Shape { m: challenge.m, n: challenge.n, k: challenge.k };
		Ok(Some(match challenge.state {
			ChallengeState::Issued => ChainChallenge::Issued {
				id,
				seed: challenge.seed,
				shape,
				commit_by: challenge.commit_by,
			},
			ChallengeState::Committed { .. } => ChainChallenge::Committed { id },
			ChallengeState::Opened { root, indices } => {
				ChainChallenge::Opened { id, seed: challenge.seed, shape, root, indices: indices.0 }
			},
		}))
	}

	/// Challenges that ended in this block: those of `who`, and voided ones among `ours`.
	pub async fn challenge_outcomes(
		&self,
		who: &AccountId,
		ours: impl Fn(u64) -> bool,
	) -> Result<Vec<(u64, ChallengeOutcome)>> {
		use kiln::proof_of_compute::events as ev;
		let events = self.inner.events().fetch().await.context("cannot read the block's events")?;
		let mut outcomes = Vec::new();
		for e in events.find::<ev::ChallengePassed>() {
			let e = e?;
			if &e.provider == who {
				outcomes.push((e.id, ChallengeOutcome::Passed));
			}
		}
		for e in events.find::<ev::ChallengeFailed>() {
			let e = e?;
			if &e.provider == who {
				let reason = format!("{:?}", e.reason);
				outcomes.push((e.id, ChallengeOutcome::Failed { reason, slashed: e.slashed }));
			}
		}
		for e in events.find::<ev::ChallengeVoided>() {
			let e = e?;
			if ours(e.id) {
				outcomes.push((e.id, ChallengeOutcome::Voided));
			}
		}
		Ok(outcomes)
	}

	/// The samplings of `who`'s `Gemm` results whose entries were drawn.
	pub async fn job_samplings(&self, who: &AccountId) -> Result<Vec<JobSampling>> {
		let mut out = Vec::new();
		let mut entries = self
			.storage()
			.iter(kiln::storage().proof_of_compute().challenges(), ())
			.await
			.context("cannot list ProofOfCompute.Challenges")?;
		while let Some(entry) = entries.next().await {
			let entry = entry.context("cannot read ProofOfCompute.Challenges")?;
			let (challenge,) = entry.key()?.decode().context("a Challenges key")?;
			let c = entry.value().decode().context("a Challenges record")?;
			let (Purpose::Job(job), ChallengeState::Opened { root, indices }) =
				(c.purpose, c.state)
			else {
				continue;
			};
			if &c.provider == who {
				out.push(JobSampling {
					challenge,
					job,
					root,
					indices: indices.0,
					reveal_by: c.reveal_by,
				});
			}
		}
		Ok(out)
	}

	/// The spot-checks `who` must answer: as a verifier still counted, or as the provider once
	/// a dispute's nonce is drawn.
	pub async fn spot_checks(&self, who: &AccountId) -> Result<Vec<SpotCheckView>> {
		let mut out = Vec::new();
		let mut entries = self
			.storage()
			.iter(kiln::storage().proof_of_compute().spot_checks(), ())
			.await
			.context("cannot list ProofOfCompute.SpotChecks")?;
		while let Some(entry) = entries.next().await {
			let entry = entry.context("cannot read ProofOfCompute.SpotChecks")?;
			let (job,) = entry.key()?.decode().context("a SpotChecks key")?;
			let check = entry.value().decode().context("a SpotChecks record")?;
			let stage = match check.stage {
				SpotCheckStage::Committing => CheckStage::Committing,
				SpotCheckStage::Revealing => CheckStage::Revealing,
				_ => CheckStage::Waiting,
			};
			let answer = if &check.provider == who {
				check.nonce.map(|_| (true, check.provider_commitment, check.provider_answer))
			} else {
				check
					.verifiers
					.0
					.iter()
					.find(|v| &v.account == who && !v.dropped)
					.map(|v| (false, v.commitment, v.output))
			};
			if let Some((as_provider, committed, revealed)) = answer {
				out.push(SpotCheckView {
					job,
					stage,
					nonce: check.nonce,
					as_provider,
					committed,
					revealed: revealed.is_some(),
					next: check.next,
				});
			}
		}
		Ok(out)
	}
}
