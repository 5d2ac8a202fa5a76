//! A hardware challenge, an opening, and the pallet's configuration.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use kiln_primitives::poc::LEAF_ENTRIES;
use scale_info::TypeInfo;
use sp_runtime::{traits::ConstU32, Perbill};

/// Most entries a challenge may open (`samples` may not exceed it).
pub const MAX_SAMPLES: u32 = 64;

/// Longest Merkle proof an opening may carry (C has at most 2^32 entries, 2^26 leaves).
pub const MAX_PROOF_DEPTH: u32 = 32;

/// The pallet's parameters (governance sets them through `configure`).
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ConfigRecord<Balance, BlockNumber> {
	/// Chance that an active provider visited by the sweep gets a challenge.
	pub challenge_rate: Perbill,
	/// Providers the sweep visits per block.
	pub providers_per_block: u32,
	/// The challenge's GEMM shape.
	pub m: u32,
	pub n: u32,
	pub k: u32,
	/// Blocks from the challenge to the last block a root may be committed in (exclusive).
	pub commit_blocks: BlockNumber,
	/// Blocks from the opening to the last block the openings may be revealed in (exclusive).
	pub reveal_blocks: BlockNumber,
	/// Entries of C opened per challenge (at most [`MAX_SAMPLES`]).
	pub samples: u32,
	/// Slashed from a provider that fails a challenge or does not answer it.
	pub slash_failed_challenge: Balance,
}

impl<Balance, BlockNumber: sp_runtime::traits::Zero> ConfigRecord<Balance, BlockNumber> {
	pub fn validate(&self) -> Result<(), ()> {
		let dims_ok = [self.m, self.n, self.k].iter().all(|d| *d > 0)
			&& self.k <= kiln_primitives::poc::MAX_K
			&& u64::from(self.m) * u64::from(self.n) <= kiln_primitives::poc::MAX_SHAPE_ENTRIES;
		if !dims_ok
			|| self.commit_blocks.is_zero()
			|| self.reveal_blocks.is_zero()
			|| self.samples == 0
			|| self.samples > MAX_SAMPLES
		{
			return Err(());
		}
		Ok(())
	}
}

/// One opened leaf: its 64 entries and its Merkle path (siblings bottom-up).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Opening {
	pub entries: [i32; LEAF_ENTRIES],
	pub proof: BoundedVec<[u8; 32], ConstU32<MAX_PROOF_DEPTH>>,
}

/// Where a challenge is.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum ChallengeState<BlockNumber> {
	/// Waiting for the root of C.
	Issued,
	/// The root is committed (in block `at`); the entries to open are drawn at `opens_at`.
	Committed { root: [u8; 32], at: BlockNumber },
	/// The entries to open are known; the openings are due before `reveal_by`.
	Opened { root: [u8; 32], indices: BoundedVec<u64, ConstU32<MAX_SAMPLES>> },
}

/// A hardware challenge to one provider.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Challenge<AccountId, BlockNumber> {
	pub provider: AccountId,
	pub seed: [u8; 32],
	pub m: u32,
	pub n: u32,
	pub k: u32,
	/// A root is accepted in blocks before this one.
	pub commit_by: BlockNumber,
	/// The block whose start draws the entries to open (from randomness revealed after every
	/// block a root could be committed in).
	pub opens_at: BlockNumber,
	/// Openings are accepted in blocks before this one.
	pub reveal_by: BlockNumber,
	pub state: ChallengeState<BlockNumber>,
}

/// Why a challenge failed.
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
pub enum FailReason {
	/// No root was committed in time.
	NoCommit,
	/// The openings were not revealed in time.
	NoReveal,
	/// An opened entry is not the product of A and B.
	WrongEntry,
	/// An opening does not lead to the committed root.
	BadProof,
}
