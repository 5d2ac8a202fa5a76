//! PoC-GEMM v1 (SPEC §4): the proof-of-compute workload and its verification, written once
//! for the runtime (which regenerates one row of A and one column of B and checks openings)
//! and the worker (which computes all of C and builds the Merkle tree).
//!
//! - A (m×k) and B (k×n) are int8, generated from a 32-byte seed by a counter-based PRNG:
//!   a SplitMix64 finaliser over (seed, matrix tag, counter); each 64-bit output gives 8
//!   consecutive elements of the matrix in row-major order. Any element can be generated on
//!   its own, so the runtime never stores a matrix.
//! - C = A·B in int32, exact on every device (|c| ≤ k · 128 · 128 ≤ 2^30 for k ≤ 65 536).
//! - C is cut, row-major, into leaves of [`LEAF_ENTRIES`] consecutive entries (the last one
//!   padded with zeros); a leaf is encoded `0x00 ‖ u32 LE leaf index ‖ 64 × i32 LE` and
//!   hashed with blake2-256. Inner nodes are `blake2_256(0x01 ‖ left ‖ right)`; the leaf level
//!   is padded to a power of two with all-zero hashes, so every proof has exactly
//!   [`tree_depth`] siblings, fixed by (m, n).
//! - A challenge samples entries of C; the provider opens each sampled entry's leaf with its
//!   proof; [`verify_opening`] recomputes the entry by an O(k) dot product, hashes the leaf
//!   itself and checks the proof against the committed root.

use sp_runtime::traits::{BlakeTwo256, Hash};

/// Entries of C per Merkle leaf.
pub const LEAF_ENTRIES: usize = 64;
/// Bytes of an encoded leaf: domain byte, leaf index, entries.
pub const LEAF_BYTES: usize = 1 + 4 + 4 * LEAF_ENTRIES;
/// Tag of matrix A in the PRNG.
pub const TAG_A: u64 = 0x41;
/// Tag of matrix B in the PRNG.
pub const TAG_B: u64 = 0x42;
/// Largest k: sums of k int8·int8 products stay inside int32.
pub const MAX_K: u32 = crate::MAX_GEMM_DIM;
/// Most entries of C the worker's tools accept (16 GiB of int32).
pub const MAX_SHAPE_ENTRIES: u64 = 1 << 32;
/// Domain prefix of a challenge seed.
pub const SEED_DOMAIN: &[u8] = b"kiln/poc";

const LEAF_DOMAIN: u8 = 0x00;
const NODE_DOMAIN: u8 = 0x01;
/// The hash standing for a missing leaf when the leaf level is padded to a power of two.
pub const EMPTY_LEAF: [u8; 32] = [0; 32];

/// The SplitMix64 finaliser.
#[inline]
pub fn mix(mut z: u64) -> u64 {
	z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
	z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
	z ^ (z >> 31)
}

/// `blake2_256("kiln/poc" ‖ id ‖ provider ‖ randomness)`: the seed of challenge `id` to
/// `provider` (its encoded account id).
pub fn challenge_seed(id: u64, provider: &[u8], randomness: &[u8; 32]) -> [u8; 32] {
	let mut preimage = alloc::vec::Vec::with_capacity(SEED_DOMAIN.len() + 8 + provider.len() + 32);
	preimage.extend_from_slice(SEED_DOMAIN);
	preimage.extend_from_slice(&id.to_le_bytes());
	preimage.extend_from_slice(provider);
	preimage.extend_from_slice(randomness);
	BlakeTwo256::hash(&preimage).0
}

/// One matrix's generator: a key from (seed, tag), then 8 elements per counter value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixGen {
	key: u64,
}

impl MatrixGen {
	pub fn new(seed: &[u8; 32], tag: u64) -> Self {
		let word = |i: usize| {
			let mut w = [0u8; 8];
			w.copy_from_slice(&seed[8 * i..8 * i + 8]);
			u64::from_le_bytes(w)
		};
		let key = mix(word(0) ^ mix(word(1) ^ mix(word(2) ^ mix(word(3) ^ mix(tag)))));
		Self { key }
	}

