//! Which open jobs to bid on, and at what price: a pure function of the job, the worker's
//! capacity and its price policy ([`decide`]), so every rule is tested without a node. A job
//! is skipped, with its [`Skip`] reason logged, unless the worker can run it (profile and
//! backends, content within its limits), can afford it (collateral and the bid deposit), has
//! room for it (`max_concurrent_jobs`) and can ask at least its floor without exceeding
//! `max_price`.

pub mod price;

use kiln_primitives::{
	hardware::Ineligibility,
	job::{JobSpec, Workload},
	Backend, HardwareProfile,
};
use price::PricePolicy;
use std::fmt;

/// An open job as the bidder sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenJob {
	pub id: u64,
	pub spec: JobSpec<u128, u32>,
	/// This worker's standing bid, if any.
	pub our_bid: Option<u128>,
}

/// What the worker has and may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capacity {
	pub profile: HardwareProfile,
	/// A CUDA device, its driver and NVRTC were found at start.
	pub cuda_usable: bool,
	/// Largest content (module, input, CUDA source) or output the worker takes, in bytes.
	pub max_content_bytes: u64,
	/// Bonded collateral not locked by jobs or bid deposits.
	pub free_collateral: u128,
	pub in_flight: u32,
	pub max_concurrent_jobs: u32,
}

/// The market's terms that decide what a bid costs the worker, as the chain reads them.
pub use crate::chain::view::MarketTerms as Terms;

/// Why a job was not bid on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
	AlreadyBid(u128),
	/// The profile does not meet the requirements (the market's own check).
	Requirements(Ineligibility),
	/// A GPU job, and no usable CUDA device here.
	NoCuda,
	TooLarge {
		what: &'static str,
		bytes: u64,
		limit: u64,
	},
	Busy {
		in_flight: u32,
		max: u32,
	},
	/// The floor is above what the client pays.
	BelowFloor {
		floor: u128,
		max_price: u128,
	},
	CannotPrice,
	Collateral {
		needed: u128,
		free: u128,
	},
	BidDeposit {
		needed: u128,
		free: u128,
	},
}

impl Skip {
	/// A label for metrics.
	pub fn kind(&self) -> &'static str {
		match self {
			Skip::AlreadyBid(_) => "already_bid",
			Skip::Requirements(_) => "requirements",
			Skip::NoCuda => "no_cuda",
			Skip::TooLarge { .. } => "too_large",
			Skip::Busy { .. } => "busy",
			Skip::BelowFloor { .. } => "below_floor",
			Skip::CannotPrice => "cannot_price",
			Skip::Collateral { .. } => "collateral",
			Skip::BidDeposit { .. } => "bid_deposit",
		}
	}
}

impl fmt::Display for Skip {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		use kiln_primitives::currency::DisplayKiln as K;
		match self {
			Skip::AlreadyBid(price) => write!(f, "already bid {}", K(*price)),
			Skip::Requirements(why) => {
				write!(f, "this machine does not meet its requirements ({why:?})")
			},
			Skip::NoCuda => write!(f, "it needs CUDA and no usable GPU was found"),
			Skip::TooLarge { what, bytes, limit } => {
				write!(f, "its {what} is {bytes} bytes, above the limit of {limit}")
			},
			Skip::Busy { in_flight, max } => {
				write!(f, "{in_flight} jobs in flight, max_concurrent_jobs is {max}")
			},
			Skip::BelowFloor { floor, max_price } => {
				write!(f, "it pays at most {}, below the floor of {}", K(*max_price), K(*floor))
			},
			Skip::CannotPrice => write!(f, "its price overflows"),
			Skip::Collateral { needed, free } => {
				write!(f, "it needs {} of collateral, {} is free", K(*needed), K(*free))
			},
			Skip::BidDeposit { needed, free } => {
				write!(f, "the bid deposit is {}, the free collateral {}", K(*needed), K(*free))
			},
		}
	}
}

/// The bytes a job's content and output take on this machine.
fn sizes(work: &Workload) -> Vec<(&'static str, u64)> {
	match work {
		Workload::Wasm { module, input, .. } => vec![("module", module.len), ("input", input.len)],
		Workload::Cuda { source, input, output_len, .. } => {
			vec![("CUDA source", source.len), ("input", input.len), ("output", *output_len)]
		},
		Workload::Gemm { m, n, k, .. } => {
			let (m, n, k) = (u64::from(*m), u64::from(*n), u64::from(*k));
			// A and Bᵀ as int8, C as int32.
			vec![("GEMM operands and result", m * k + k * n + 4 * m * n)]
		},
	}
}

/// Bid at the returned price, or skip for the reason given.
pub fn decide(
	job: &OpenJob,
	capacity: &Capacity,
	terms: &Terms,
	policy: &dyn PricePolicy,
) -> Result<u128, Skip> {
	if let Some(price) = job.our_bid {
		return Err(Skip::AlreadyBid(price));
	}
	let req = &job.spec.requirements;
	capacity.profile.check(req).map_err(Skip::Requirements)?;
	let needs_cuda = req.gpu_count > 0
		|| req.backend == Backend::Cuda
		|| matches!(job.spec.workload, Workload::Cuda { .. });
	if needs_cuda && !capacity.cuda_usable {
		return Err(Skip::NoCuda);
	}
	for (what, bytes) in sizes(&job.spec.workload) {
		if bytes > capacity.max_content_bytes {
			return Err(Skip::TooLarge { what, bytes, limit: capacity.max_content_bytes });
		}
	}
	if capacity.in_flight >= capacity.max_concurrent_jobs {
		return Err(Skip::Busy {
			in_flight: capacity.in_flight,
			max: capacity.max_concurrent_jobs,
		});
	}
	let window = u64::from(job.spec.execution_blocks).saturating_mul(terms.block_seconds);
	let floor = policy.floor(&job.spec.workload, window).ok_or(Skip::CannotPrice)?;
	let max_price = job.spec.max_price;
	if floor > max_price {
		return Err(Skip::BelowFloor { floor, max_price });
	}
	let price = policy.ask(floor).ok_or(Skip::CannotPrice)?.min(max_price);
	let needed = terms.collateral(price).ok_or(Skip::CannotPrice)?;
	if needed > capacity.free_collateral {
		return Err(Skip::Collateral { needed, free: capacity.free_collateral });
	}
	// The deposit is locked from the same collateral until the close, which swaps it for the
	// job collateral: the chain wants the larger of the two free.
	if terms.bid_deposit > capacity.free_collateral {
		return Err(Skip::BidDeposit { needed: terms.bid_deposit, free: capacity.free_collateral });
	}
	Ok(price)
}

#[cfg(test)]
mod tests;
