//! The Kiln runtime.
//!
//! `configs/` holds one `impl Config` per pallet (`configs/governance.rs`: the Council, the
//! origin every parameter answers to, the validator set, equivocation reports), `apis.rs` the
//! runtime APIs the node and clients call, `genesis_config_presets.rs` the presets.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` does a lot of recursion and requires us to increase the limit.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

// Declared before `apis`: it defines the `list_benchmarks!`/`add_benchmarks!` macros used there.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;

pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod market_api;
pub mod weights;

pub use apis::RuntimeApi;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_economics;
#[cfg(test)]
mod tests_governance;
#[cfg(test)]
mod tests_market_api;
#[cfg(test)]
mod tests_scale;
#[cfg(all(test, feature = "try-runtime"))]
mod tests_upgrade;
#[cfg(test)]
mod tests_weights;

use alloc::vec::Vec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;
/// Some way of identifying an account on the chain (sr25519, ed25519 or ecdsa public key).
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account, in the smallest unit (10^-12 KILN).
pub type Balance = u128;
/// Index of a transaction in the chain.
pub type Nonce = u32;
/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;
/// An index to a block.
pub type BlockNumber = u32;
/// Timestamps are milliseconds since the Unix epoch.
pub type Moment = u64;

/// Opaque types, used by the node which does not need to know the runtime's call types.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
	/// The keys a validator registers through `Session::set_keys`.
	pub struct SessionKeys {
		pub babe: Babe,
		pub grandpa: Grandpa,
	}
}

#[cfg(not(feature = "next-spec-version"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("kiln"),
	impl_name: alloc::borrow::Cow::Borrowed("kiln-node"),
	authoring_version: 1,
	spec_version: 100,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// The same runtime one `spec_version` later (feature `next-spec-version`): what the upgrade
/// test applies to a running chain (`runtime/test-variants/next`). Keep in step with the above.
#[cfg(feature = "next-spec-version")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("kiln"),
	impl_name: alloc::borrow::Cow::Borrowed("kiln-node"),
	authoring_version: 1,
	spec_version: 101,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// KILN has 12 decimals: one KILN is 10^12 of the smallest unit.
pub mod currency {
	//! The token's units, defined once in `kiln-primitives` (the worker uses them too).
	pub use kiln_primitives::currency::{
		EXISTENTIAL_DEPOSIT, KILN, MICRO_KILN, MILLI_KILN, SS58_PREFIX, TOKEN_DECIMALS,
		TOKEN_SYMBOL,
	};
}

/// Block times and the BABE epoch, in blocks.
pub mod time {
	use super::{BlockNumber, Moment};

	/// 6 s blocks (SPEC §2). The `fast-runtime` feature keeps the block time and shortens the
	/// epoch so tests see epoch changes quickly.
	pub const MILLI_SECS_PER_BLOCK: Moment = 6000;
	pub const SLOT_DURATION: Moment = MILLI_SECS_PER_BLOCK;

	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	pub const HOURS: BlockNumber = MINUTES * 60;
	pub const DAYS: BlockNumber = HOURS * 24;

	#[cfg(not(feature = "fast-runtime"))]
	pub const EPOCH_DURATION_IN_BLOCKS: BlockNumber = 10 * MINUTES;
	#[cfg(feature = "fast-runtime")]
	pub const EPOCH_DURATION_IN_BLOCKS: BlockNumber = MINUTES;
	pub const EPOCH_DURATION_IN_SLOTS: u64 = EPOCH_DURATION_IN_BLOCKS as u64;

	/// 1 in 4 slots has a primary BABE slot leader on average.
	pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 4);
}

/// The BABE epoch configuration at genesis: secondary VRF slots so that every slot has an
/// author and the VRF output (randomness for proof-of-compute challenges) is in every block.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: time::PRIMARY_PROBABILITY,
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions, checked in this order for every signed transaction.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// All migrations of the runtime, applied in order (each runs once, by storage version).
type Migrations = (
	pallet_providers::migrations::V1<Runtime>,
	pallet_proof_of_compute::migrations::V1<Runtime>,
	pallet_proof_of_compute::migrations::V2<Runtime>,
	pallet_proof_of_compute::migrations::V3<Runtime>,
	pallet_proof_of_compute::migrations::V4<Runtime>,
	pallet_market::migrations::V1<Runtime>,
	pallet_market::migrations::V2<Runtime>,
	pallet_market::migrations::V3<Runtime>,
	pallet_market::migrations::V4<Runtime>,
	pallet_market::migrations::V5<Runtime>,
	pallet_escrow::migrations::V1<Runtime>,
	pallet_escrow::migrations::V2<Runtime>,
);

/// Executive: handles dispatch to the various pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Babe = pallet_babe;
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;
	// Declared before Session: its genesis validator set is stored when Session asks for it.
	#[runtime::pallet_index(12)]
	pub type Governance = pallet_governance;
	#[runtime::pallet_index(6)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(7)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(8)]
	pub type Treasury = pallet_treasury;
	#[runtime::pallet_index(9)]
	pub type Sudo = pallet_sudo;
	// 10..=19: governance (Governance, index 12, is declared above, before Session).
	#[runtime::pallet_index(10)]
	pub type Council = pallet_collective<Instance1>;
	#[runtime::pallet_index(11)]
	pub type CouncilMembership = pallet_membership<Instance1>;
	#[runtime::pallet_index(13)]
	pub type Historical = pallet_session::historical;
	#[runtime::pallet_index(14)]
	pub type Offences = pallet_offences;
	// 20..=29: the market pallets (Providers, Collateral, Market, Escrow, ProofOfCompute).
	#[runtime::pallet_index(20)]
	pub type Providers = pallet_providers;
	#[runtime::pallet_index(21)]
	pub type Collateral = pallet_collateral;
	#[runtime::pallet_index(22)]
	pub type Market = pallet_market;
	#[runtime::pallet_index(23)]
	pub type Escrow = pallet_escrow;
	// After Market: a spot-check's reveal deadline is handled once the market has failed a
	// provider that did not reveal at the same block.
	#[runtime::pallet_index(24)]
	pub type ProofOfCompute = pallet_proof_of_compute;
}
