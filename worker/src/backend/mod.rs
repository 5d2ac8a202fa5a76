//! PoC-GEMM backends: compute C = A·B (int8 in, int32 out) for a seed and shape of
//! `kiln_primitives::poc`. Every backend must equal `poc::reference::gemm` bit for bit.
//!
//! [`cpu::Cpu`] and [`cuda::Cuda`] (kernels compiled at run time with NVRTC, CUDA loaded
//! dynamically) implement [`GemmBackend`]; [`choice::select`] picks one for
//! `--backend auto|cpu|cuda`; [`bench`] measures one. The backends depend on this module's
//! trait only, never on each other.

use anyhow::{ensure, Result};
use kiln_primitives::poc::{self, Shape, MAX_SHAPE_ENTRIES};
use std::time::{Duration, Instant};

pub mod bench;
pub mod choice;
pub mod cpu;
pub mod cuda;
pub mod wasm;

/// Where the time of one PoC-GEMM went.
#[derive(Clone, Copy, Debug)]
pub struct GemmTimings {
	/// Generating A and B from the seed, where the backend times it apart from the product.
	pub generate: Option<Duration>,
	/// The product (with the generation where `generate` is `None`).
	pub product: Duration,
}

/// A device that can compute PoC-GEMM (from any thread: jobs run in background tasks).
pub trait GemmBackend: Send + Sync {
	fn name(&self) -> String;
	/// C = A·B, row-major.
	fn gemm(&self, seed: &[u8; 32], shape: Shape) -> Result<Vec<i32>>;
	/// The same, with its timings ([`bench`]).
	fn gemm_timed(&self, seed: &[u8; 32], shape: Shape) -> Result<(Vec<i32>, GemmTimings)> {
		let start = Instant::now();
		let c = self.gemm(seed, shape)?;
		Ok((c, GemmTimings { generate: None, product: start.elapsed() }))
	}
	/// The device's dense int8 peak in TOPS, where it is on record ([`bench`] reports the
	/// share of it that the product reached).
	fn int8_peak_tops(&self) -> Option<f64> {
		None
	}
}

/// Refuses shapes no backend computes: an empty dimension, k above [`poc::MAX_K`] (int32 could
/// overflow), or more than [`MAX_SHAPE_ENTRIES`] entries of C.
pub fn check_shape(shape: Shape) -> Result<()> {
	ensure!(
		shape.m > 0 && shape.n > 0 && shape.k > 0 && shape.k <= poc::MAX_K,
		"m, n and k must be at least 1 and k at most {}",
		poc::MAX_K
	);
	ensure!(
		shape.entries() <= MAX_SHAPE_ENTRIES,
		"C would have more than {MAX_SHAPE_ENTRIES} entries"
	);
	Ok(())
}
