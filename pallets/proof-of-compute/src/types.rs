//! A hardware challenge, an opening, and the pallet's configuration.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use kiln_primitives::{
	poc::{Shape, LEAF_ENTRIES},
	JobId, Requirements,
};
use scale_info::TypeInfo;
use sp_runtime::{traits::ConstU32, Perbill};

/// Most entries a challenge may open (`samples` may not exceed it).
pub const MAX_SAMPLES: u32 = 64;

/// Most providers the sweep may visit per block (`providers_per_block`).
pub const MAX_PROVIDERS_PER_BLOCK: u32 = 64;

/// Verifiers of one spot-check at once: one, then two more in a dispute.
pub const MAX_VERIFIERS: u32 = 3;

/// Verifiers that may be replaced after not answering, per spot-check.
pub const MAX_REPLACEMENTS: u32 = 3;

/// Providers looked at when picking one verifier (from a random place in the registry).
pub const VERIFIER_CANDIDATES: u32 = 8;

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
	/// Providers the sweep visits per block (at most [`MAX_PROVIDERS_PER_BLOCK`]).
	pub providers_per_block: u32,
	/// The challenge's GEMM shape for a provider that declares the CUDA backend.
	pub m: u32,
	pub n: u32,
	pub k: u32,
	/// The challenge's GEMM shape for a provider without CUDA (CPU only): one a CPU computes
	/// within `commit_blocks`, where the GPU shape would take minutes (issue 11: a challenge
	/// shape that fits the provider's declared backends).
	pub cpu_m: u32,
	pub cpu_n: u32,
	pub cpu_k: u32,
	/// Blocks from the challenge to the last block a root may be committed in (exclusive).
	pub commit_blocks: BlockNumber,
	/// Blocks from the opening to the last block the openings may be revealed in (exclusive).
	pub reveal_blocks: BlockNumber,
	/// Entries of C opened per challenge (at most [`MAX_SAMPLES`]).
	pub samples: u32,
	/// Slashed from a provider that fails a challenge or does not answer it.
	pub slash_failed_challenge: Balance,
	/// Chance that a committed (non-GEMM) job result is re-executed by a verifier.
	pub spot_check_probability: Perbill,
	/// Blocks a verifier has to re-execute a job and commit its result.
	pub verifier_blocks: BlockNumber,
	/// Slashed from whoever loses a dispute (provider or verifier) or a GEMM job's sampling,
	/// and from a verifier that does not answer; a verifier locks this much while assigned.
	pub slash_wrong_result: Balance,
}

/// Longest commit or reveal window `configure` accepts: a day of 6-second blocks.
pub const MAX_WINDOW_BLOCKS: u32 = 14_400;

/// Longest time a verifier may be given to re-execute a job: 7 days of 6-second blocks.
pub const MAX_VERIFIER_BLOCKS: u32 = 100_800;

/// The field of a [`ConfigRecord`] that `configure` refused (`Error::InvalidConfiguration`).
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
	frame_support::PalletError,
)]
pub enum ConfigField {
	/// `m`, `n`, `k`: each at least 1, `k` at most `poc::MAX_K`, `m × n` at most
	/// `poc::MAX_SHAPE_ENTRIES`.
	ChallengeShape,
	/// At most [`MAX_PROVIDERS_PER_BLOCK`].
	ProvidersPerBlock,
	/// 2 to [`MAX_WINDOW_BLOCKS`]: a challenge seen in a block's events must leave at least
	/// one whole block to answer in.
	CommitBlocks,
	/// 2 to [`MAX_WINDOW_BLOCKS`], for the same reason.
	RevealBlocks,
	/// 1 to [`MAX_SAMPLES`].
	Samples,
	/// 2 to [`MAX_VERIFIER_BLOCKS`].
	VerifierBlocks,
	/// Not zero: a failed challenge must cost something.
	SlashFailedChallenge,
	/// Not zero: a wrong result (and a silent verifier) must cost something.
	SlashWrongResult,
	/// `cpu_m`, `cpu_n`, `cpu_k`: as `ChallengeShape`.
	CpuChallengeShape,
}

