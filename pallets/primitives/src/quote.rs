//! Price quotes from recent clearing prices (SPEC §5 `market_quote`): what a client reads to
//! pick `max_price` before it posts a job.
//!
//! The market keeps, per workload kind, the last [`QUOTE_WINDOW`] settled jobs' prices with the
//! units of work they bought ([`ClearingPrice`]). A quote scales each recorded price to the
//! asked job's units (`price × units / recorded units`) and reports the count, the lowest, the
//! median and the highest of those figures, once over comparable jobs (same backend and GPU
//! count) and once over every job of the kind. Medians resist a few outliers: moving one takes
//! more than half the window of settled jobs, each paying the protocol fee on its price.

use crate::{Backend, Requirements, Workload};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding, traits::AtLeast32BitUnsigned, Rounding,
	SaturatedConversion,
};

/// How many recent clearing prices the market keeps per workload kind.
pub const QUOTE_WINDOW: u32 = 32;

/// The kind of a [`Workload`], and what its units of work are.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum WorkloadKind {
	/// Units: fuel (Wasm instructions metered by wasmtime).
	Wasm,
	/// Units: threads launched (`grid × block`).
	Cuda,
	/// Units: multiply-adds (`m × n × k`).
	Gemm,
}

impl WorkloadKind {
	pub const ALL: [WorkloadKind; 3] = [WorkloadKind::Wasm, WorkloadKind::Cuda, WorkloadKind::Gemm];

	/// The lower-case name clients use (`wasm`, `cuda`, `gemm`).
	pub fn name(&self) -> &'static str {
		match self {
			Self::Wasm => "wasm",
			Self::Cuda => "cuda",
			Self::Gemm => "gemm",
		}
	}

	/// The kind named `name` (as [`Self::name`] writes it).
	pub fn from_name(name: &str) -> Option<Self> {
		Self::ALL.into_iter().find(|kind| kind.name() == name)
	}

	/// What one unit of this kind is, in words.
	pub fn unit(&self) -> &'static str {
		match self {
			Self::Wasm => "fuel",
			Self::Cuda => "threads",
			Self::Gemm => "multiply-adds",
		}
	}
}

impl Workload {
	pub fn kind(&self) -> WorkloadKind {
		match self {
			Self::Wasm { .. } => WorkloadKind::Wasm,
			Self::Cuda { .. } => WorkloadKind::Cuda,
			Self::Gemm { .. } => WorkloadKind::Gemm,
		}
	}

	/// The units of work this workload buys (see [`WorkloadKind`]), at least 1, saturating.
	pub fn units(&self) -> u64 {
		let product =
			|dims: &[u32]| dims.iter().fold(1u64, |acc, d| acc.saturating_mul(u64::from(*d)));
		let units = match self {
			Self::Wasm { fuel, .. } => *fuel,
			Self::Cuda { grid, block, .. } => product(grid).saturating_mul(product(block)),
			Self::Gemm { m, n, k, .. } => product(&[*m, *n, *k]),
		};
		units.max(1)
	}
}

/// A settled job's price, what it bought and on what hardware.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ClearingPrice<Balance, BlockNumber> {
	pub price: Balance,
	pub units: u64,
	pub backend: Backend,
	pub gpu_count: u16,
	pub settled_at: BlockNumber,
}

impl<Balance: AtLeast32BitUnsigned + Copy, BlockNumber> ClearingPrice<Balance, BlockNumber> {
	/// This price scaled to `units` of work (rounded up, saturating).
	pub fn scaled_to(&self, units: u64) -> Balance {
		let price: u128 = self.price.saturated_into();
		multiply_by_rational_with_rounding(
			price,
			u128::from(units.max(1)),
			u128::from(self.units.max(1)),
			Rounding::Up,
		)
		.unwrap_or(u128::MAX)
		.saturated_into()
	}

	/// Whether a job with `requirements` is comparable to this one: the same backend and the
	/// same number of GPUs.
	pub fn comparable_to(&self, requirements: &Requirements) -> bool {
		self.backend == requirements.backend && self.gpu_count == requirements.gpu_count
	}
}

/// The spread of a set of prices.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct PriceRange<Balance> {
	/// How many settled jobs the figures come from (at least 1).
	pub count: u32,
	pub min: Balance,
	/// The lower median.
	pub median: Balance,
	pub max: Balance,
}

impl<Balance: Ord + Copy> PriceRange<Balance> {
	/// The range of `prices`; `None` if there are none.
	pub fn of(mut prices: Vec<Balance>) -> Option<Self> {
		prices.sort();
		let count = prices.len();
		Some(Self {
			count: count.saturated_into(),
			min: *prices.first()?,
			median: *prices.get((count - 1) / 2)?,
			max: *prices.last()?,
		})
	}
}

/// Recent clearing prices for one workload of a kind: what a client reads before posting it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Quote<Balance> {
	pub kind: WorkloadKind,
	/// The asked workload's units of work.
	pub units: u64,
	/// Comparable jobs' prices scaled to these units (`None`: no comparable job settled
	/// recently).
	pub comparable: Option<PriceRange<Balance>>,
	/// Every recent job of the kind, scaled to these units.
	pub all: Option<PriceRange<Balance>>,
	/// Comparable jobs' prices as they were paid, unscaled.
	pub per_job: Option<PriceRange<Balance>>,
	/// How many recent prices the market keeps for the kind ([`QUOTE_WINDOW`]).
	pub window: u32,
}