	/// The 64-bit block holding elements `8·counter .. 8·counter + 8`.
	#[inline]
	pub fn block(&self, counter: u64) -> u64 {
		mix(self.key.wrapping_add(counter.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
	}

	/// Element `index` of the matrix in row-major order.
	#[inline]
	pub fn element(&self, index: u64) -> i8 {
		(self.block(index / 8) >> (8 * (index % 8))) as u8 as i8
	}
}

/// The shape of a GEMM challenge or job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
	pub m: u32,
	pub n: u32,
	pub k: u32,
}

impl Shape {
	/// Entries of C.
	pub fn entries(&self) -> u64 {
		u64::from(self.m) * u64::from(self.n)
	}

	/// Merkle leaves of C.
	pub fn leaves(&self) -> u64 {
		self.entries().div_ceil(LEAF_ENTRIES as u64)
	}
}

/// Siblings in every proof of a tree over `leaves` leaves: ⌈log2(leaves)⌉.
pub fn tree_depth(leaves: u64) -> u32 {
	if leaves <= 1 {
		0
	} else {
		64 - (leaves - 1).leading_zeros()
	}
}

/// Entry (row, col) of C = A·B, computed from one row of A and one column of B: O(k).
pub fn entry(seed: &[u8; 32], shape: Shape, row: u32, col: u32) -> i32 {
	let (a, b) = (MatrixGen::new(seed, TAG_A), MatrixGen::new(seed, TAG_B));
	let (n, k) = (u64::from(shape.n), u64::from(shape.k));
	let row_start = u64::from(row) * k;
	// A's row is consecutive: one PRNG block serves 8 elements. B's column has stride n.
	let mut a_block = (u64::MAX, 0u64);
	let mut sum: i32 = 0;
	for t in 0..k {
		let index = row_start + t;
		if a_block.0 != index / 8 {
			a_block = (index / 8, a.block(index / 8));
		}
		let x = i32::from((a_block.1 >> (8 * (index % 8))) as u8 as i8);
		let y = i32::from(b.element(t * n + u64::from(col)));
		// |sum| ≤ k · 2^14 ≤ 2^30 for k ≤ 65 536: cannot overflow.
		sum = sum.wrapping_add(x * y);
	}
	sum
}

/// The `samples` entries of C a challenge opens, drawn from `randomness` (which must be
/// unknown when the root was committed). Drawn with replacement: each draw is uniform over
/// all entries, so a provider that computed a fraction f of C correctly passes with
/// probability f^samples (0.5^32 ≈ 2.3e-10).
pub fn sample_indices(randomness: &[u8; 32], shape: Shape, samples: u32) -> alloc::vec::Vec<u64> {
	let gen = MatrixGen::new(randomness, 0x53); // "S"
	let entries = shape.entries().max(1);
	// Multiply-shift maps a uniform 64-bit value onto 0..entries without modulo bias worth
	// counting (at most entries / 2^64).
	(0..u64::from(samples))
		.map(|i| ((u128::from(gen.block(i)) * u128::from(entries)) >> 64) as u64)
		.collect()
}

/// The encoding a leaf is hashed from.
pub fn encode_leaf(leaf_index: u32, entries: &[i32; LEAF_ENTRIES]) -> [u8; LEAF_BYTES] {
	let mut out = [0u8; LEAF_BYTES];
	out[0] = LEAF_DOMAIN;
	out[1..5].copy_from_slice(&leaf_index.to_le_bytes());
	for (i, e) in entries.iter().enumerate() {
		out[5 + 4 * i..9 + 4 * i].copy_from_slice(&e.to_le_bytes());
	}
	out
}

pub fn hash_leaf(leaf_index: u32, entries: &[i32; LEAF_ENTRIES]) -> [u8; 32] {
	BlakeTwo256::hash(&encode_leaf(leaf_index, entries)).0
}

pub fn hash_node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
	let mut preimage = [0u8; 65];
	preimage[0] = NODE_DOMAIN;
	preimage[1..33].copy_from_slice(left);
	preimage[33..].copy_from_slice(right);
	BlakeTwo256::hash(&preimage).0
}

