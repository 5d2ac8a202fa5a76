//! What the worker reads from the chain, in plain types (no subxt): [`super::query`] fills
//! them in, and the pure state machines ([`crate::poc::machine`]) decide on them.

use kiln_primitives::{poc::Shape, Reputation};

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
	/// The entries to open were drawn.
	Opened { id: u64, indices: Vec<u64> },
}

/// What became of one challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChallengeOutcome {
	Passed,
	Failed { reason: String, slashed: u128 },
	Voided,
}
