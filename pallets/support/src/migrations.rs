//! Helpers for the Kiln pallets' storage migrations.

use frame_support::{
	traits::Get,
	weights::{RuntimeDbWeight, Weight},
};

/// The weight of `StorageValue::translate` on one value (`result` is what it returned): one
/// read, and one write when a value was there. A stored value that did not decode is reported
/// as a defensive failure naming `what`: the runtime's default would then apply, which a
/// migration must never do silently.
pub fn translated_value<V, D: Get<RuntimeDbWeight>>(
	result: Result<Option<V>, ()>,
	what: &'static str,
) -> Weight {
	match result {
		Ok(Some(_)) => D::get().reads_writes(1, 1),
		// Nothing stored: the default (which has the new fields) applies, as before.
		Ok(None) => D::get().reads(1),
		Err(()) => {
			frame_support::defensive!(what);
			D::get().reads(1)
		},
	}
}