/// Why an opening is rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpeningError {
	/// The sampled entry is outside C.
	EntryOutOfRange,
	/// The proof does not have exactly [`tree_depth`] siblings.
	ProofLength,
	/// The opened leaf does not hold the correct value of the sampled entry.
	WrongEntry,
	/// The leaf and proof do not lead to the committed root.
	RootMismatch,
}

/// The root reached from `leaf_hash` at `leaf_index` through `proof` (siblings bottom-up).
pub fn root_from_proof(leaf_index: u64, leaf_hash: [u8; 32], proof: &[[u8; 32]]) -> [u8; 32] {
	let mut node = leaf_hash;
	let mut index = leaf_index;
	for sibling in proof {
		node = if index % 2 == 0 { hash_node(&node, sibling) } else { hash_node(sibling, &node) };
		index /= 2;
	}
	node
}

/// Checks the opening of sampled entry `sample` (row-major index into C): `entries` is the
/// leaf holding it, `proof` its Merkle path to `root`. Recomputes the entry from the seed
/// (O(k)) and hashes the leaf itself, so nothing the provider sends is trusted.
pub fn verify_opening(
	seed: &[u8; 32],
	shape: Shape,
	root: &[u8; 32],
	sample: u64,
	entries: &[i32; LEAF_ENTRIES],
	proof: &[[u8; 32]],
) -> Result<(), OpeningError> {
	if sample >= shape.entries() || shape.n == 0 {
		return Err(OpeningError::EntryOutOfRange);
	}
	if proof.len() != tree_depth(shape.leaves()) as usize {
		return Err(OpeningError::ProofLength);
	}
	let leaf_index = sample / LEAF_ENTRIES as u64;
	let (row, col) = (sample / u64::from(shape.n), sample % u64::from(shape.n));
	let expected = entry(seed, shape, row as u32, col as u32);
	if entries[(sample % LEAF_ENTRIES as u64) as usize] != expected {
		return Err(OpeningError::WrongEntry);
	}
	let leaf = hash_leaf(leaf_index as u32, entries);
	if root_from_proof(leaf_index, leaf, proof) != *root {
		return Err(OpeningError::RootMismatch);
	}
	Ok(())
}

/// A published test vector: a shape and seed, the Merkle root of C, and some openings
/// (entry index into C row-major, its value, the hash of the leaf holding it). The worker's
/// CUDA kernel and any third-party implementation can be checked against them.
pub struct Vector {
	pub seed: [u8; 32],
	pub shape: Shape,
	pub root: &'static str,
	pub openings: &'static [(u64, i32, &'static str)],
}

/// Test vectors of PoC-GEMM v1 (checked by this crate's tests). The second seed is the bytes
/// 0, 1, …, 31.
pub const VECTORS: &[Vector] = &[
	Vector {
		seed: [7; 32],
		shape: Shape { m: 8, n: 16, k: 32 },
		root: "c3e420aed5e4f5590aacf28b43d4c88684410a1f6f770816649c016c75a01ce3",
		openings: &[
			(0, -5956, "70283c932000e2127a7d422e988549973502c59a25695fcafa6dc0aa6463db2f"),
			(77, -43761, "496380d58e8599d476b01fedf99e94dce59f9247f25ceb6a7740dc07dc1af4ab"),
			(127, 224, "496380d58e8599d476b01fedf99e94dce59f9247f25ceb6a7740dc07dc1af4ab"),
		],
	},
	Vector {
		seed: [
			0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
			24, 25, 26, 27, 28, 29, 30, 31,
		],
		shape: Shape { m: 64, n: 64, k: 64 },
		root: "505ab916611a16e19967e27f7c1a8244676549d193a0ace02a0e070b250228ec",
		openings: &[
			(0, -1407, "f57902d8fb32f73981d727d93158ba4752e4e801fd75419528146b01e2ef2e9a"),
			(1000, 16698, "ba592ee0333c7151d516006a3afabc1e0ef06ed207a2ac119de60b6a0cccbc0c"),
			(4095, -22214, "d2c6d48db8e81cf3917ac1fe3df7189445f41e2fcec920b1cc6193fcd1d32dd5"),
		],
	},
];

