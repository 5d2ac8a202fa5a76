//! The CPU backend of PoC-GEMM: A and B generated straight into packed panels
//! ([`pack`]), multiplied in cache blocks ([`multiply`]) by the fastest micro-kernel this CPU
//! runs ([`kernels`]: AVX-512 VNNI, AVX-VNNI, AVX2 or portable Rust, picked at run time).
//! Every path is exact, so every path equals `poc::reference::gemm` bit for bit.

pub mod kernels;
pub mod multiply;
pub mod pack;

use super::{check_shape, GemmBackend, GemmTimings};
use anyhow::{ensure, Result};
use kernels::Path;
use kiln_primitives::poc::Shape;
use pack::Packed;
use std::time::Instant;

/// The CPU backend.
pub struct Cpu {
	pub threads: usize,
	pub path: Path,
}

impl Cpu {
	/// All cores (or `threads`) and the fastest path of this CPU.
	pub fn new(threads: Option<usize>) -> Self {
		let available = std::thread::available_parallelism().map_or(1, |n| n.get());
		Self { threads: threads.unwrap_or(available).max(1), path: Path::best() }
	}

	/// The same on a chosen path: an error where this CPU lacks its instructions.
	pub fn with_path(threads: Option<usize>, path: Path) -> Result<Self> {
		ensure!(path.available(), "this CPU cannot run the {} kernel", path.name());
		Ok(Self { path, ..Self::new(threads) })
	}
}

impl GemmBackend for Cpu {
	fn name(&self) -> String {
		format!("cpu ({}, {} threads)", self.path.name(), self.threads)
	}

	fn gemm(&self, seed: &[u8; 32], shape: Shape) -> Result<Vec<i32>> {
		Ok(self.gemm_timed(seed, shape)?.0)
	}

