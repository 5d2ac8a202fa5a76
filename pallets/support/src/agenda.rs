//! A per-block agenda: a storage map from a block number to the bounded list of items whose
//! turn comes when that block starts. A pallet's `on_initialize` takes the current block's
//! list only, so the work per block is bounded by the list's bound and no block iterates
//! everything scheduled.
//!
//! Scheduling looks for room from the wanted block on, for at most a given number of blocks;
//! it never silently drops an item: it says where the item went, or that there was no room.

use codec::FullCodec;
use core::marker::PhantomData;
use frame_support::{storage::StorageMap, traits::Get, BoundedVec};
use sp_runtime::{traits::One, Saturating};

/// How many blocks from the wanted one `schedule` tries by default when agendas are full.
pub const AGENDA_SEARCH: u32 = 10;

/// The agenda kept in the storage map `S` (block `B` → up to `M` items `I`).
pub struct Agenda<S, B, I, M>(PhantomData<(S, B, I, M)>);

impl<S, B, I, M> Agenda<S, B, I, M>
where
	S: StorageMap<B, BoundedVec<I, M>, Query = BoundedVec<I, M>>,
	B: FullCodec + Copy + Saturating + One,
	I: FullCodec + PartialEq,
	M: Get<u32>,
{
	/// Puts `item` on the agenda of the first block from `at`, within `search` blocks, that
	/// has room, and returns that block; `None` (nothing written) if none has.
	pub fn schedule(item: I, at: B, search: u32) -> Option<B> {
		let mut block = at;
		let mut item = Some(item);
		for _ in 0..search {
			let pushed = S::mutate(block, |list| match item.take() {
				Some(i) => match list.try_push(i) {
					Ok(()) => true,
					Err(back) => {
						item = Some(back);
						false
					},
				},
				None => false,
			});
			if pushed {
				return Some(block);
			}
			block = block.saturating_add(One::one());
		}
		None
	}

	/// Takes `item` off the agenda of `at` (if it is there); an emptied list is removed.
	pub fn unschedule(item: &I, at: B) {
		S::mutate_exists(at, |list| {
			if let Some(items) = list {
				items.retain(|i| i != item);
				if items.is_empty() {
					*list = None;
				}
			}
		});
	}

	/// Everything due at `at`, removed from the agenda.
	pub fn take(at: B) -> BoundedVec<I, M> {
		S::take(at)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::{
		pallet_prelude::ValueQuery, storage_alias, traits::ConstU32, Twox64Concat,
	};

	#[storage_alias]
	type Slots = StorageMap<Test, Twox64Concat, u32, BoundedVec<u8, ConstU32<2>>, ValueQuery>;
	type TwoPerBlock = Agenda<Slots, u32, u8, ConstU32<2>>;

	#[test]
	fn full_blocks_push_items_later_and_nothing_is_lost_or_half_written() {
		sp_io::TestExternalities::default().execute_with(|| {
			assert_eq!(TwoPerBlock::schedule(1, 10, 3), Some(10));
			assert_eq!(TwoPerBlock::schedule(2, 10, 3), Some(10));
			assert_eq!(TwoPerBlock::schedule(3, 10, 3), Some(11));
			for item in [4, 5, 6] {
				assert!(TwoPerBlock::schedule(item, 11, 2).is_some());
			}
			// 10, 11 and 12 are full: no room within three blocks of 10.
			assert_eq!(TwoPerBlock::schedule(7, 10, 3), None);
			let written: Vec<Vec<u8>> = (10..14).map(|b| Slots::get(b).into_inner()).collect();
			assert_eq!(written, vec![vec![1, 2], vec![3, 4], vec![5, 6], vec![]]);
			assert!(!Slots::contains_key(13), "a failed search writes nothing");
			// A longer search finds room.
			assert_eq!(TwoPerBlock::schedule(7, 10, 4), Some(13));
		});
	}

	#[test]
	fn unscheduling_removes_only_that_item_and_empty_lists() {
		sp_io::TestExternalities::default().execute_with(|| {
			TwoPerBlock::schedule(1, 5, 1);
			TwoPerBlock::schedule(2, 5, 1);
			TwoPerBlock::unschedule(&1, 5);
			assert_eq!(Slots::get(5).into_inner(), vec![2]);
			// Not there: nothing happens.
			TwoPerBlock::unschedule(&9, 5);
			TwoPerBlock::unschedule(&9, 6);
			assert!(!Slots::contains_key(6));
			TwoPerBlock::unschedule(&2, 5);
			assert!(!Slots::contains_key(5), "an emptied list is removed");
			TwoPerBlock::schedule(3, 7, 1);
			assert_eq!(TwoPerBlock::take(7).into_inner(), vec![3]);
			assert!(!Slots::contains_key(7));
		});
	}
}