/// The reference computation and the Merkle tree (std only: the worker, tests, tools).
#[cfg(feature = "std")]
pub mod reference {
	use super::*;

	/// All of A (m×k), row-major.
	pub fn matrix_a(seed: &[u8; 32], shape: Shape) -> Vec<i8> {
		let gen = MatrixGen::new(seed, TAG_A);
		(0..u64::from(shape.m) * u64::from(shape.k)).map(|i| gen.element(i)).collect()
	}

	/// All of B (k×n), row-major.
	pub fn matrix_b(seed: &[u8; 32], shape: Shape) -> Vec<i8> {
		let gen = MatrixGen::new(seed, TAG_B);
		(0..u64::from(shape.k) * u64::from(shape.n)).map(|i| gen.element(i)).collect()
	}

	/// C = A·B, row-major: the plain triple loop every backend must match bit for bit.
	pub fn gemm(seed: &[u8; 32], shape: Shape) -> Vec<i32> {
		let (a, b) = (matrix_a(seed, shape), matrix_b(seed, shape));
		let (m, n, k) = (shape.m as usize, shape.n as usize, shape.k as usize);
		let mut c = vec![0i32; m * n];
		for i in 0..m {
			for t in 0..k {
				let x = i32::from(a[i * k + t]);
				let row = &b[t * n..t * n + n];
				for (out, y) in c[i * n..i * n + n].iter_mut().zip(row) {
					*out += x * i32::from(*y);
				}
			}
		}
		c
	}

	/// Leaf `index` of C (the last leaf padded with zeros).
	pub fn leaf(c: &[i32], index: u64) -> [i32; LEAF_ENTRIES] {
		let mut out = [0i32; LEAF_ENTRIES];
		let start = index as usize * LEAF_ENTRIES;
		for (o, v) in out.iter_mut().zip(c.iter().skip(start)) {
			*o = *v;
		}
		out
	}

	/// The fault model the tests and `kiln-worker challenges --answer cheat-half` use: every
	/// other leaf of C made up (each of its entries off by one), as if half of the work had
	/// been skipped. Written once here for every caller.
	pub fn cheat_half(c: &mut [i32]) {
		for (i, v) in c.iter_mut().enumerate() {
			if (i / LEAF_ENTRIES) % 2 == 1 {
				*v = v.wrapping_add(1);
			}
		}
	}

	/// The opening of entry `sample` of C: its leaf's entries and the leaf's Merkle proof in
	/// `tree` (the tree of `c`), as `reveal_challenge` takes them.
	pub fn opening(c: &[i32], tree: &Tree, sample: u64) -> ([i32; LEAF_ENTRIES], Vec<[u8; 32]>) {
		let index = sample / LEAF_ENTRIES as u64;
		(leaf(c, index), tree.proof(index))
	}

	/// Runs `work(first_unit, chunk)` on up to `threads` threads, each given a contiguous run
	/// of whole `unit`-long pieces of `data` (the last piece may be shorter) and at least
	/// `min_units` of them (below that, threads cost more than they save); with one run, on
	/// this thread. The Merkle tree and the worker's CPU backend split their work with it.
	pub fn split_units<T: Send>(
		data: &mut [T],
		unit: usize,
		min_units: usize,
		threads: usize,
		work: impl Fn(usize, &mut [T]) + Sync,
	) {
		let units = data.len().div_ceil(unit.max(1));
		let per_thread = units.div_ceil(threads.max(1)).max(min_units).max(1);
		if units <= per_thread {
			return work(0, data);
		}
		std::thread::scope(|scope| {
			for (t, chunk) in data.chunks_mut(per_thread * unit.max(1)).enumerate() {
				let work = &work;
				scope.spawn(move || work(t * per_thread, chunk));
			}
		});
	}