/// The quote for `units` of work of `kind` on hardware meeting `requirements`, from the
/// kind's recent clearing prices `records`.
pub fn quote<Balance: AtLeast32BitUnsigned + Copy, BlockNumber>(
	records: &[ClearingPrice<Balance, BlockNumber>],
	kind: WorkloadKind,
	requirements: &Requirements,
	units: u64,
) -> Quote<Balance> {
	let comparable: Vec<_> = records.iter().filter(|r| r.comparable_to(requirements)).collect();
	Quote {
		kind,
		units,
		comparable: PriceRange::of(comparable.iter().map(|r| r.scaled_to(units)).collect()),
		all: PriceRange::of(records.iter().map(|r| r.scaled_to(units)).collect()),
		per_job: PriceRange::of(comparable.iter().map(|r| r.price).collect()),
		window: QUOTE_WINDOW,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{job::EntryPoint, ContentRef};
	use sp_runtime::Perbill;

	fn record(
		price: u128,
		units: u64,
		backend: Backend,
		gpu_count: u16,
	) -> ClearingPrice<u128, u32> {
		ClearingPrice { price, units, backend, gpu_count, settled_at: 1 }
	}

	fn needs(backend: Backend, gpu_count: u16) -> Requirements {
		Requirements {
			min_vram_mib: 0,
			min_compute_capability: 0,
			gpu_count,
			backend,
			region: None,
			min_reputation: Perbill::zero(),
		}
	}

	#[test]
	fn units_follow_the_kind_and_saturate() {
		let content = ContentRef { hash: [0; 32], len: 0, uri: Default::default() };
		let gemm = Workload::Gemm { m: 64, n: 32, k: 256, seed: [0; 32] };
		assert_eq!((gemm.kind(), gemm.units()), (WorkloadKind::Gemm, 64 * 32 * 256));
		let huge = Workload::Gemm { m: 65_536, n: 65_536, k: 65_536, seed: [0; 32] };
		assert_eq!(huge.units(), 1 << 48);
		let wasm = Workload::Wasm { module: content.clone(), input: content.clone(), fuel: 0 };
		assert_eq!((wasm.kind(), wasm.units()), (WorkloadKind::Wasm, 1), "at least one unit");
		let cuda = Workload::Cuda {
			source: content.clone(),
			entry: EntryPoint::truncate_from(b"k".to_vec()),
			grid: [u32::MAX, u32::MAX, 2],
			block: [256, 1, 1],
			input: content,
			output_len: 4,
		};
		assert_eq!((cuda.kind(), cuda.units()), (WorkloadKind::Cuda, u64::MAX));
		for kind in WorkloadKind::ALL {
			assert_eq!(WorkloadKind::from_name(kind.name()), Some(kind));
		}
		assert_eq!(WorkloadKind::from_name("Gemm"), None);
	}

	#[test]
	fn prices_are_scaled_to_the_asked_units() {
		let r = record(1_000, 100, Backend::Cpu, 0);
		assert_eq!(r.scaled_to(100), 1_000);
		assert_eq!(r.scaled_to(250), 2_500);
		assert_eq!(r.scaled_to(1), 10);
		// Rounded up: a quote never rounds a price down to zero.
		assert_eq!(record(1, 3, Backend::Cpu, 0).scaled_to(1), 1);
		assert_eq!(record(u128::MAX, 1, Backend::Cpu, 0).scaled_to(2), u128::MAX);
	}

	#[test]
	fn a_quote_reports_count_min_median_max_of_comparable_jobs() {
		let records = [
			record(100, 10, Backend::Cpu, 0),
			record(300, 10, Backend::Cpu, 0),
			record(200, 20, Backend::Cpu, 0),
			record(9_000, 10, Backend::Cuda, 1),
		];
		let q = quote(&records, WorkloadKind::Gemm, &needs(Backend::Cpu, 0), 10);
		// Scaled to 10 units: 100, 300, 100.
		assert_eq!(q.comparable, Some(PriceRange { count: 3, min: 100, median: 100, max: 300 }));
		assert_eq!(q.per_job, Some(PriceRange { count: 3, min: 100, median: 200, max: 300 }));
		assert_eq!(q.all, Some(PriceRange { count: 4, min: 100, median: 100, max: 9_000 }));
		let gpu = quote(&records, WorkloadKind::Gemm, &needs(Backend::Cuda, 1), 20);
		assert_eq!(gpu.comparable.map(|r| (r.count, r.median)), Some((1, 18_000)));
		let none = quote(&records, WorkloadKind::Gemm, &needs(Backend::Cuda, 8), 10);
		assert_eq!((none.comparable, none.per_job), (None, None));
		assert_eq!(
			quote::<u128, u32>(&[], WorkloadKind::Wasm, &needs(Backend::Cpu, 0), 1).all,
			None
		);
	}

	#[test]
	fn a_few_outliers_do_not_move_the_median() {
		// An attacker self-deals jobs at 1 000 times the going rate to inflate quotes: below
		// half the window, the median stays at the honest price.
		let mut records: Vec<_> = (0..17).map(|_| record(100, 10, Backend::Cpu, 0)).collect();
		records.extend((0..15).map(|_| record(100_000, 10, Backend::Cpu, 0)));
		let q = quote(&records, WorkloadKind::Gemm, &needs(Backend::Cpu, 0), 10);
		assert_eq!(q.comparable.map(|r| (r.count, r.median, r.max)), Some((32, 100, 100_000)));
	}
}
