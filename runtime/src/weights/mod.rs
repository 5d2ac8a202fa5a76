//! The weights of the Polkadot SDK's pallets, of the block and extrinsic overhead and of the
//! database, measured on Kiln's runtime by `scripts/benchmark.sh sdk overhead storage` (the
//! Kiln pallets keep theirs in their own crates). Every file here is generated; rerun the
//! script rather than edit them. `configs` says how the database weights are measured.

pub mod block_weights;
pub mod extrinsic_weights;
pub mod frame_system;
pub mod frame_system_extensions;
pub mod pallet_balances;
pub mod pallet_collective;
pub mod pallet_membership;
pub mod pallet_sudo;
pub mod pallet_timestamp;
pub mod pallet_transaction_payment;
pub mod pallet_treasury;
// The CLI's template documents the struct's fields, which rustc does not keep.
#[allow(unused_doc_comments)]
pub mod paritydb_weights;

pub use block_weights::BlockExecutionWeight;
pub use extrinsic_weights::ExtrinsicBaseWeight;
