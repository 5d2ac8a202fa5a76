//! What the worker asks for a job: a floor per unit of work for each workload kind, plus a
//! markup, never above the client's `max_price` and never below the floor.

use kiln_primitives::job::Workload;

/// Prices a job; `None` means it cannot be priced (an amount overflowed).
pub trait PricePolicy {
	/// The least the worker accepts for `work`, whose execution window is `window_secs`.
	fn floor(&self, work: &Workload, window_secs: u64) -> Option<u128>;
	/// What the worker asks, given the floor (at least the floor).
	fn ask(&self, floor: u128) -> Option<u128>;
}

const GIGA: u128 = 1_000_000_000;

/// Floors in planck per unit of work and a markup in percent (`[pricing]` in worker.toml).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloorAndMarkup {
	/// Per 10⁹ units of Wasm fuel (about a second of a core).
	pub wasm_per_gigafuel: u128,
	/// Per 10⁹ multiply-adds of a `Gemm` job (m·n·k).
	pub gemm_per_gmac: u128,
	/// Per GPU-second of a `Cuda` job, estimated as the whole execution window on each GPU
	/// asked for (a kernel's running time cannot be known before it runs).
	pub cuda_per_gpu_second: u128,
	/// The least for any job (it pays at least the transaction fees of bidding, committing
	/// and revealing).
	pub min_job_price: u128,
	/// Added to the floor, in percent.
	pub markup_percent: u32,
}

/// `per_giga × units / 10⁹`, rounded up.
fn per_giga(per_giga: u128, units: u128) -> Option<u128> {
	Some(per_giga.checked_mul(units)?.div_ceil(GIGA))
}

impl PricePolicy for FloorAndMarkup {
	fn floor(&self, work: &Workload, window_secs: u64) -> Option<u128> {
		let by_work = match work {
			Workload::Wasm { fuel, .. } => per_giga(self.wasm_per_gigafuel, u128::from(*fuel))?,
			Workload::Gemm { m, n, k, .. } => {
				let macs = u128::from(*m) * u128::from(*n) * u128::from(*k);
				per_giga(self.gemm_per_gmac, macs)?
			},
			Workload::Cuda { .. } => {
				self.cuda_per_gpu_second.checked_mul(u128::from(window_secs))?
			},
		};
		Some(by_work.max(self.min_job_price))
	}

	fn ask(&self, floor: u128) -> Option<u128> {
		let markup = floor.checked_mul(u128::from(self.markup_percent))?.div_ceil(100);
		floor.checked_add(markup)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use kiln_primitives::job::{ContentRef, EntryPoint};

	fn policy() -> FloorAndMarkup {
		FloorAndMarkup {
			wasm_per_gigafuel: 2_000_000_000,
			gemm_per_gmac: 500_000_000,
			cuda_per_gpu_second: 3_000_000,
			min_job_price: 10_000_000,
			markup_percent: 20,
		}
	}

	fn content() -> ContentRef {
		ContentRef { hash: [0; 32], len: 1, uri: b"http://x/y".to_vec().try_into().unwrap() }
	}

	#[test]
	fn floors_scale_with_the_work_of_each_kind() {
		let p = policy();
		let wasm = |fuel| Workload::Wasm { module: content(), input: content(), fuel };
		assert_eq!(p.floor(&wasm(1_000_000_000_000), 0), Some(2_000_000_000_000));
		// Rounded up, and never below the least per job.
		assert_eq!(p.floor(&wasm(1), 0), Some(10_000_000));
		let gemm = Workload::Gemm { m: 4096, n: 4096, k: 8192, seed: [0; 32] };
		// 4096·4096·8192 = 137.4 G multiply-adds at 0.0005 KILN each G.
		assert_eq!(p.floor(&gemm, 0), Some(68_719_476_736));
		let cuda = Workload::Cuda {
			source: content(),
			entry: EntryPoint::truncate_from(b"k".to_vec()),
			grid: [1; 3],
			block: [1; 3],
			input: content(),
			output_len: 4,
		};
		assert_eq!(p.floor(&cuda, 60), Some(180_000_000));
	}

	#[test]
	fn the_ask_is_the_floor_plus_the_markup_rounded_up() {
		let p = policy();
		assert_eq!(p.ask(100), Some(120));
		assert_eq!(p.ask(101), Some(122));
		assert_eq!(FloorAndMarkup { markup_percent: 0, ..p.clone() }.ask(7), Some(7));
		assert_eq!(p.ask(u128::MAX), None);
		let huge = FloorAndMarkup { wasm_per_gigafuel: u128::MAX, ..p };
		let wasm = Workload::Wasm { module: content(), input: content(), fuel: 2 };
		assert_eq!(huge.floor(&wasm, 0), None, "an overflow prices nothing");
	}
}
