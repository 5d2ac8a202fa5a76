//! PoC-GEMM backends: compute C = A·B (int8 in, int32 out) for a seed and shape of
//! `kiln_primitives::poc`. Every backend must equal `poc::reference::gemm` bit for bit.
//!
//! Two backends: [`Cpu`] here and `crate::cuda::Cuda` (kernels compiled at run time with NVRTC,
//! CUDA loaded dynamically); [`select`] picks one for `--backend auto|cpu|cuda`.

use anyhow::{ensure, Context, Result};
use kiln_primitives::poc::{self, MatrixGen, Shape, MAX_SHAPE_ENTRIES};
use std::time::{Duration, Instant};

/// A device that can compute PoC-GEMM.
pub trait Backend {
	fn name(&self) -> String;
	/// C = A·B, row-major.
	fn gemm(&self, seed: &[u8; 32], shape: Shape) -> Result<Vec<i32>>;
}

/// The CPU backend: B transposed so that every entry is a contiguous int8 dot product, rows
/// of C split over threads.
pub struct Cpu {
	pub threads: usize,
}

impl Cpu {
	pub fn new(threads: Option<usize>) -> Self {
		let available = std::thread::available_parallelism().map_or(1, |n| n.get());
		Self { threads: threads.unwrap_or(available).max(1) }
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

/// Which backend to run PoC-GEMM on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
	/// CUDA if a usable GPU, driver and NVRTC are present, else the CPU (saying why).
	Auto,
	Cpu,
	/// CUDA or an error.
	Cuda,
}

/// The backend for `choice`. `Auto` falls back to the CPU with a line on stderr that says why
/// CUDA is not usable; `Cuda` without a usable GPU is an error (never a panic).
pub fn select(choice: BackendChoice, threads: Option<usize>) -> Result<Box<dyn Backend>> {
	match choice {
		BackendChoice::Cpu => Ok(Box::new(Cpu::new(threads))),
		BackendChoice::Cuda => Ok(Box::new(
			crate::cuda::Cuda::probe()
				.context("the CUDA backend (--backend cuda) is not usable")?,
		)),
		BackendChoice::Auto => match crate::cuda::Cuda::probe() {
			Ok(cuda) => Ok(Box::new(cuda)),
			Err(error) => {
				eprintln!("backend: CUDA not usable ({error:#}); falling back to the CPU");
				Ok(Box::new(Cpu::new(threads)))
			},
		},
	}
}

/// A (m×k) row-major and Bᵀ (n×k) row-major, generated as the runtime generates them.
pub fn operands(seed: &[u8; 32], shape: Shape) -> (Vec<i8>, Vec<i8>) {
	let (m, n, k) = (shape.m as usize, shape.n as usize, shape.k as usize);
	let a_gen = MatrixGen::new(seed, poc::TAG_A);
	let b_gen = MatrixGen::new(seed, poc::TAG_B);
	let a: Vec<i8> = (0..(m * k) as u64).map(|i| a_gen.element(i)).collect();
	let mut b_t = vec![0i8; n * k];
	for t in 0..k {
		for j in 0..n {
			b_t[j * k + t] = b_gen.element((t * n + j) as u64);
		}
	}
	(a, b_t)
}

fn dot(a: &[i8], b: &[i8]) -> i32 {
	// Products fit in i16·i16 → i32; the sum of k ≤ 65 536 of them fits in i32.
	a.iter().zip(b).map(|(x, y)| i32::from(*x) * i32::from(*y)).sum()
}

impl Backend for Cpu {
	fn name(&self) -> String {
		format!("cpu ({} threads)", self.threads)
	}

