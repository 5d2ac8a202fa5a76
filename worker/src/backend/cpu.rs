//! The CPU backend of PoC-GEMM.

use super::{check_shape, GemmBackend};
use anyhow::Result;
use kiln_primitives::poc::{self, MatrixGen, Shape};

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

impl GemmBackend for Cpu {
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

#[cfg(test)]
mod tests {
	use super::*;
	use crate::backend::bench::bench;
	use kiln_primitives::poc;

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
			assert_eq!(hex::encode(report.root), v.root);
		}
	}

	#[test]
	fn bad_shapes_are_refused() {
		let cpu = Cpu::new(Some(1));
		assert!(cpu.gemm(&[0; 32], Shape { m: 0, n: 1, k: 1 }).is_err());
		assert!(cpu.gemm(&[0; 32], Shape { m: 1, n: 1, k: poc::MAX_K + 1 }).is_err());
	}
}
