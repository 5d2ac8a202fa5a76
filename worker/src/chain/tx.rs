//! The transactions the worker signs, in the worker's own types. [`super::submit`] turns each
//! into the runtime's call through the generated API, so no other module needs subxt's types.

use super::kiln::runtime_types::{
	bounded_collections::bounded_vec::BoundedVec, kiln_primitives::hardware as chain_hw,
	pallet_proof_of_compute::types::Opening,
};
use kiln_primitives::{job::ContentRef, poc::LEAF_ENTRIES, HardwareProfile};

/// One opening of a challenge: the entries of a leaf of C and its Merkle proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafOpening {
	pub entries: [i32; LEAF_ENTRIES],
	pub proof: Vec<[u8; 32]>,
}

/// A call the worker sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tx {
	Bond(u128),
	BondExtra(u128),
	Unbond(u128),
	WithdrawUnbonded,
	Register { profile: HardwareProfile, endpoint: Vec<u8> },
	UpdateProfile { profile: HardwareProfile, endpoint: Vec<u8> },
	Deregister,
	PlaceBid { job: u64, price: u128 },
	CancelJob { job: u64 },
	CommitResult { job: u64, commitment: [u8; 32] },
	RevealResult { job: u64, output: ContentRef, salt: [u8; 32] },
	CommitChallenge { id: u64, root: [u8; 32] },
	RevealChallenge { id: u64, openings: Vec<LeafOpening> },
	CommitSpotCheck { job: u64, commitment: [u8; 32] },
	RevealSpotCheck { job: u64, answer: [u8; 32], salt: [u8; 32] },
}

impl Tx {
	/// "Pallet.call", for logs and errors.
	pub fn name(&self) -> &'static str {
		match self {
			Tx::Bond(_) => "Collateral.bond",
			Tx::BondExtra(_) => "Collateral.bond_extra",
			Tx::Unbond(_) => "Collateral.unbond",
			Tx::WithdrawUnbonded => "Collateral.withdraw_unbonded",
			Tx::Register { .. } => "Providers.register",
			Tx::UpdateProfile { .. } => "Providers.update_profile",
			Tx::Deregister => "Providers.deregister",
			Tx::PlaceBid { .. } => "Market.place_bid",
			Tx::CancelJob { .. } => "Market.cancel_job",
			Tx::CommitResult { .. } => "Market.commit_result",
			Tx::RevealResult { .. } => "Market.reveal_result",
			Tx::CommitChallenge { .. } => "ProofOfCompute.commit_challenge",
			Tx::RevealChallenge { .. } => "ProofOfCompute.reveal_challenge",
			Tx::CommitSpotCheck { .. } => "ProofOfCompute.commit_spot_check",
			Tx::RevealSpotCheck { .. } => "ProofOfCompute.reveal_spot_check",
		}
	}
}

/// Our profile type as the generated API spells it.
pub fn profile(profile: &HardwareProfile) -> chain_hw::HardwareProfile {
	chain_hw::HardwareProfile {
		gpus: BoundedVec(
			profile
				.gpus
				.iter()
				.map(|g| chain_hw::GpuSpec {
					model: BoundedVec(g.model.to_vec()),
					vram_mib: g.vram_mib,
					compute_capability: g.compute_capability,
					count: g.count,
				})
				.collect(),
		),
		cpu_cores: profile.cpu_cores,
		ram_mib: profile.ram_mib,
		region: chain_hw::Region(profile.region.0),
		backends: chain_hw::Backends { cuda: profile.backends.cuda, cpu: profile.backends.cpu },
	}
}

pub(super) fn content(
	content: &ContentRef,
) -> super::kiln::runtime_types::kiln_primitives::job::ContentRef {
	super::kiln::runtime_types::kiln_primitives::job::ContentRef {
		hash: content.hash,
		len: content.len,
		uri: BoundedVec(content.uri.to_vec()),
	}
}

pub(super) fn openings(openings: &[LeafOpening]) -> BoundedVec<Opening> {
	BoundedVec(
		openings
			.iter()
			.map(|o| Opening { entries: o.entries, proof: BoundedVec(o.proof.clone()) })
			.collect(),
	)
}
