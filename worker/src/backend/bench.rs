//! `kiln-worker bench`: one PoC-GEMM run on a backend, its Merkle tree, and sampled entries
//! checked the way the runtime checks them.

use super::GemmBackend;
use anyhow::{ensure, Result};
use kiln_primitives::poc::{self, Shape};
use std::time::{Duration, Instant};

/// What `kiln-worker bench` measured.
pub struct BenchReport {
	pub backend: String,
	pub shape: Shape,
	/// Generating A and B, where the backend times it apart from the product.
	pub generate: Option<Duration>,
	/// The product (with the generation where `generate` is `None`).
	pub gemm: Duration,
	pub merkle: Duration,
	pub root: [u8; 32],
	pub checked_entries: usize,
}

impl BenchReport {
	/// Tera-operations per second of the GEMM (2·m·n·k multiply-adds counted as 2 ops each).
	pub fn tops(&self) -> f64 {
		let ops = 2.0 * f64::from(self.shape.m) * f64::from(self.shape.n) * f64::from(self.shape.k);
		ops / self.gemm.as_secs_f64() / 1e12
	}
}

impl BenchReport {
	/// The report as one JSON object (`kiln-worker bench --json`, read by `scripts/bench.sh`).
	pub fn json(&self) -> serde_json::Value {
		let Shape { m, n, k } = self.shape;
		serde_json::json!({
			"backend": self.backend,
			"m": m, "n": n, "k": k,
			"generate_s": self.generate.map(|d| d.as_secs_f64()),
			"gemm_s": self.gemm.as_secs_f64(),
			"gops": self.tops() * 1e3,
			"merkle_s": self.merkle.as_secs_f64(),
			"root": format!("0x{}", hex::encode(self.root)),
			"checked_entries": self.checked_entries,
		})
	}
}

impl std::fmt::Display for BenchReport {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let Shape { m, n, k } = self.shape;
		writeln!(f, "backend: {}", self.backend)?;
		writeln!(f, "shape:   m={m} n={n} k={k} (int8 in, int32 out)")?;
		match self.generate {
			Some(generate) => writeln!(
				f,
				"operands: {:.3} s (A and B generated and packed)",
				generate.as_secs_f64()
			)?,
			None => writeln!(f, "operands: timed with the product")?,
		}
		writeln!(f, "gemm:    {:.3} s, {:.1} GOPS", self.gemm.as_secs_f64(), self.tops() * 1e3)?;
		writeln!(
			f,
			"merkle:  {:.3} s over {} leaves",
			self.merkle.as_secs_f64(),
			self.shape.leaves()
		)?;
		let root = hex::encode(self.root);
		writeln!(f, "root:    0x{root}")?;
		writeln!(
			f,
			"checked: {} entries against the runtime's O(k) recomputation",
			self.checked_entries
		)
	}
}

/// Runs PoC-GEMM once on `backend`, builds the Merkle tree and checks sampled entries the way
/// the runtime would.
pub fn bench(backend: &dyn GemmBackend, seed: &[u8; 32], shape: Shape) -> Result<BenchReport> {
	let (c, timings) = backend.gemm_timed(seed, shape)?;
	let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
	let start = Instant::now();
	let tree = poc::reference::Tree::build_parallel(&c, threads);
	let merkle = start.elapsed();
	let samples = poc::sample_indices(&[0x5a; 32], shape, 32);
	for sample in &samples {
		let (row, col) = (sample / u64::from(shape.n), sample % u64::from(shape.n));
		let expected = poc::entry(seed, shape, row as u32, col as u32);
		ensure!(
			c[*sample as usize] == expected,
			"backend {} computed entry ({row}, {col}) as {} instead of {expected}",
			backend.name(),
			c[*sample as usize]
		);
	}
	Ok(BenchReport {
		backend: backend.name(),
		shape,
		generate: timings.generate,
		gemm: timings.product,
		merkle,
		root: tree.root(),
		checked_entries: samples.len(),
	})
}
