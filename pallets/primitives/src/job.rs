//! What a client asks for (SPEC §3 `JobSpec`): the workload, the hardware it needs, the
//! price and the time windows; and the salted result commitment. Shared by the market pallet
//! (which stores and checks specs) and the worker (which fetches and runs them).

use crate::{GemmJob, Requirements};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{BlakeTwo256, ConstU32, Hash, Zero},
	BoundedVec,
};

/// Longest content URI.
pub const MAX_URI_LEN: u32 = 256;
/// Longest CUDA kernel entry-point name.
pub const MAX_ENTRY_LEN: u32 = 64;
/// Largest GEMM dimension (k ≤ 65 536 keeps int8·int8 sums of k terms inside int32).
pub const MAX_GEMM_DIM: u32 = 65_536;

pub type Uri = BoundedVec<u8, ConstU32<MAX_URI_LEN>>;
pub type EntryPoint = BoundedVec<u8, ConstU32<MAX_ENTRY_LEN>>;

/// Content held off chain, pinned by its blake2-256 hash and length; workers refuse content
/// that does not match.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ContentRef {
	pub hash: [u8; 32],
	pub len: u64,
	pub uri: Uri,
}

/// Why fetched content was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ContentError {
	WrongLength { expected: u64, got: u64 },
	WrongHash,
}

impl ContentRef {
	/// Checks `bytes` are the content this reference pins (length first: it is cheaper).
	pub fn verify(&self, bytes: &[u8]) -> Result<(), ContentError> {
		let got = bytes.len() as u64;
		if got != self.len {
			return Err(ContentError::WrongLength { expected: self.len, got });
		}
		if BlakeTwo256::hash(bytes).0 != self.hash {
			return Err(ContentError::WrongHash);
		}
		Ok(())
	}
}

/// The work itself (SPEC §3 `Workload`).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Workload {
	/// A deterministic CPU job: a Wasm module run under wasmtime with a fuel limit.
	Wasm { module: ContentRef, input: ContentRef, fuel: u64 },
	/// CUDA C compiled with NVRTC, launched as `entry<<<grid, block>>>`.
	Cuda {
		source: ContentRef,
		entry: EntryPoint,
		grid: [u32; 3],
		block: [u32; 3],
		input: ContentRef,
		output_len: u64,
	},
	/// C = A·B with int8 A (m×k) and B (k×n) generated from `seed`; verified by sampling.
	Gemm { m: u32, n: u32, k: u32, seed: [u8; 32] },
}

impl Workload {
	/// The shape and seed of a `Gemm` workload (what verification samples); `None` otherwise.
	pub fn gemm(&self) -> Option<GemmJob> {
		match *self {
			Workload::Gemm { m, n, k, seed } => Some(GemmJob { m, n, k, seed }),
			_ => None,
		}
	}
}

/// Why a job spec is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JobSpecError {
	/// `max_price` is zero.
	ZeroPrice,
	/// A GEMM dimension is zero or above [`MAX_GEMM_DIM`].
	GemmDimension,
	/// A CUDA launch with a zero grid or block dimension, an empty entry point or no output.
	CudaLaunch,
	/// A Wasm job without fuel.
	NoFuel,
	/// A content URI that is empty.
	EmptyUri,
	/// `bidding_blocks` or `execution_blocks` outside the market's bounds.
	Window,
}

/// A client's job (SPEC §3 `JobSpec`).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct JobSpec<Balance, BlockNumber> {
	pub workload: Workload,
	pub requirements: Requirements,
	/// The most the client pays; bids above it are refused.
	pub max_price: Balance,
	/// How long the reverse auction runs.
	pub bidding_blocks: BlockNumber,
	/// How long the winner has, from the award, to commit a result.
	pub execution_blocks: BlockNumber,
}

