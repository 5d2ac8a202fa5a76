//! Where every draw of this pallet gets its randomness.
//!
//! Each block's hook records the randomness the runtime's source reveals for the parent block
//! (BABE's VRF output) in [`RecentEntropy`], keeping the last `EntropyBlocks`. A draw made in
//! the hook of block `now` hashes its subject with the entropy of every one of the blocks
//! `now - EntropyBlocks .. now`, and only if all of them come after the last transaction the
//! draw depends on (`after`): so
//!
//! - nobody can send a transaction that already knows the draw (the last revealer of a
//!   spot-check cannot pick the dispute panel: finding 3 of issue 11);
//! - one block author who knows its own VRF output before it publishes its block (as every
//!   BABE author does for the slots it wins) does not know the draw: it would need the outputs
//!   of all `EntropyBlocks` blocks (finding 5). What is left to one author is to withhold the
//!   last of those blocks when it authors it, which swaps the draw for another one it cannot
//!   choose: at most a second chance (the README, "Where draws come from").
//!
//! Draws are never made inside an extrinsic.

use crate::{Config, Pallet, RecentEntropy};
use codec::Encode;
use frame_support::traits::{Get, Randomness};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{BlakeTwo256, Hash, One, Saturating};

/// Most blocks a draw may mix (`EntropyBlocks` is checked against it by `integrity_test`).
pub const MAX_ENTROPY_BLOCKS: u32 = 16;

impl<T: Config> Pallet<T> {
	/// Records the entropy revealed by the parent block (called first in every block's hook).
	pub(crate) fn record_entropy(now: BlockNumberFor<T>) {
		let (value, known_since) = T::Randomness::random(b"kiln/poc/entropy");
		let Some(value) = value else { return };
		if known_since >= now {
			// Not from an earlier block: useless to a draw made now.
			return;
		}
		let keep = Self::entropy_blocks() as usize;
		RecentEntropy::<T>::mutate(|log| {
			if log.last().is_some_and(|(at, _)| *at >= known_since) {
				return;
			}
			while log.len() >= keep {
				log.remove(0);
			}
			// Cannot fail: `keep` is at most the bound and the log is shorter than `keep`.
			let _ = log.try_push((known_since, BlakeTwo256::hash(value.as_ref()).0));
		});
	}

	/// 32 random bytes for `subject`, drawn in the hook of block `now` from the entropy of the
	/// `EntropyBlocks` blocks before it; `None` unless every one of them is recorded and comes
	/// after block `after` (the last transaction the draw depends on).
	pub(crate) fn draw(
		subject: &[u8],
		after: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) -> Option<[u8; 32]> {
		if now.saturating_sub(Self::entropy_blocks().into()) <= after {
			return None;
		}
		Self::draw_now(subject, now)
	}

	/// Like [`Self::draw`], for a draw no transaction depends on (the sweep's).
	pub(crate) fn draw_now(subject: &[u8], now: BlockNumberFor<T>) -> Option<[u8; 32]> {
		let blocks: BlockNumberFor<T> = Self::entropy_blocks().into();
		if now < blocks {
			// Not enough blocks yet.
			return None;
		}
		let first = now.saturating_sub(blocks);
		let log = RecentEntropy::<T>::get();
		let mut expected = first;
		let mut preimage = (b"kiln/poc/draw", subject).encode();
		for (at, entropy) in log.iter().filter(|(at, _)| *at >= first && *at < now) {
			if *at != expected {
				return None;
			}
			preimage.extend_from_slice(entropy);
			expected = expected.saturating_add(One::one());
		}
		(expected == now).then(|| BlakeTwo256::hash(&preimage).0)
	}

	/// `EntropyBlocks`, kept in range (`integrity_test` checks the configured value is).
	fn entropy_blocks() -> u32 {
		T::EntropyBlocks::get().clamp(1, MAX_ENTROPY_BLOCKS)
	}

	/// Recording the entropy: one read and one write of a bounded value (not benchmarked on
	/// its own yet; charged as database accesses).
	pub(crate) fn entropy_weight() -> frame_support::weights::Weight {
		T::DbWeight::get().reads_writes(2, 1)
	}

	/// The earliest block whose hook may draw for something that happened in block `after`.
	pub(crate) fn first_draw_after(after: BlockNumberFor<T>) -> BlockNumberFor<T> {
		after.saturating_add(Self::entropy_blocks().into()).saturating_add(One::one())
	}
}