	fn gemm(&self, seed: &[u8; 32], shape: Shape) -> Result<Vec<i32>> {
		check_shape(shape)?;
		let (a, b_t) = operands(seed, shape);
		let (n, k) = (shape.n as usize, shape.k as usize);
		let mut c = vec![0i32; shape.entries() as usize];
		let rows_per_thread = (shape.m as usize).div_ceil(self.threads);
		std::thread::scope(|scope| {
			for (chunk_index, chunk) in c.chunks_mut(rows_per_thread * n).enumerate() {
				let (a, b_t) = (&a, &b_t);
				scope.spawn(move || {
					for (r, row) in chunk.chunks_mut(n).enumerate() {
						let i = chunk_index * rows_per_thread + r;
						let a_row = &a[i * k..i * k + k];
						for (j, out) in row.iter_mut().enumerate() {
							*out = dot(a_row, &b_t[j * k..j * k + k]);
						}
					}
				});
			}
		});
		Ok(c)
	}
}

/// What `kiln-worker bench` measured.
pub struct BenchReport {
	pub backend: String,
	pub shape: Shape,
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

impl std::fmt::Display for BenchReport {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let Shape { m, n, k } = self.shape;
		writeln!(f, "backend: {}", self.backend)?;
		writeln!(f, "shape:   m={m} n={n} k={k} (int8 in, int32 out)")?;
		writeln!(f, "gemm:    {:.3} s, {:.1} GOPS", self.gemm.as_secs_f64(), self.tops() * 1e3)?;
		writeln!(
			f,
			"merkle:  {:.3} s over {} leaves",
			self.merkle.as_secs_f64(),
			self.shape.leaves()
		)?;
		let root: String = self.root.iter().map(|b| format!("{b:02x}")).collect();
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
pub fn bench(backend: &dyn Backend, seed: &[u8; 32], shape: Shape) -> Result<BenchReport> {
	let start = Instant::now();
	let c = backend.gemm(seed, shape)?;
	let gemm = start.elapsed();
	let start = Instant::now();
	let tree = poc::reference::Tree::build(&c);
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
		gemm,
		merkle,
		root: tree.root(),
		checked_entries: samples.len(),
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn cpu_backend_equals_the_reference_bit_for_bit() {
		for (shape, threads) in [
			(Shape { m: 1, n: 1, k: 1 }, 1),
			(Shape { m: 17, n: 23, k: 129 }, 3),
			(Shape { m: 64, n: 64, k: 64 }, 8),
			(Shape { m: 5, n: 7, k: 65_536 }, 2),
		] {
			let seed = [shape.k as u8; 32];
			let cpu = Cpu::new(Some(threads)).gemm(&seed, shape).unwrap();
			assert_eq!(cpu, poc::reference::gemm(&seed, shape), "{shape:?}");
		}
	}

	#[test]
	fn the_published_vectors_come_out_of_the_cpu_backend() {
		for v in poc::VECTORS {
			let report = bench(&Cpu::new(Some(2)), &v.seed, v.shape).unwrap();
			let root: String = report.root.iter().map(|b| format!("{b:02x}")).collect();
			assert_eq!(root, v.root);
		}
	}

	#[test]
	fn backend_selection_never_panics() {
		assert!(select(BackendChoice::Cpu, Some(1)).unwrap().name().starts_with("cpu"));
		// Auto always gives a backend: CUDA where it works, else the CPU.
		let auto = select(BackendChoice::Auto, Some(1)).unwrap();
		match crate::cuda::Cuda::probe() {
			Ok(_) => assert!(auto.name().starts_with("cuda"), "{}", auto.name()),
			Err(_) => {
				assert!(auto.name().starts_with("cpu"), "{}", auto.name());
				let error = select(BackendChoice::Cuda, None).err().expect("CUDA without a GPU");
				assert!(format!("{error:#}").contains("--backend cuda"), "{error:#}");
			},
		}
	}

	#[test]
	fn bad_shapes_are_refused() {
		let cpu = Cpu::new(Some(1));
		assert!(cpu.gemm(&[0; 32], Shape { m: 0, n: 1, k: 1 }).is_err());
		assert!(cpu.gemm(&[0; 32], Shape { m: 1, n: 1, k: poc::MAX_K + 1 }).is_err());
	}
}
