//! A and B generated from the seed straight into the kernels' packed panels, on every thread.
//!
//! A is cut into panels of `MR` rows and B into panels of `NR` columns; a panel stores, for
//! each k-group in turn, 4 bytes per row (A) or column (B) in the path's [`Encoding`]. Rows,
//! columns and k past the matrix are zeros: a zero in B cancels whatever A holds there, and
//! padded rows and columns of C are never read.

use super::kernels::{Encoding, Path};
use kiln_primitives::poc::{self, reference, MatrixGen, Shape};

/// The packed operands of one product.
pub struct Packed {
	pub path: Path,
	pub shape: Shape,
	/// k-groups per row of A and per column of B.
	pub groups: usize,
	/// ⌈m / MR⌉ panels of `groups · MR · 4` bytes.
	pub a: Vec<u8>,
	/// ⌈n / NR⌉ panels of `groups · NR · 4` bytes.
	pub b: Vec<u8>,
	/// The value every entry of column j starts from: −128 · Σ_t b[t][j] under
	/// [`Encoding::OffsetBytes`] (which adds 128 to every a), else 0.
	pub c_init: Vec<i32>,
}

impl Packed {
	/// Generates and packs A and B for `path` on `threads` threads.
	pub fn generate(seed: &[u8; 32], shape: Shape, path: Path, threads: usize) -> Self {
		let groups = (shape.k as usize).div_ceil(path.encoding().k_per_group());
		let a = pack_a(seed, shape, path, groups, threads);
		let b = pack_b(seed, shape, path, groups, threads);
		let c_init = start_values(&b, shape, path, groups, threads);
		Self { path, shape, groups, a, b, c_init }
	}

	/// Bytes of one panel of A.
	pub fn a_panel_bytes(&self) -> usize {
		self.groups * self.path.mr() * 4
	}

	/// Bytes of one panel of B.
	pub fn b_panel_bytes(&self) -> usize {
		self.groups * self.path.nr() * 4
	}
}

/// [`reference::split_units`] with no minimum: every thread gets work from one unit on.
pub fn split_units<T: Send>(
	data: &mut [T],
	unit: usize,
	threads: usize,
	work: impl Fn(usize, &mut [T]) + Sync,
) {
	reference::split_units(data, unit, 1, threads, work)
}

/// Elements `start .. start + out.len()` of a generated matrix (row-major index): one PRNG
/// block per 8 elements.
pub fn fill(gen: &MatrixGen, start: u64, out: &mut [i8]) {
	let head = (((8 - start % 8) % 8) as usize).min(out.len());
	let (head_out, rest) = out.split_at_mut(head);
	for (i, o) in head_out.iter_mut().enumerate() {
		*o = gen.element(start + i as u64);
	}
	let mut counter = (start + head as u64) / 8;
	let mut blocks = rest.chunks_exact_mut(8);
	for chunk in &mut blocks {
		for (o, byte) in chunk.iter_mut().zip(gen.block(counter).to_le_bytes()) {
			*o = byte as i8;
		}
		counter += 1;
	}
	let tail = blocks.into_remainder();
	for (o, byte) in tail.iter_mut().zip(gen.block(counter).to_le_bytes()) {
		*o = byte as i8;
	}
}

/// One value into its 4-byte lane: `slot` is its place in the k-group.
#[inline]
pub(super) fn put(encoding: Encoding, lane: &mut [u8], slot: usize, value: i8, a_side: bool) {
	match encoding {
		Encoding::OffsetBytes => lane[slot] = if a_side { value as u8 ^ 0x80 } else { value as u8 },
		Encoding::Words => {
			lane[2 * slot..2 * slot + 2].copy_from_slice(&i16::from(value).to_le_bytes())
		},
	}
}

fn pack_a(seed: &[u8; 32], shape: Shape, path: Path, groups: usize, threads: usize) -> Vec<u8> {
	let (m, k) = (shape.m as usize, shape.k as usize);
	let (mr, encoding) = (path.mr(), path.encoding());
	let per_group = encoding.k_per_group();
	let panel_bytes = groups * mr * 4;
	let mut a = vec![0u8; m.div_ceil(mr) * panel_bytes];
	let gen = MatrixGen::new(seed, poc::TAG_A);
	split_units(&mut a, panel_bytes, threads, |first_panel, chunk| {
		let mut row = vec![0i8; k];
		for (p, panel) in chunk.chunks_mut(panel_bytes).enumerate() {
			for r in 0..mr {
				let i = (first_panel + p) * mr + r;
				if i >= m {
					break;
				}
				fill(&gen, i as u64 * k as u64, &mut row);
				for (g, values) in row.chunks(per_group).enumerate() {
					let lane = &mut panel[(g * mr + r) * 4..(g * mr + r) * 4 + 4];
					for (slot, value) in values.iter().enumerate() {
						put(encoding, lane, slot, *value, true);
					}
				}
			}
		}
	});
	a
}