	/// [`split_units`] over single items, at least 4 096 hashes per thread.
	fn in_parallel<T: Send>(out: &mut [T], threads: usize, work: impl Fn(usize, &mut [T]) + Sync) {
		split_units(out, 1, 4096, threads, work)
	}

	/// The Merkle tree over C's leaves: every level, leaves first.
	pub struct Tree {
		levels: Vec<Vec<[u8; 32]>>,
	}

	impl Tree {
		pub fn build(c: &[i32]) -> Self {
			Self::build_parallel(c, 1)
		}

		/// The same tree, its hashes computed on up to `threads` threads.
		pub fn build_parallel(c: &[i32], threads: usize) -> Self {
			let leaves = c.len().div_ceil(LEAF_ENTRIES);
			let width = 1usize << tree_depth(leaves as u64);
			let mut level = vec![EMPTY_LEAF; width.max(1)];
			in_parallel(&mut level[..leaves], threads, |first, out| {
				for (i, hash) in out.iter_mut().enumerate() {
					let index = (first + i) as u64;
					*hash = hash_leaf(index as u32, &leaf(c, index));
				}
			});
			let mut levels = vec![level];
			while levels.last().map_or(0, Vec::len) > 1 {
				let below = levels.last().map(Vec::as_slice).unwrap_or_default();
				let mut above = vec![EMPTY_LEAF; below.len() / 2];
				in_parallel(&mut above, threads, |first, out| {
					for (i, hash) in out.iter_mut().enumerate() {
						let j = 2 * (first + i);
						*hash = hash_node(&below[j], &below[j + 1]);
					}
				});
				levels.push(above);
			}
			Self { levels }
		}

		pub fn root(&self) -> [u8; 32] {
			self.levels.last().and_then(|l| l.first()).copied().unwrap_or(EMPTY_LEAF)
		}

		/// The siblings of leaf `index`, bottom-up.
		pub fn proof(&self, index: u64) -> Vec<[u8; 32]> {
			let mut i = index as usize;
			let mut proof = Vec::new();
			for level in &self.levels[..self.levels.len() - 1] {
				proof.push(level[i ^ 1]);
				i /= 2;
			}
			proof
		}
	}
}

#[cfg(test)]
mod tests {
	use super::{reference::*, *};

	const SEED: [u8; 32] = [7; 32];

	fn hex(bytes: &[u8]) -> String {
		bytes.iter().map(|b| format!("{b:02x}")).collect()
	}

	#[test]
	fn single_entries_match_the_full_product() {
		for shape in [Shape { m: 3, n: 5, k: 7 }, Shape { m: 16, n: 9, k: 130 }] {
			let c = gemm(&SEED, shape);
			for row in 0..shape.m {
				for col in 0..shape.n {
					assert_eq!(c[(row * shape.n + col) as usize], entry(&SEED, shape, row, col));
				}
			}
		}
	}

	#[test]
	fn elements_cover_the_int8_range_and_depend_on_seed_and_tag() {
		let a = MatrixGen::new(&SEED, TAG_A);
		let values: Vec<i8> = (0..4096).map(|i| a.element(i)).collect();
		assert!(values.contains(&i8::MIN) && values.contains(&i8::MAX));
		let b = MatrixGen::new(&SEED, TAG_B);
		let other = MatrixGen::new(&[8; 32], TAG_A);
		let same = |g: &MatrixGen| (0..256).filter(|i| g.element(*i) == a.element(*i)).count();
		// About 1 in 256 equal by chance.
		assert!(same(&b) < 10 && same(&other) < 10);
	}