impl<Balance: sp_runtime::traits::Zero, BlockNumber: From<u32> + PartialOrd + Copy>
	ConfigRecord<Balance, BlockNumber>
{
	/// The first field that breaks the protocol, if any.
	pub fn validate(&self) -> Result<(), ConfigField> {
		let within = |value: BlockNumber, max: u32| value >= 2u32.into() && value <= max.into();
		let shape_ok = |m: u32, n: u32, k: u32| {
			[m, n, k].iter().all(|d| *d > 0)
				&& k <= kiln_primitives::poc::MAX_K
				&& u64::from(m) * u64::from(n) <= kiln_primitives::poc::MAX_SHAPE_ENTRIES
		};
		if !shape_ok(self.m, self.n, self.k) {
			return Err(ConfigField::ChallengeShape);
		}
		if !shape_ok(self.cpu_m, self.cpu_n, self.cpu_k) {
			return Err(ConfigField::CpuChallengeShape);
		}
		if self.providers_per_block > MAX_PROVIDERS_PER_BLOCK {
			return Err(ConfigField::ProvidersPerBlock);
		}
		if !within(self.commit_blocks, MAX_WINDOW_BLOCKS) {
			return Err(ConfigField::CommitBlocks);
		}
		if !within(self.reveal_blocks, MAX_WINDOW_BLOCKS) {
			return Err(ConfigField::RevealBlocks);
		}
		if self.samples == 0 || self.samples > MAX_SAMPLES {
			return Err(ConfigField::Samples);
		}
		if !within(self.verifier_blocks, MAX_VERIFIER_BLOCKS) {
			return Err(ConfigField::VerifierBlocks);
		}
		if self.slash_failed_challenge.is_zero() {
			return Err(ConfigField::SlashFailedChallenge);
		}
		if self.slash_wrong_result.is_zero() {
			return Err(ConfigField::SlashWrongResult);
		}
		Ok(())
	}

	/// The shape of a hardware challenge for a provider that declares `backends`: the GPU
	/// shape if it declares CUDA, the CPU shape if not.
	pub fn challenge_shape(&self, backends: Option<kiln_primitives::Backends>) -> Shape {
		match backends {
			Some(b) if !b.cuda => Shape { m: self.cpu_m, n: self.cpu_n, k: self.cpu_k },
			_ => Shape { m: self.m, n: self.n, k: self.k },
		}
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

/// What a challenge checks.
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
pub enum Purpose {
	/// The provider's hardware (a challenge from the sweep).
	Hardware,
	/// A market `Gemm` job's result (its root is the revealed output hash).
	Job(JobId),
}

/// What an agenda entry is for.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Task {
	Challenge(u64),
	SpotCheck(JobId),
}

/// A challenge: PoC-GEMM for a provider's hardware, or sampling of a `Gemm` job's result.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Challenge<AccountId, BlockNumber> {
	pub purpose: Purpose,
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
	/// Openings are accepted in blocks before this one. Provisional until the challenge
	/// opens (a job's: `opens_at + 1`): the opening sets it, `reveal_blocks` from the block
	/// that opens.
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

/// One verifier of a spot-check.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Verifier<AccountId> {
	pub account: AccountId,
	/// `blake2_256(output_hash ‖ salt)` once committed.
	pub commitment: Option<[u8; 32]>,
	/// The revealed output hash.
	pub output: Option<[u8; 32]>,
	/// Did not answer in time: slashed, no longer counted.
	pub dropped: bool,
}

/// Where a spot-check is.
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
pub enum SpotCheckStage {
	/// The provider committed; whether to check is drawn at `next`.
	Deciding,
	/// The verifiers re-execute and commit before `next`.
	Committing,
	/// Everyone reveals before `next`.
	Revealing,
	/// The first round disagreed: the dispute's verifiers are drawn at `next`, from randomness
	/// of the blocks after `draw_after` (the last reveal).
	Drawing,
}

/// A job result being re-executed by verifiers (SPEC §3 spot-checks).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct SpotCheck<AccountId, Balance, BlockNumber> {
	pub provider: AccountId,
	pub client: AccountId,
	pub requirements: Requirements,
	/// The block of the last transaction the next draw depends on: the provider's commitment,
	/// then the last reveal of the first round. Draws use randomness of later blocks only.
	pub draw_after: BlockNumber,
	/// The provider's revealed output hash.
	pub provider_output: Option<[u8; 32]>,
	/// Everyone assigned so far (dropped ones included, so they are not picked again).
	pub verifiers: BoundedVec<Verifier<AccountId>, ConstU32<{ MAX_VERIFIERS + MAX_REPLACEMENTS }>>,
	/// Two more verifiers were called after a mismatch.
	pub dispute: bool,
	pub stage: SpotCheckStage,
	/// The block of this spot-check's agenda entry (the end of its stage).
	pub next: BlockNumber,
	/// What each verifier locked of its collateral.
	pub bond: Balance,
	/// The dispute's nonce, drawn with its panel (`None` before): every answer of the dispute
	/// round, the provider's included, is `kiln_primitives::dispute_answer(output, nonce)`,
	/// committed before any is revealed, so the panel has nothing to copy.
	pub nonce: Option<[u8; 32]>,
	/// The provider's commitment in the dispute round.
	pub provider_commitment: Option<[u8; 32]>,
	/// The provider's revealed answer in the dispute round.
	pub provider_answer: Option<[u8; 32]>,
}

impl<AccountId: PartialEq, Balance, BlockNumber> SpotCheck<AccountId, Balance, BlockNumber> {
	/// The verifiers still counted.
	pub fn active(&self) -> impl Iterator<Item = &Verifier<AccountId>> {
		self.verifiers.iter().filter(|v| !v.dropped)
	}

	/// Whether `who` was ever assigned.
	pub fn assigned(&self, who: &AccountId) -> bool {
		self.verifiers.iter().any(|v| v.account == *who)
	}
}

/// How a dispute ended.
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
pub enum DisputeOutcome {
	/// Two verifiers agree with the provider: it is paid, dissenting verifiers slashed.
	ProviderUpheld,
	/// Two verifiers agree on another result: the client is refunded, the provider slashed.
	ProviderOverturned,
	/// No two verifiers agree: the client is refunded, nobody is slashed.
	Inconclusive,
	/// Two verifiers answered `kiln_primitives::UNAVAILABLE` (they could not fetch the job's
	/// inputs): nobody's fault that the chain can tell; the client is refunded, nobody is
	/// slashed or paid.
	InputsUnavailable,
}
