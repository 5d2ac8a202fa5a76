//! The pallets `kiln-node benchmark pallet` measures (feature `runtime-benchmarks`).

// Re-exported: the macros expand where `apis.rs` calls them, which glob-imports this module.
pub use crate::{
	Balances, Collateral, Council, CouncilMembership, Governance, Market, ProofOfCompute,
	Providers, Runtime, Sudo, Timestamp, TransactionPayment, Treasury,
};
pub use frame_system_benchmarking::{
	extensions::Pallet as SystemExtensionsBench, Pallet as SystemBench,
};

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_treasury, Treasury]
	[pallet_collective, Council]
	[pallet_membership, CouncilMembership]
	[pallet_governance, Governance]
	[pallet_collateral, Collateral]
	[pallet_providers, Providers]
	[pallet_market, Market]
	[pallet_proof_of_compute, ProofOfCompute]
);

// The fees go to the Treasury through `FungibleAdapter`: no block author to set up.
impl pallet_transaction_payment::BenchmarkConfig for Runtime {}