	/// An honest provider's openings for `shape`: C, the tree, and a closure opening a sample.
	fn honest(seed: &[u8; 32], shape: Shape) -> (Vec<i32>, Tree) {
		let c = gemm(seed, shape);
		let tree = Tree::build(&c);
		(c, tree)
	}

	fn open(c: &[i32], tree: &Tree, sample: u64) -> ([i32; LEAF_ENTRIES], Vec<[u8; 32]>) {
		let leaf_index = sample / LEAF_ENTRIES as u64;
		(leaf(c, leaf_index), tree.proof(leaf_index))
	}

	#[test]
	fn honest_openings_verify_for_every_entry() {
		for shape in
			[Shape { m: 1, n: 1, k: 1 }, Shape { m: 8, n: 16, k: 32 }, Shape { m: 24, n: 40, k: 9 }]
		{
			let (c, tree) = honest(&SEED, shape);
			for sample in 0..shape.entries() {
				let (entries, proof) = open(&c, &tree, sample);
				assert_eq!(
					verify_opening(&SEED, shape, &tree.root(), sample, &entries, &proof),
					Ok(()),
					"{shape:?} sample {sample}"
				);
			}
		}
	}

	#[test]
	fn dishonest_openings_are_rejected() {
		let shape = Shape { m: 24, n: 40, k: 9 }; // 960 entries, 15 leaves, depth 4
		let (c, tree) = honest(&SEED, shape);
		let root = tree.root();
		let sample = 500; // leaf 7
		let (entries, proof) = open(&c, &tree, sample);
		let check = |sample, entries: &[i32; LEAF_ENTRIES], proof: &[[u8; 32]]| {
			verify_opening(&SEED, shape, &root, sample, entries, proof)
		};
		// The opening of another leaf presented for this sample.
		let (other_entries, other_proof) = open(&c, &tree, 100);
		assert_eq!(check(sample, &other_entries, &other_proof), Err(OpeningError::WrongEntry));
		// The right leaf with the proof of another leaf.
		assert_eq!(check(sample, &entries, &other_proof), Err(OpeningError::RootMismatch));
		// Truncated, padded.
		assert_eq!(check(sample, &entries, &proof[..3]), Err(OpeningError::ProofLength));
		let mut padded = proof.clone();
		padded.push([0; 32]);
		assert_eq!(check(sample, &entries, &padded), Err(OpeningError::ProofLength));
		// The sampled entry off by one; another entry of the leaf off by one.
		let mut off = entries;
		off[(sample % 64) as usize] += 1;
		assert_eq!(check(sample, &off, &proof), Err(OpeningError::WrongEntry));
		let mut off = entries;
		off[(sample % 64) as usize + 1] -= 1;
		assert_eq!(check(sample, &off, &proof), Err(OpeningError::RootMismatch));
		// A leaf and proof from another challenge (another seed) of the same shape.
		let other_seed = [9; 32];
		let (c2, tree2) = honest(&other_seed, shape);
		let (entries2, proof2) = open(&c2, &tree2, sample);
		assert_eq!(check(sample, &entries2, &proof2), Err(OpeningError::WrongEntry));
		assert_eq!(
			verify_opening(&other_seed, shape, &root, sample, &entries2, &proof2),
			Err(OpeningError::RootMismatch)
		);
		// Outside C.
		assert_eq!(check(shape.entries(), &entries, &proof), Err(OpeningError::EntryOutOfRange));
		// The honest opening passes.
		assert_eq!(check(sample, &entries, &proof), Ok(()));
	}

	/// The published vectors (`VECTORS`) are what this code computes.
	#[test]
	fn published_vectors_match() {
		for v in VECTORS {
			let (c, tree) = honest(&v.seed, v.shape);
			assert_eq!(hex(&tree.root()), v.root, "{:?}", v.shape);
			for (sample, value, leaf_hash) in v.openings {
				assert_eq!(c[*sample as usize], *value);
				let leaf_index = sample / LEAF_ENTRIES as u64;
				assert_eq!(hex(&hash_leaf(leaf_index as u32, &leaf(&c, leaf_index))), *leaf_hash);
			}
		}
	}

