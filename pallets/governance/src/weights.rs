// Provisional: written by hand from the storage each call touches, with execution times
// well above those of the measured calls of the same shape in pallet_providers
// (`pause`: 28 µs for 2 reads and 2 writes). Regenerate with
// `scripts/benchmark.sh pallet_governance`, which overwrites this file.

//! Weights for `pallet_governance`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_governance`.
pub trait WeightInfo {
	fn add_validator() -> Weight;
	fn remove_validator() -> Weight;
	fn authorize_upgrade() -> Weight;
}

/// Weights for `pallet_governance` with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Governance::Validators` (r:1 w:1), `Session::NextKeys` (r:1 w:0)
	/// Proof: `Governance::Validators` (`max_values`: Some(1), `max_size`: Some(3202))
	fn add_validator() -> Weight {
		Weight::from_parts(60_000_000, 0)
			.saturating_add(Weight::from_parts(0, 4_700))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `Governance::Validators` (r:1 w:1)
	fn remove_validator() -> Weight {
		Weight::from_parts(50_000_000, 0)
			.saturating_add(Weight::from_parts(0, 3_700))
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `System::AuthorizedUpgrade` (r:0 w:1)
	fn authorize_upgrade() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(T::DbWeight::get().writes(1))
	}
}

impl WeightInfo for () {
	fn add_validator() -> Weight {
		Weight::from_parts(60_000_000, 4_700)
			.saturating_add(ParityDbWeight::get().reads(2))
			.saturating_add(ParityDbWeight::get().writes(1))
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(50_000_000, 3_700)
			.saturating_add(ParityDbWeight::get().reads(1))
			.saturating_add(ParityDbWeight::get().writes(1))
	}
	fn authorize_upgrade() -> Weight {
		Weight::from_parts(20_000_000, 0).saturating_add(ParityDbWeight::get().writes(1))
	}
}
