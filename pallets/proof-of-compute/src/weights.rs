// PROVISIONAL: written by hand before the first benchmark run (the pallet is not in the
// runtime yet); scripts/benchmark.sh will replace this file with generated weights.

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, RuntimeDbWeight, Weight},
};

/// Weight functions needed for `pallet_proof_of_compute`.
pub trait WeightInfo {
	fn commit_challenge() -> Weight;
	/// `s` openings of a challenge with inner dimension `k`.
	fn reveal_challenge(s: u32, k: u32) -> Weight;
	fn configure() -> Weight;
	/// The sweep visiting `p` providers.
	fn sweep(p: u32) -> Weight;
	/// `n` agenda entries (openings of `s` samples, or failures).
	fn agenda_entries(n: u32, s: u32) -> Weight;
}

fn provisional(db: RuntimeDbWeight, us: u64, reads: u64, writes: u64) -> Weight {
	Weight::from_parts(us.saturating_mul(1_000_000), 20_000)
		.saturating_add(db.reads_writes(reads, writes))
}

fn reveal(db: RuntimeDbWeight, s: u32, k: u32) -> Weight {
	// About 40 ns per multiply-add of the O(k) recomputation, 5 µs per leaf and proof.
	provisional(db, 50 + u64::from(s) * (5 + u64::from(k) / 25), 4, 4)
}

fn sweep(db: RuntimeDbWeight, p: u32) -> Weight {
	let p = u64::from(p);
	provisional(db, 20 + 30 * p, 2 + 3 * p, 1 + 3 * p)
}

fn agenda(db: RuntimeDbWeight, n: u32, s: u32) -> Weight {
	let n = u64::from(n);
	provisional(db, 10 + n * (60 + u64::from(s)), 1 + 6 * n, 1 + 6 * n)
}

/// Provisional weights (see the header).
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn commit_challenge() -> Weight {
		provisional(T::DbWeight::get(), 30, 2, 1)
	}
	fn reveal_challenge(s: u32, k: u32) -> Weight {
		reveal(T::DbWeight::get(), s, k)
	}
	fn configure() -> Weight {
		provisional(T::DbWeight::get(), 10, 0, 1)
	}
	fn sweep(p: u32) -> Weight {
		sweep(T::DbWeight::get(), p)
	}
	fn agenda_entries(n: u32, s: u32) -> Weight {
		agenda(T::DbWeight::get(), n, s)
	}
}

impl WeightInfo for () {
	fn commit_challenge() -> Weight {
		provisional(ParityDbWeight::get(), 30, 2, 1)
	}
	fn reveal_challenge(s: u32, k: u32) -> Weight {
		reveal(ParityDbWeight::get(), s, k)
	}
	fn configure() -> Weight {
		provisional(ParityDbWeight::get(), 10, 0, 1)
	}
	fn sweep(p: u32) -> Weight {
		sweep(ParityDbWeight::get(), p)
	}
	fn agenda_entries(n: u32, s: u32) -> Weight {
		agenda(ParityDbWeight::get(), n, s)
	}
}