	#[test]
	fn samples_are_spread_over_all_entries() {
		let shape = Shape { m: 100, n: 37, k: 1 };
		let mut seen = vec![0u32; shape.entries() as usize];
		for r in 0..200u8 {
			for i in sample_indices(&[r; 32], shape, 32) {
				seen[i as usize] += 1;
			}
		}
		// 6 400 draws over 3 700 entries: every entry index is in range, and the draws are
		// not stuck in a corner (each tenth of C gets 10 % ± 3 %).
		for tenth in seen.chunks(370) {
			let share = tenth.iter().sum::<u32>() as f64 / 6_400.0;
			assert!((0.07..0.13).contains(&share), "{share}");
		}
		assert_eq!(sample_indices(&[1; 32], shape, 32), sample_indices(&[1; 32], shape, 32));
		assert_ne!(sample_indices(&[1; 32], shape, 32), sample_indices(&[2; 32], shape, 32));
	}

	/// A provider that computed only half of C (the other half is garbage) against 32 samples:
	/// over 2 000 challenges (fresh seed and randomness each) it never passes; the exact pass
	/// probability is 0.5^32 ≈ 2.3e-10. With 4 samples it passes about 1/16 of the time, which
	/// shows the test can see a pass when one is likely.
	#[test]
	fn a_provider_that_computed_half_of_c_fails() {
		let shape = Shape { m: 16, n: 16, k: 8 };
		let pass_rate = |samples: u32| {
			let mut passes = 0;
			for trial in 0..2_000u32 {
				let seed = challenge_seed(u64::from(trial), b"lazy", &[3; 32]);
				let mut c = gemm(&seed, shape);
				// Every odd leaf's entries are made up (the honest ones are kept).
				for (i, v) in c.iter_mut().enumerate() {
					if (i / LEAF_ENTRIES) % 2 == 1 {
						*v = v.wrapping_add(1 + i as i32);
					}
				}
				let tree = Tree::build(&c);
				let randomness = challenge_seed(u64::from(trial), b"open", &[4; 32]);
				let ok = sample_indices(&randomness, shape, samples).into_iter().all(|s| {
					let (entries, proof) = open(&c, &tree, s);
					verify_opening(&seed, shape, &tree.root(), s, &entries, &proof).is_ok()
				});
				passes += u32::from(ok);
			}
			passes as f64 / 2_000.0
		};
		let (rate_32, rate_4) = (pass_rate(32), pass_rate(4));
		println!("half-computed C: pass rate {rate_32} with 32 samples, {rate_4} with 4");
		assert_eq!(rate_32, 0.0);
		assert!((0.03..0.10).contains(&rate_4), "{rate_4}");
	}

	#[test]
	fn a_tree_built_on_several_threads_is_the_same_tree() {
		for entries in [1usize, 64, 65, 64 * 4096 + 3, 64 * 20_000] {
			let c: Vec<i32> = (0..entries as i32).map(|i| i.wrapping_mul(7919)).collect();
			let (one, four) = (Tree::build(&c), Tree::build_parallel(&c, 4));
			assert_eq!(one.root(), four.root(), "{entries}");
			let last = (entries.div_ceil(LEAF_ENTRIES) - 1) as u64;
			assert_eq!(one.proof(last), four.proof(last));
		}
	}

	#[test]
	fn tree_depth_follows_the_leaf_count() {
		assert_eq!([1, 2, 3, 4, 5, 64, 65].map(tree_depth), [0, 1, 2, 2, 3, 6, 7]);
		assert_eq!(Shape { m: 8, n: 16, k: 1 }.leaves(), 2);
		assert_eq!(Shape { m: 3, n: 5, k: 1 }.leaves(), 1);
	}
}
