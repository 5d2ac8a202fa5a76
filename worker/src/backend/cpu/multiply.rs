//! C = A·B from packed panels: cache blocks around the path's micro-kernel, rows of C split
//! over threads.
//!
//! The loops are those of BLIS (Van Zee and van de Geijn, 2015): for each block of k-groups,
//! for each block of rows, for each panel of B (its micro-panel stays in L1), for each panel
//! of A in the row block (the block stays in L2), one kernel call on one tile of C.

use super::{
	kernels::Kernel,
	pack::{split_units, Packed},
};
use anyhow::{anyhow, Result};

/// Bytes of A a row block keeps in the L2 cache.
const A_BLOCK_BYTES: usize = 512 * 1024;
/// The largest tile of any path (8 × 48).
const MAX_TILE: usize = 8 * 48;

/// C = A·B, row-major, on `threads` threads.
pub fn multiply(packed: &Packed, threads: usize) -> Result<Vec<i32>> {
	let path = packed.path;
	let kernel =
		path.kernel().ok_or_else(|| anyhow!("this CPU cannot run the {} kernel", path.name()))?;
	let (m, n) = (packed.shape.m as usize, packed.shape.n as usize);
	let mut c = vec![0i32; m * n];
	// Each thread owns whole panels of A, that is MR whole rows of C at a time.
	split_units(&mut c, path.mr() * n, threads, |first_panel, rows| {
		for row in rows.chunks_mut(n) {
			row.copy_from_slice(&packed.c_init);
		}
		rows_of_c(packed, kernel, first_panel, rows);
	});
	Ok(c)
}

/// The rows of C from panel `first_panel` of A on: `c` holds them, already set to their
/// start values.
fn rows_of_c(packed: &Packed, kernel: Kernel, first_panel: usize, c: &mut [i32]) {
	let path = packed.path;
	let (mr, nr, groups) = (path.mr(), path.nr(), packed.groups);
	let n = packed.shape.n as usize;
	let rows = c.len() / n;
	let panels = rows.div_ceil(mr);
	let b_panels = n.div_ceil(nr);
	let block_groups = path.groups_per_block();
	let block_panels = (A_BLOCK_BYTES / (block_groups * mr * 4)).max(1);
	let mut tile = [0i32; MAX_TILE];
	for k0 in (0..groups).step_by(block_groups) {
		let kc = block_groups.min(groups - k0);
		for p0 in (0..panels).step_by(block_panels) {
			for jp in 0..b_panels {
				let b = &packed.b[jp * packed.b_panel_bytes() + k0 * nr * 4..][..kc * nr * 4];
				let cols = nr.min(n - jp * nr);
				for ip in p0..panels.min(p0 + block_panels) {
					let a_at = (first_panel + ip) * packed.a_panel_bytes() + k0 * mr * 4;
					let a = &packed.a[a_at..a_at + kc * mr * 4];
					let r0 = ip * mr;
					let tile_rows = mr.min(rows - r0);
					if tile_rows == mr && cols == nr {
						let at = r0 * n + jp * nr;
						// The tile's last entry, (r0 + mr − 1)·n + jp·nr + nr − 1, is inside c.
						let tile_c = &mut c[at..at + (mr - 1) * n + nr];
						// SAFETY: `a` and `b` hold kc groups of their panels, `tile_c` covers
						// MR rows of NR entries n apart, and `kernel` is only given out for a
						// path this CPU runs.
						unsafe { kernel(kc, a.as_ptr(), b.as_ptr(), tile_c.as_mut_ptr(), n) };
					} else {
						// An edge tile: computed whole into `tile`, then its valid part added.
						let tile = &mut tile[..mr * nr];
						tile.fill(0);
						// SAFETY: as above, with `tile` holding MR rows of NR entries.
						unsafe { kernel(kc, a.as_ptr(), b.as_ptr(), tile.as_mut_ptr(), nr) };
						for r in 0..tile_rows {
							let out = &mut c[(r0 + r) * n + jp * nr..][..cols];
							for (o, v) in out.iter_mut().zip(&tile[r * nr..r * nr + cols]) {
								*o = o.wrapping_add(*v);
							}
						}
					}
				}
			}
		}
	}
}
