//! The weights of the Polkadot SDK's pallets and of the block and extrinsic overhead, measured
//! on Kiln's runtime by `scripts/benchmark.sh sdk overhead` (the Kiln pallets keep theirs in
//! their own crates). Every file here is generated; rerun the script rather than edit them.
//!
//! The database weights stay the SDK's `ParityDbWeight` (8 µs a read, 50 µs a write): see
//! `configs` for why.

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

pub use block_weights::BlockExecutionWeight;
pub use extrinsic_weights::ExtrinsicBaseWeight;
