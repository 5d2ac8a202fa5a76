//! What the worker reads from the chain, in plain types (no subxt): [`super::query`] fills
//! them in, and the pure state machines ([`crate::poc::machine`]) decide on them.

use super::AccountId;
use kiln_primitives::{
	job::{ContentRef, JobSpec},
	poc::Shape,
	Reputation,
};

/// A provider's collateral ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
	pub active: u128,
	pub locked: u128,
	/// (amount, block from which it can be withdrawn).
	pub unlocking: Vec<(u128, u32)>,
}

/// A provider's registry record, as far as the worker uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderRecord {
	/// "Active", "Paused" or "Underbonded".
	pub status: String,
	pub gpus: u32,
	pub endpoint: String,
	pub reputation: Reputation,
}

/// The providers pallet's limits the CLI checks before registering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvidersLimits {
	pub max_gpus: u32,
	pub min_bond_per_gpu: u128,
}

/// The provider's open challenge, as the chain shows it at a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainChallenge {
	/// Waiting for the root of C until block `commit_by` (exclusive).
	Issued { id: u64, seed: [u8; 32], shape: Shape, commit_by: u32 },
	/// The root is committed; the entries to open are not drawn yet.
	Committed { id: u64 },
	/// The entries to open were drawn; `root` is the committed root of C for `seed` and
	/// `shape` (what a restarted worker recomputes C from).
	Opened { id: u64, seed: [u8; 32], shape: Shape, root: [u8; 32], indices: Vec<u64> },
}

/// What became of one challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChallengeOutcome {
	Passed,
	Failed { reason: String, slashed: u128 },
	Voided,
}

/// A job in the market.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketJob {
	pub id: u64,
	pub client: AccountId,
	pub spec: JobSpec<u128, u32>,
	pub bidding_ends: u32,
	pub deadline: u32,
	/// The winner and the price it is paid.
	pub award: Option<(AccountId, u128)>,
	pub phase: MarketPhase,
	/// The worker's standing bid, while the auction runs.
	pub our_bid: Option<u128>,
}

/// Where a job is (the pallet's `JobState`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarketPhase {
	Bidding,
	Awarded,
	Committed { commitment: [u8; 32], reveal_requested: bool },
	Revealed { output: ContentRef, settles_at: Option<u32> },
	Completed { at: u32 },
	Failed { at: u32 },
	Expired { at: u32 },
	Cancelled { at: u32 },
}

impl MarketPhase {
	pub fn ended(&self) -> bool {
		self.ended_at().is_some()
	}

	/// The block the job ended in, once it has.
	pub fn ended_at(&self) -> Option<u32> {
		match self {
			Self::Completed { at }
			| Self::Failed { at }
			| Self::Expired { at }
			| Self::Cancelled { at } => Some(*at),
			_ => None,
		}
	}
}

/// The market's terms for a bidder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketTerms {
	/// Job collateral: fixed plus a percent of the price.
	pub collateral_fixed: u128,
	pub collateral_percent: u32,
	pub bid_deposit: u128,
	/// Seconds per block (turns an execution window into seconds).
	pub block_seconds: u64,
}

impl MarketTerms {
	/// The collateral the winner locks at `price`, `None` on overflow (the market's
	/// `CollateralRule::for_price`, from the same function).
	pub fn collateral(&self, price: u128) -> Option<u128> {
		kiln_primitives::currency::fixed_plus_percent(
			self.collateral_fixed,
			self.collateral_percent,
			price,
		)
	}
}

/// The market's terms for a client posting a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTerms {
	/// Shortest and longest auction, execution window (inclusive).
	pub bidding_blocks: (u32, u32),
	pub execution_blocks: (u32, u32),
	/// Of the price, to the Treasury (parts per billion).
	pub protocol_fee_perbill: u32,
	pub verification_fee: u128,
	pub verification_percent: u32,
	pub deposit_base: u128,
	pub deposit_per_byte: u128,
}

impl ClientTerms {
	/// What creating a job with `max_price` puts in escrow: the price and the verification
	/// budget (the market's `verification_budget`, from the same function); `None` on overflow.
	pub fn escrow(&self, max_price: u128) -> Option<u128> {
		let budget = kiln_primitives::currency::fixed_plus_percent(
			self.verification_fee,
			self.verification_percent,
			max_price,
		)?;
		max_price.checked_add(budget)
	}

	/// The storage deposit for a spec of `encoded_len` bytes.
	pub fn deposit(&self, encoded_len: usize) -> Option<u128> {
		self.deposit_per_byte.checked_mul(encoded_len as u128)?.checked_add(self.deposit_base)
	}
}

/// A sampling of one of this worker's `Gemm` results whose entries were drawn: the openings
/// to reveal before `reveal_by` (exclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSampling {
	pub challenge: u64,
	pub job: u64,
	pub root: [u8; 32],
	pub indices: Vec<u64>,
	pub reveal_by: u32,
}

/// Where a spot-check is, for the one answering it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStage {
	/// Everyone called re-executes and commits before `next`.
	Committing,
	/// Everyone reveals before `next`.
	Revealing,
	/// Deciding whether to check, or drawing a dispute's panel: nothing to answer.
	Waiting,
}

/// A spot-check this worker must answer: as a verifier, or as the provider in a dispute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpotCheckView {
	pub job: u64,
	pub stage: CheckStage,
	/// The dispute's nonce: answers are `dispute_answer(output, nonce)` (the first round's
	/// answer is the output's blake2-256).
	pub nonce: Option<[u8; 32]>,
	/// This worker answers as the job's provider (a dispute), not as a verifier.
	pub as_provider: bool,
	/// This worker's commitment on chain, if any.
	pub committed: Option<[u8; 32]>,
	/// This worker's answer was revealed.
	pub revealed: bool,
	/// The end of the stage (exclusive).
	pub next: u32,
}