impl<Balance: Zero, BlockNumber: PartialOrd> JobSpec<Balance, BlockNumber> {
	/// Checks the spec is well formed and its windows lie within the market's bounds
	/// (`(min, max)`, inclusive).
	pub fn validate(
		&self,
		bidding: (BlockNumber, BlockNumber),
		execution: (BlockNumber, BlockNumber),
	) -> Result<(), JobSpecError> {
		if self.max_price.is_zero() {
			return Err(JobSpecError::ZeroPrice);
		}
		let within = |v: &BlockNumber, (lo, hi): &(BlockNumber, BlockNumber)| v >= lo && v <= hi;
		if !within(&self.bidding_blocks, &bidding) || !within(&self.execution_blocks, &execution) {
			return Err(JobSpecError::Window);
		}
		let uri_ok = |c: &ContentRef| !c.uri.is_empty();
		match &self.workload {
			Workload::Wasm { module, input, fuel } => {
				if *fuel == 0 {
					return Err(JobSpecError::NoFuel);
				}
				if !uri_ok(module) || !uri_ok(input) {
					return Err(JobSpecError::EmptyUri);
				}
			},
			Workload::Cuda { source, entry, grid, block, input, output_len } => {
				let launch_ok = grid.iter().chain(block.iter()).all(|d| *d > 0)
					&& !entry.is_empty()
					&& *output_len > 0;
				if !launch_ok {
					return Err(JobSpecError::CudaLaunch);
				}
				if !uri_ok(source) || !uri_ok(input) {
					return Err(JobSpecError::EmptyUri);
				}
			},
			Workload::Gemm { m, n, k, .. } => {
				if [m, n, k].iter().any(|d| **d == 0 || **d > MAX_GEMM_DIM) {
					return Err(JobSpecError::GemmDimension);
				}
			},
		}
		Ok(())
	}
}

/// The answer of a verifier that cannot run a job (its inputs cannot be fetched, or do not
/// match their hashes): `blake2_256(b"kiln/output/unavailable")`, committed and revealed like
/// an output hash. No output has it (finding a preimage is infeasible), and the market refuses
/// it as a provider's result.
pub const UNAVAILABLE: [u8; 32] = [
	0x88, 0x71, 0xe9, 0x51, 0x81, 0xef, 0x03, 0xae, 0xa2, 0x60, 0x09, 0x03, 0x32, 0x8b, 0xd9, 0xfc,
	0x86, 0xcf, 0x04, 0x8f, 0x5f, 0x4c, 0xc4, 0xff, 0x30, 0xd3, 0xf2, 0xb8, 0xf0, 0x7b, 0x9a, 0xe4,
];

/// A party's answer in a spot-check dispute: `blake2_256("kiln/dispute" ‖ nonce ‖ output)`
/// over the output's bytes, with the dispute's `nonce` (drawn when its panel is). Only who
/// holds the output can compute it: nothing on chain (the output hashes revealed in the first
/// round included) lets a panelist derive it, so a panel cannot copy (finding 7 of issue 11).
pub fn dispute_answer(output: &[u8], nonce: &[u8; 32]) -> [u8; 32] {
	let mut preimage = alloc::vec::Vec::with_capacity(12 + 32 + output.len());
	preimage.extend_from_slice(b"kiln/dispute");
	preimage.extend_from_slice(nonce);
	preimage.extend_from_slice(output);
	BlakeTwo256::hash(&preimage).0
}

