//! The micro-kernels of the CPU backend, one per instruction set, chosen at run time.
//!
//! A kernel adds one tile of C, `MR` rows by `NR` columns, the product of a packed micro-panel
//! of A (`MR` rows) and one of B (`NR` columns) over `groups` k-groups. Both panels store 4
//! bytes per (row or column, k-group), so one 32-bit broadcast of A meets one 32-bit lane of B:
//!
//! - [`Encoding::OffsetBytes`]: a group is 4 consecutive k, A as the unsigned byte a + 128 and
//!   B as the signed byte b. `vpdpbusd` sums the four u8·s8 products into an int32 lane without
//!   saturation, so the tile holds Σ (a + 128)·b, exact; the caller subtracts 128 · Σ_t b[t][j]
//!   (see `pack`). Every partial sum stays below 2^31 for k ≤ 65 536 (255 · 128 · 2^16 < 2^31).
//! - [`Encoding::Words`]: a group is 2 consecutive k as int16 (`vpmaddwd`: two i16·i16 products
//!   summed into int32, exact for int8 inputs).
//!
//! Int32 sums of int8 products are exact on every path, so every path equals
//! `poc::reference::gemm` bit for bit; the tests force each path this machine can run.

/// An instruction-set path of the CPU backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Path {
	/// AVX-512 VNNI: `vpdpbusd` on 512-bit registers, an 8×48 tile.
	Avx512Vnni,
	/// AVX-VNNI: `vpdpbusd` on 256-bit registers (VEX), a 6×16 tile.
	AvxVnni,
	/// AVX2: `vpmaddwd` on int16 pairs, a 6×16 tile.
	Avx2,
	/// Plain Rust on any CPU, a 4×16 tile.
	Portable,
}

/// How a path's panels are packed (4 bytes per row or column and k-group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
	/// 4 k per group: A as a + 128 (u8), B as b (i8).
	OffsetBytes,
	/// 2 k per group, A and B as i16.
	Words,
}

impl Encoding {
	/// k values per group.
	pub fn k_per_group(self) -> usize {
		match self {
			Self::OffsetBytes => 4,
			Self::Words => 2,
		}
	}
}

/// `kernel(groups, a, b, c, ldc)`: C[0..MR][0..NR] (row stride `ldc`) += A-panel · B-panel.
///
/// # Safety
/// `a` holds `groups · MR · 4` bytes, `b` holds `groups · NR · 4` bytes, `c` addresses MR rows
/// of at least NR entries `ldc` apart, and the CPU has the path's features.
pub type Kernel = unsafe fn(usize, *const u8, *const u8, *mut i32, usize);

impl Path {
	/// Every path, fastest first.
	pub const ALL: [Path; 4] = [Path::Avx512Vnni, Path::AvxVnni, Path::Avx2, Path::Portable];