fn pack_b(seed: &[u8; 32], shape: Shape, path: Path, groups: usize, threads: usize) -> Vec<u8> {
	let (n, k) = (shape.n as usize, shape.k as usize);
	let (nr, encoding) = (path.nr(), path.encoding());
	let per_group = encoding.k_per_group();
	let panel_bytes = groups * nr * 4;
	let mut b = vec![0u8; n.div_ceil(nr) * panel_bytes];
	let gen = MatrixGen::new(seed, poc::TAG_B);
	split_units(&mut b, panel_bytes, threads, |first_panel, chunk| {
		// This thread's columns: whole panels, the last one cut at n.
		let first_col = first_panel * nr;
		let cols = (chunk.len() / panel_bytes * nr).min(n - first_col);
		let mut row = vec![0i8; cols];
		for t in 0..k {
			fill(&gen, t as u64 * n as u64 + first_col as u64, &mut row);
			let (g, slot) = (t / per_group, t % per_group);
			for (j, value) in row.iter().enumerate() {
				let at = (j / nr) * panel_bytes + (g * nr + j % nr) * 4;
				put(encoding, &mut chunk[at..at + 4], slot, *value, false);
			}
		}
	});
	b
}

/// [`Packed::c_init`]: under [`Encoding::OffsetBytes`], −128 · the sum of each column of B.
fn start_values(b: &[u8], shape: Shape, path: Path, groups: usize, threads: usize) -> Vec<i32> {
	let (n, nr) = (shape.n as usize, path.nr());
	let mut init = vec![0i32; n.div_ceil(nr) * nr];
	if path.encoding() == Encoding::OffsetBytes {
		let panel_bytes = groups * nr * 4;
		split_units(&mut init, nr, threads, |first_panel, chunk| {
			for (p, sums) in chunk.chunks_mut(nr).enumerate() {
				let panel =
					&b[(first_panel + p) * panel_bytes..(first_panel + p + 1) * panel_bytes];
				for group in panel.chunks_exact(nr * 4) {
					for (sum, lane) in sums.iter_mut().zip(group.chunks_exact(4)) {
						*sum += lane.iter().map(|&v| i32::from(v as i8)).sum::<i32>();
					}
				}
				// |Σ b| ≤ 128 · 65 536 = 2^23, so −128 · Σ b fits in i32.
				for sum in sums.iter_mut() {
					*sum *= -128;
				}
			}
		});
	}
	init.truncate(n);
	init
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn fill_equals_element_by_element_generation_at_any_offset() {
		let gen = MatrixGen::new(&[3; 32], poc::TAG_A);
		for start in [0u64, 1, 7, 8, 13, 1000] {
			for len in [0usize, 1, 5, 8, 9, 31] {
				let mut out = vec![0i8; len];
				fill(&gen, start, &mut out);
				let expected: Vec<i8> = (0..len as u64).map(|i| gen.element(start + i)).collect();
				assert_eq!(out, expected, "start {start} len {len}");
			}
		}
	}

	/// Unpacks every panel back to A and B and compares with the reference matrices.
	#[test]
	fn packed_panels_hold_a_and_b_in_every_encoding() {
		let shape = Shape { m: 13, n: 37, k: 11 };
		let seed = [9; 32];
		let (a_ref, b_ref) = (reference::matrix_a(&seed, shape), reference::matrix_b(&seed, shape));
		for path in Path::ALL {
			for threads in [1, 3] {
				let packed = Packed::generate(&seed, shape, path, threads);
				let (mr, nr, per_group) = (path.mr(), path.nr(), path.encoding().k_per_group());
				let read = |lane: &[u8], slot: usize, a_side: bool| -> i8 {
					match path.encoding() {
						Encoding::OffsetBytes if a_side => (lane[slot] ^ 0x80) as i8,
						Encoding::OffsetBytes => lane[slot] as i8,
						Encoding::Words => {
							i16::from_le_bytes([lane[2 * slot], lane[2 * slot + 1]]) as i8
						},
					}
				};
				for i in 0..13 {
					for t in 0..11 {
						let at =
							(i / mr) * packed.a_panel_bytes() + ((t / per_group) * mr + i % mr) * 4;
						assert_eq!(
							read(&packed.a[at..at + 4], t % per_group, true),
							a_ref[i * 11 + t]
						);
					}
				}
				for t in 0..11 {
					for j in 0..37 {
						let at =
							(j / nr) * packed.b_panel_bytes() + ((t / per_group) * nr + j % nr) * 4;
						assert_eq!(
							read(&packed.b[at..at + 4], t % per_group, false),
							b_ref[t * 37 + j]
						);
					}
				}
				let col_sums: Vec<i32> =
					(0..37).map(|j| (0..11).map(|t| i32::from(b_ref[t * 37 + j])).sum()).collect();
				let expected: Vec<i32> = match path.encoding() {
					Encoding::OffsetBytes => col_sums.iter().map(|s| -128 * s).collect(),
					Encoding::Words => vec![0; 37],
				};
				assert_eq!(packed.c_init, expected, "{path:?}");
			}
		}
	}
}