/// `blake2_256(output_hash ‖ salt)`: what a provider (or verifier) commits before revealing,
/// so nobody can copy a result from the chain before it is revealed.
pub fn result_commitment(output_hash: &[u8; 32], salt: &[u8; 32]) -> [u8; 32] {
	let mut preimage = [0u8; 64];
	preimage[..32].copy_from_slice(output_hash);
	preimage[32..].copy_from_slice(salt);
	BlakeTwo256::hash(&preimage).0
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::Backend;
	use sp_runtime::Perbill;

	#[test]
	fn a_dispute_answer_needs_the_output_and_changes_with_the_nonce() {
		let output = b"the output";
		let answer = dispute_answer(output, &[1; 32]);
		assert_ne!(answer, dispute_answer(output, &[2; 32]));
		assert_ne!(answer, dispute_answer(b"another output", &[1; 32]));
		// Not derivable from the output's hash (what the first round made public).
		let hash = BlakeTwo256::hash(output).0;
		assert_ne!(answer, dispute_answer(&hash, &[1; 32]));
		assert_ne!(answer, result_commitment(&hash, &[1; 32]));
	}

	#[test]
	fn the_unavailable_answer_is_the_hash_of_its_tag() {
		assert_eq!(UNAVAILABLE, BlakeTwo256::hash(b"kiln/output/unavailable").0);
	}

	fn content(bytes: &[u8]) -> ContentRef {
		ContentRef {
			hash: BlakeTwo256::hash(bytes).0,
			len: bytes.len() as u64,
			uri: Uri::truncate_from(b"https://data.example.org/x".to_vec()),
		}
	}

	fn spec(workload: Workload) -> JobSpec<u128, u32> {
		JobSpec {
			workload,
			requirements: Requirements::any_cpu(),
			max_price: 1_000,
			bidding_blocks: 10,
			execution_blocks: 100,
		}
	}

	const BOUNDS: ((u32, u32), (u32, u32)) = ((5, 50), (10, 1_000));

	#[test]
	fn content_is_checked_by_length_then_hash() {
		let c = content(b"hello kiln");
		assert_eq!(c.verify(b"hello kiln"), Ok(()));
		assert_eq!(c.verify(b"hello"), Err(ContentError::WrongLength { expected: 10, got: 5 }));
		assert_eq!(c.verify(b"hello KILN"), Err(ContentError::WrongHash));
	}

	#[test]
	fn well_formed_specs_pass() {
		let gemm = Workload::Gemm { m: 256, n: 256, k: 4_096, seed: [7; 32] };
		assert_eq!(spec(gemm).validate(BOUNDS.0, BOUNDS.1), Ok(()));
		let wasm = Workload::Wasm { module: content(b"\0asm"), input: content(b"in"), fuel: 1 };
		assert_eq!(spec(wasm).validate(BOUNDS.0, BOUNDS.1), Ok(()));
		let cuda = Workload::Cuda {
			source: content(b"__global__ void k() {}"),
			entry: EntryPoint::truncate_from(b"k".to_vec()),
			grid: [1, 1, 1],
			block: [256, 1, 1],
			input: content(b""),
			output_len: 4,
		};
		assert_eq!(spec(cuda).validate(BOUNDS.0, BOUNDS.1), Ok(()));
	}

	#[test]
	fn malformed_specs_name_the_problem() {
		let gemm = |m, n, k| Workload::Gemm { m, n, k, seed: [0; 32] };
		for (m, n, k) in [(0, 1, 1), (1, 0, 1), (1, 1, 0), (1, 1, MAX_GEMM_DIM + 1)] {
			assert_eq!(
				spec(gemm(m, n, k)).validate(BOUNDS.0, BOUNDS.1),
				Err(JobSpecError::GemmDimension)
			);
		}
		let mut free = spec(gemm(1, 1, 1));
		free.max_price = 0;
		assert_eq!(free.validate(BOUNDS.0, BOUNDS.1), Err(JobSpecError::ZeroPrice));
		for (bidding, execution) in [(4, 100), (51, 100), (10, 9), (10, 1_001)] {
			let mut s = spec(gemm(1, 1, 1));
			s.bidding_blocks = bidding;
			s.execution_blocks = execution;
			assert_eq!(
				s.validate(BOUNDS.0, BOUNDS.1),
				Err(JobSpecError::Window),
				"{bidding} {execution}"
			);
		}
		let no_fuel = Workload::Wasm { module: content(b"m"), input: content(b"i"), fuel: 0 };
		assert_eq!(spec(no_fuel).validate(BOUNDS.0, BOUNDS.1), Err(JobSpecError::NoFuel));
		let mut nowhere = content(b"m");
		nowhere.uri = Default::default();
		let no_uri = Workload::Wasm { module: nowhere, input: content(b"i"), fuel: 1 };
		assert_eq!(spec(no_uri).validate(BOUNDS.0, BOUNDS.1), Err(JobSpecError::EmptyUri));
		let zero_block = Workload::Cuda {
			source: content(b"s"),
			entry: EntryPoint::truncate_from(b"k".to_vec()),
			grid: [1, 1, 1],
			block: [0, 1, 1],
			input: content(b""),
			output_len: 4,
		};
		assert_eq!(spec(zero_block).validate(BOUNDS.0, BOUNDS.1), Err(JobSpecError::CudaLaunch));
	}

	#[test]
	fn the_commitment_binds_hash_and_salt() {
		let (h, s) = ([1u8; 32], [2u8; 32]);
		let c = result_commitment(&h, &s);
		assert_eq!(c, result_commitment(&h, &s));
		assert_ne!(c, result_commitment(&s, &h));
		assert_ne!(c, result_commitment(&h, &[3u8; 32]));
		// blake2-256 of the 64-byte concatenation, nothing else.
		let mut preimage = h.to_vec();
		preimage.extend_from_slice(&s);
		assert_eq!(c, BlakeTwo256::hash(&preimage).0);
	}
}