	pub fn name(self) -> &'static str {
		match self {
			Self::Avx512Vnni => "avx512-vnni",
			Self::AvxVnni => "avx-vnni",
			Self::Avx2 => "avx2",
			Self::Portable => "portable",
		}
	}

	/// Whether this CPU runs the path.
	pub fn available(self) -> bool {
		#[cfg(target_arch = "x86_64")]
		{
			match self {
				Self::Avx512Vnni => {
					is_x86_feature_detected!("avx512f")
						&& is_x86_feature_detected!("avx512bw")
						&& is_x86_feature_detected!("avx512vnni")
				},
				Self::AvxVnni => {
					is_x86_feature_detected!("avx2") && is_x86_feature_detected!("avxvnni")
				},
				Self::Avx2 => is_x86_feature_detected!("avx2"),
				Self::Portable => true,
			}
		}
		#[cfg(not(target_arch = "x86_64"))]
		{
			self == Self::Portable
		}
	}

	/// The fastest path this CPU runs.
	pub fn best() -> Path {
		Self::ALL.into_iter().find(|p| p.available()).unwrap_or(Path::Portable)
	}

	/// Rows of a tile.
	pub fn mr(self) -> usize {
		match self {
			Self::Avx512Vnni => 8,
			Self::AvxVnni | Self::Avx2 => 6,
			Self::Portable => 4,
		}
	}

	/// Columns of a tile.
	pub fn nr(self) -> usize {
		match self {
			Self::Avx512Vnni => 48,
			Self::AvxVnni | Self::Avx2 | Self::Portable => 16,
		}
	}

	pub fn encoding(self) -> Encoding {
		match self {
			Self::Avx2 => Encoding::Words,
			_ => Encoding::OffsetBytes,
		}
	}

	/// k-groups per cache block: B's micro-panel (`groups · NR · 4` bytes, 24 KiB) stays in
	/// the L1 cache while the A micro-panels of a row block stream past it.
	pub fn groups_per_block(self) -> usize {
		24 * 1024 / (self.nr() * 4)
	}

	/// The kernel, or `None` where this CPU lacks the path's features (never call it then).
	pub fn kernel(self) -> Option<Kernel> {
		if !self.available() {
			return None;
		}
		#[cfg(target_arch = "x86_64")]
		{
			Some(match self {
				Self::Avx512Vnni => x86::avx512_vnni as Kernel,
				Self::AvxVnni => x86::avx_vnni as Kernel,
				Self::Avx2 => x86::avx2 as Kernel,
				Self::Portable => portable as Kernel,
			})
		}
		#[cfg(not(target_arch = "x86_64"))]
		{
			Some(portable as Kernel)
		}
	}
}

/// The portable kernel (4×16, [`Encoding::OffsetBytes`]).
///
/// # Safety
/// As [`Kernel`].
unsafe fn portable(groups: usize, a: *const u8, b: *const u8, c: *mut i32, ldc: usize) {
	const MR: usize = 4;
	const NR: usize = 16;
	// SAFETY: the caller passes panels of these sizes (Kernel's contract).
	let (a, b) = unsafe {
		(
			std::slice::from_raw_parts(a, groups * MR * 4),
			std::slice::from_raw_parts(b, groups * NR * 4),
		)
	};
	let mut acc = [[0i32; NR]; MR];
	for (a_group, b_group) in a.chunks_exact(MR * 4).zip(b.chunks_exact(NR * 4)) {
		for (row, x) in acc.iter_mut().zip(a_group.chunks_exact(4)) {
			for (out, y) in row.iter_mut().zip(b_group.chunks_exact(4)) {
				let dot: i32 =
					x.iter().zip(y).map(|(&x, &y)| i32::from(x) * i32::from(y as i8)).sum();
				*out = out.wrapping_add(dot);
			}
		}
	}
	for (r, row) in acc.iter().enumerate() {
		for (j, v) in row.iter().enumerate() {
			// SAFETY: row r < MR and column j < NR are inside the tile (Kernel's contract).
			unsafe {
				let p = c.add(r * ldc + j);
				*p = (*p).wrapping_add(*v);
			}
		}
	}
}

#[cfg(target_arch = "x86_64")]
mod x86 {
	use std::arch::x86_64::*;

	/// 8×48: 24 accumulators, 3 loads of B and 8 broadcasts of A per k-group.
	///
	/// # Safety
	/// As `Kernel`, on a CPU with AVX-512 F, BW and VNNI.
	#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
	pub unsafe fn avx512_vnni(groups: usize, a: *const u8, b: *const u8, c: *mut i32, ldc: usize) {
		const MR: usize = 8;
		let mut acc = [[_mm512_setzero_si512(); 3]; MR];
		for g in 0..groups {
			// SAFETY: group g of both panels is inside them (Kernel's contract).
			unsafe {
				let bp = b.add(g * 48 * 4);
				let b0 = _mm512_loadu_si512(bp.cast());
				let b1 = _mm512_loadu_si512(bp.add(64).cast());
				let b2 = _mm512_loadu_si512(bp.add(128).cast());
				let ap = a.add(g * MR * 4).cast::<i32>();
				for (r, row) in acc.iter_mut().enumerate() {
					let x = _mm512_set1_epi32(ap.add(r).read_unaligned());
					row[0] = _mm512_dpbusd_epi32(row[0], x, b0);
					row[1] = _mm512_dpbusd_epi32(row[1], x, b1);
					row[2] = _mm512_dpbusd_epi32(row[2], x, b2);
				}
			}
		}
		for (r, row) in acc.iter().enumerate() {
			for (j, v) in row.iter().enumerate() {
				// SAFETY: the tile's rows and columns are inside C (Kernel's contract).
				unsafe {
					let p = c.add(r * ldc + 16 * j).cast::<__m512i>();
					_mm512_storeu_si512(p, _mm512_add_epi32(_mm512_loadu_si512(p), *v));
				}
			}
		}
	}