	fn gemm_timed(&self, seed: &[u8; 32], shape: Shape) -> Result<(Vec<i32>, GemmTimings)> {
		check_shape(shape)?;
		let start = Instant::now();
		let packed = Packed::generate(seed, shape, self.path, self.threads);
		let generate = start.elapsed();
		let start = Instant::now();
		let c = multiply::multiply(&packed, self.threads)?;
		Ok((c, GemmTimings { generate: Some(generate), product: start.elapsed() }))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::backend::bench::bench;
	use kiln_primitives::poc::{self, MatrixGen};

	/// The paths this machine runs: each is forced in turn. The portable path runs anywhere, so
	/// the list is never empty; the test output names the paths that were left out.
	fn runnable_paths() -> Vec<Path> {
		let (run, skip): (Vec<Path>, Vec<Path>) =
			Path::ALL.into_iter().partition(|p| p.available());
		if !skip.is_empty() {
			eprintln!("kernels this CPU cannot run (not tested here): {skip:?}");
		}
		run
	}

	#[test]
	fn every_path_equals_the_reference_bit_for_bit_on_edge_shapes() {
		let shapes = [
			Shape { m: 1, n: 1, k: 1 },
			Shape { m: 17, n: 23, k: 129 },
			Shape { m: 64, n: 64, k: 64 },
			Shape { m: 9, n: 49, k: 3 },
			Shape { m: 7, n: 97, k: 1027 },
			Shape { m: 5, n: 7, k: 65_536 },
		];
		for path in runnable_paths() {
			for (i, shape) in shapes.into_iter().enumerate() {
				for threads in [1, 3] {
					let seed = [i as u8 + 1; 32];
					let cpu =
						Cpu::with_path(Some(threads), path).unwrap().gemm(&seed, shape).unwrap();
					assert!(
						cpu == poc::reference::gemm(&seed, shape),
						"{path:?} {shape:?} {threads}"
					);
				}
			}
		}
	}

	#[test]
	fn every_path_equals_the_reference_on_random_shapes() {
		let dims = MatrixGen::new(&[0xd1; 32], 0x44);
		for path in runnable_paths() {
			for case in 0..12u64 {
				let r = dims.block(case + 100 * path as u64);
				let shape = Shape {
					m: 1 + (r % 70) as u32,
					n: 1 + ((r >> 16) % 130) as u32,
					k: 1 + ((r >> 32) % 2100) as u32,
				};
				let seed = r.to_le_bytes().repeat(4).try_into().unwrap();
				let threads = 1 + (r >> 60) as usize % 3;
				let cpu = Cpu::with_path(Some(threads), path).unwrap().gemm(&seed, shape).unwrap();
				assert!(cpu == poc::reference::gemm(&seed, shape), "{path:?} {shape:?}");
			}
		}
	}

	/// The extremes of int8: every a = −128 and every b = −128 give the largest sums the
	/// kernels ever hold (k · 2^14 = 2^30 at k = 65 536, and 255·128·k inside the offset
	/// encoding), which must neither saturate nor wrap.
	#[test]
	fn the_largest_sums_are_exact_on_every_path() {
		let shape = Shape { m: 3, n: 50, k: 65_536 };
		for path in runnable_paths() {
			for (a_value, b_value) in [(-128i8, -128i8), (-128, 127), (127, -128), (127, 127)] {
				let mut packed = Packed::generate(&[0; 32], shape, path, 2);
				overwrite(&mut packed, a_value, b_value);
				let c = multiply::multiply(&packed, 2).unwrap();
				let expected = i32::from(a_value) * i32::from(b_value) * 65_536;
				assert!(c.iter().all(|&v| v == expected), "{path:?} {a_value}·{b_value}: {}", c[0]);
			}
		}
	}

	/// Sets every element of A to `a` and of B to `b` inside the packing (pads stay zero).
	fn overwrite(packed: &mut Packed, a: i8, b: i8) {
		let (m, n, k) = (packed.shape.m as usize, packed.shape.n as usize, packed.shape.k as usize);
		let path = packed.path;
		let (mr, nr, per_group) = (path.mr(), path.nr(), path.encoding().k_per_group());
		let put = |lane: &mut [u8], slot: usize, v: i8, a_side: bool| {
			pack::put(path.encoding(), lane, slot, v, a_side)
		};
		let (a_panel, b_panel) = (packed.a_panel_bytes(), packed.b_panel_bytes());
		for t in 0..k {
			for i in 0..m {
				let at = (i / mr) * a_panel + ((t / per_group) * mr + i % mr) * 4;
				put(&mut packed.a[at..at + 4], t % per_group, a, true);
			}
			for j in 0..n {
				let at = (j / nr) * b_panel + ((t / per_group) * nr + j % nr) * 4;
				put(&mut packed.b[at..at + 4], t % per_group, b, false);
			}
		}
		let init = match path.encoding() {
			kernels::Encoding::OffsetBytes => -128 * i32::from(b) * k as i32,
			kernels::Encoding::Words => 0,
		};
		packed.c_init = vec![init; n];
	}

	#[test]
	fn a_path_this_cpu_lacks_is_refused_not_run() {
		for path in Path::ALL.into_iter().filter(|p| !p.available()) {
			assert!(Cpu::with_path(Some(1), path).is_err());
			assert!(path.kernel().is_none());
		}
		assert!(Path::best().available() && Path::Portable.available());
	}

	#[test]
	fn the_published_vectors_come_out_of_the_cpu_backend() {
		for path in runnable_paths() {
			for v in poc::VECTORS {
				let report =
					bench(&Cpu::with_path(Some(2), path).unwrap(), &v.seed, v.shape).unwrap();
				assert_eq!(hex::encode(report.root), v.root);
			}
		}
	}

	#[test]
	fn bad_shapes_are_refused() {
		let cpu = Cpu::new(Some(1));
		assert!(cpu.gemm(&[0; 32], Shape { m: 0, n: 1, k: 1 }).is_err());
		assert!(cpu.gemm(&[0; 32], Shape { m: 1, n: 1, k: poc::MAX_K + 1 }).is_err());
	}
}