	/// 6×16 with `vpdpbusd` on 256-bit registers: 12 accumulators.
	///
	/// # Safety
	/// As `Kernel`, on a CPU with AVX2 and AVX-VNNI.
	#[target_feature(enable = "avx2,avxvnni")]
	pub unsafe fn avx_vnni(groups: usize, a: *const u8, b: *const u8, c: *mut i32, ldc: usize) {
		const MR: usize = 6;
		let mut acc = [[_mm256_setzero_si256(); 2]; MR];
		for g in 0..groups {
			// SAFETY: group g of both panels is inside them (Kernel's contract).
			unsafe {
				let bp = b.add(g * 16 * 4);
				let b0 = _mm256_loadu_si256(bp.cast());
				let b1 = _mm256_loadu_si256(bp.add(32).cast());
				let ap = a.add(g * MR * 4).cast::<i32>();
				for (r, row) in acc.iter_mut().enumerate() {
					let x = _mm256_set1_epi32(ap.add(r).read_unaligned());
					row[0] = _mm256_dpbusd_avx_epi32(row[0], x, b0);
					row[1] = _mm256_dpbusd_avx_epi32(row[1], x, b1);
				}
			}
		}
		// SAFETY: as this kernel's own contract.
		unsafe { store_6x16(&acc, c, ldc) };
	}

	/// 6×16 with `vpmaddwd` on int16 pairs: 12 accumulators.
	///
	/// # Safety
	/// As `Kernel`, on a CPU with AVX2.
	#[target_feature(enable = "avx2")]
	pub unsafe fn avx2(groups: usize, a: *const u8, b: *const u8, c: *mut i32, ldc: usize) {
		const MR: usize = 6;
		let mut acc = [[_mm256_setzero_si256(); 2]; MR];
		for g in 0..groups {
			// SAFETY: group g of both panels is inside them (Kernel's contract).
			unsafe {
				let bp = b.add(g * 16 * 4);
				let b0 = _mm256_loadu_si256(bp.cast());
				let b1 = _mm256_loadu_si256(bp.add(32).cast());
				let ap = a.add(g * MR * 4).cast::<i32>();
				for (r, row) in acc.iter_mut().enumerate() {
					let x = _mm256_set1_epi32(ap.add(r).read_unaligned());
					row[0] = _mm256_add_epi32(row[0], _mm256_madd_epi16(x, b0));
					row[1] = _mm256_add_epi32(row[1], _mm256_madd_epi16(x, b1));
				}
			}
		}
		// SAFETY: as this kernel's own contract.
		unsafe { store_6x16(&acc, c, ldc) };
	}

	/// C's 6×16 tile += `acc`.
	///
	/// # Safety
	/// `c` addresses 6 rows of 16 entries `ldc` apart, on a CPU with AVX2.
	#[target_feature(enable = "avx2")]
	unsafe fn store_6x16(acc: &[[__m256i; 2]; 6], c: *mut i32, ldc: usize) {
		for (r, row) in acc.iter().enumerate() {
			for (j, v) in row.iter().enumerate() {
				// SAFETY: the tile's rows and columns are inside C (this function's contract).
				unsafe {
					let p = c.add(r * ldc + 8 * j).cast::<__m256i>();
					_mm256_storeu_si256(p, _mm256_add_epi32(_mm256_loadu_si256(p), *v));
				}
			}
		}
	}
}
