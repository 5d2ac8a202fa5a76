//! A per-block agenda: a storage map from a block number to the bounded list of items whose
//! turn comes when that block starts. A pallet's `on_initialize` takes the current block's
//! list only, so the work per block is bounded by the list's bound and no block iterates
//! everything scheduled.
//!
//! Scheduling looks for room from the wanted block on, for at most a given number of blocks.
//! Two ways to ask, for two kinds of callers:
//!
//! - [`Agenda::schedule`], for something new (a job created): no room → `None`, nothing
//!   written, and the caller refuses the call;
//! - [`Agenda::place`], for the next step of something already under way (a deadline, a
//!   spot-check's next round), which must never be skipped: no room → the item waits in a
//!   first-in-first-out *waiting line* with the block it is due at, and the first blocks
//!   with spare room handle it (finding 6 of issue 11: full agendas switched verification
//!   off). A block handles at most the list's bound in all (its own list first), so the
//!   worst block costs what it did before; a step handled late only gives its parties more
//!   time, never less, because every step sets its next deadline from the block that
//!   handles it.
//!
//! Taking an item off ([`Agenda::unschedule`]) removes it from the block's list; an entry
//! already in the waiting line is left there and goes stale: callers handle an item only if
//! its state still expects it at the block it was due (they check it anyway).

use codec::FullCodec;
use core::marker::PhantomData;
use frame_support::{
	storage::{StorageMap, StorageValue},
	traits::Get,
	weights::{RuntimeDbWeight, Weight},
	BoundedVec,
};
use sp_runtime::{traits::One, Saturating};

extern crate alloc;
use alloc::vec::Vec;

/// How many blocks from the wanted one `schedule` tries by default when agendas are full.
pub const AGENDA_SEARCH: u32 = 10;

/// Where a pallet keeps one agenda: the block lists and the waiting line.
pub trait AgendaStorage {
	/// The block number.
	type Block: FullCodec + Copy + Ord + Saturating + One;
	/// What is scheduled.
	type Item: FullCodec + PartialEq + Clone;
	/// Most items one block's list holds, and most one block handles.
	type Max: Get<u32>;
	/// Block → the items due when it starts.
	type Lists: StorageMap<
		Self::Block,
		BoundedVec<Self::Item, Self::Max>,
		Query = BoundedVec<Self::Item, Self::Max>,
	>;
	/// Position in the waiting line → (block due at, item).
	type Line: StorageMap<u32, (Self::Block, Self::Item), Query = Option<(Self::Block, Self::Item)>>;
	/// The waiting line's ends: (first position, one past the last).
	type LineEnds: StorageValue<(u32, u32), Query = (u32, u32)>;
}

/// What a block has to handle: `(due block, item)` pairs, and what reading them took.
pub struct Due<B, I> {
	/// The items to handle, with the block each was due at (at most the list bound).
	pub items: Vec<(B, I)>,
	/// How many entries came out of the waiting line (including those put back because they
	/// were not due yet): each costs a read and up to two writes beyond its block list's.
	pub from_line: u32,
}

/// Where [`Agenda::place_counted`] put an item.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Placed<B> {
	/// The block it is due at (on that block's list, or in the waiting line due at it).
	pub at: B,
	/// How many full blocks the search passed over: the whole search when it waits in line.
	pub passed: u32,
}

/// What a placement's benchmark, linear in the full agendas passed over, leaves out: an item
/// that waits in line (`passed` is the whole `search`) writes the line's entry and its ends
/// where one found room wrote a single list, a write more than the fit gives at that point.
pub fn waiting_line_weight<D: Get<RuntimeDbWeight>>(passed: u32, search: u32) -> Weight {
	if passed >= search {
		D::get().writes(1)
	} else {
		Weight::zero()
	}
}

/// The agenda kept in `A`'s storage.
pub struct Agenda<A>(PhantomData<A>);

impl<A: AgendaStorage> Agenda<A> {
	/// Puts `item` on the agenda of the first block from `at`, within `search` blocks, that
	/// has room, and returns that block; `None` (nothing written) if none has, or if steps
	/// already under way wait in line (new work waits until they are handled).
	pub fn schedule(item: A::Item, at: A::Block, search: u32) -> Option<A::Block> {
		if Self::waiting() > 0 {
			return None;
		}
		Self::find_room(item, at, search).map(|(block, _)| block)
	}

	/// The first block from `at`, within `search`, with room for `item` (put there), and how
	/// many full blocks were passed over before it.
	fn find_room(item: A::Item, at: A::Block, search: u32) -> Option<(A::Block, u32)> {
		let mut block = at;
		let mut item = Some(item);
		for passed in 0..search {
			let pushed = A::Lists::mutate(block, |list| match item.take() {
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
				return Some((block, passed));
			}
			block = block.saturating_add(One::one());
		}
		None
	}

	/// Like [`Self::schedule`], but never fails, even while others wait: with no room within
	/// `search` blocks the item waits in line, due at `at` (which is then returned; the item
	/// is handled at `at` or at the first block after it with spare room).
	pub fn place(item: A::Item, at: A::Block, search: u32) -> A::Block {
		Self::place_counted(item, at, search).at
	}

	/// [`Self::place`], also telling how many full blocks the search passed over (`search`
	/// when the item went to the waiting line): what a caller charges by.
	pub fn place_counted(item: A::Item, at: A::Block, search: u32) -> Placed<A::Block> {
		match Self::find_room(item.clone(), at, search) {
			Some((block, passed)) => Placed { at: block, passed },
			None => {
				Self::wait(at, item);
				Placed { at, passed: search }
			},
		}
	}

	/// Takes `item` off the agenda of `at` (if it is there); an emptied list is removed.
	pub fn unschedule(item: &A::Item, at: A::Block) {
		A::Lists::mutate_exists(at, |list| {
			if let Some(items) = list {
				items.retain(|i| i != item);
				if items.is_empty() {
					*list = None;
				}
			}
		});
	}

	/// Everything to handle at `now`, removed from the agenda: the whole list of `now`, then,
	/// in the room left, entries from the front of the waiting line that are due (one not yet
	/// due goes back to the end of the line).
	pub fn take(now: A::Block) -> Due<A::Block, A::Item> {
		let mut items: Vec<(A::Block, A::Item)> =
			A::Lists::take(now).into_iter().map(|item| (now, item)).collect();
		let room = A::Max::get().saturating_sub(items.len() as u32);
		let (mut first, mut end) = A::LineEnds::get();
		let waiting = end.wrapping_sub(first);
		let mut from_line = 0;
		for _ in 0..room.min(waiting) {
			let entry = A::Line::take(first);
			first = first.wrapping_add(1);
			from_line += 1;
			match entry {
				Some((due, item)) if due <= now => items.push((due, item)),
				Some(not_yet) => {
					A::Line::insert(end, not_yet);
					end = end.wrapping_add(1);
				},
				None => {},
			}
		}
		if from_line > 0 {
			A::LineEnds::put((first, end));
		}
		Due { items, from_line }
	}

	/// How many entries wait in line (stale ones included).
	pub fn waiting() -> u32 {
		let (first, end) = A::LineEnds::get();
		end.wrapping_sub(first)
	}

	/// The waiting line, front first: `(due block, item)`.
	pub fn line() -> Vec<(A::Block, A::Item)> {
		let (first, end) = A::LineEnds::get();
		(0..end.wrapping_sub(first)).filter_map(|i| A::Line::get(first.wrapping_add(i))).collect()
	}

	fn wait(due: A::Block, item: A::Item) {
		let (first, end) = A::LineEnds::get();
		A::Line::insert(end, (due, item));
		A::LineEnds::put((first, end.wrapping_add(1)));
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::{
		pallet_prelude::{OptionQuery, ValueQuery},
		storage_alias,
		traits::ConstU32,
		Twox64Concat,
	};

	#[storage_alias]
	type Slots = StorageMap<Test, Twox64Concat, u32, BoundedVec<u8, ConstU32<2>>, ValueQuery>;
	#[storage_alias]
	type Line = StorageMap<Test, Twox64Concat, u32, (u32, u8), OptionQuery>;
	#[storage_alias]
	type Ends = StorageValue<Test, (u32, u32), ValueQuery>;

	struct TwoPerBlockStorage;
	impl AgendaStorage for TwoPerBlockStorage {
		type Block = u32;
		type Item = u8;
		type Max = ConstU32<2>;
		type Lists = Slots;
		type Line = Line;
		type LineEnds = Ends;
	}
	type TwoPerBlock = Agenda<TwoPerBlockStorage>;

	fn test(f: impl FnOnce()) {
		sp_io::TestExternalities::default().execute_with(f)
	}

	#[test]
	fn full_blocks_push_items_later_and_nothing_is_lost_or_half_written() {
		test(|| {
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
			assert_eq!(TwoPerBlock::waiting(), 0, "a refused item does not wait");
			// A longer search finds room.
			assert_eq!(TwoPerBlock::schedule(7, 10, 4), Some(13));
		});
	}

	#[test]
	fn unscheduling_removes_only_that_item_and_empty_lists() {
		test(|| {
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
			let due = TwoPerBlock::take(7);
			assert_eq!(due.items, vec![(7, 3)]);
			assert_eq!(due.from_line, 0);
			assert!(!Slots::contains_key(7));
		});
	}

	#[test]
	fn a_step_with_no_room_waits_in_line_and_is_handled_late_never_dropped() {
		test(|| {
			for item in [1, 2, 3, 4] {
				TwoPerBlock::schedule(item, 10, 2);
			}
			// 10 and 11 are full: the step waits, due at 10.
			assert_eq!(TwoPerBlock::place(5, 10, 2), 10);
			assert_eq!(TwoPerBlock::line(), vec![(10, 5)]);
			// While a step waits, new work is refused even where there is room...
			assert_eq!(TwoPerBlock::schedule(6, 20, 1), None);
			// ...but the next step of something under way still takes free room.
			assert_eq!(TwoPerBlock::place(7, 20, 1), 20);
			// Block 10's list fills the block: nothing from the line.
			let due = TwoPerBlock::take(10);
			assert_eq!((due.items, due.from_line), (vec![(10, 1), (10, 2)], 0));
			assert_eq!(TwoPerBlock::take(11).items, vec![(11, 3), (11, 4)]);
			// Block 12 has room: the waiting step is handled, late, with the block it was due.
			let due = TwoPerBlock::take(12);
			assert_eq!((due.items, due.from_line), (vec![(10, 5)], 1));
			assert_eq!(TwoPerBlock::waiting(), 0);
			// The line is empty again: new work is taken.
			assert_eq!(TwoPerBlock::schedule(6, 20, 1), Some(20));
			assert_eq!(Slots::get(20).into_inner(), vec![7, 6]);
		});
	}

	#[test]
	fn a_placement_counts_the_full_blocks_it_passed_over() {
		test(|| {
			// Room at once: nothing passed.
			assert_eq!(TwoPerBlock::place_counted(1, 10, 3), Placed { at: 10, passed: 0 });
			TwoPerBlock::place(2, 10, 3);
			for item in [3, 4] {
				TwoPerBlock::place(item, 11, 1);
			}
			// 10 and 11 full: placed on 12, two passed.
			assert_eq!(TwoPerBlock::place_counted(5, 10, 3), Placed { at: 12, passed: 2 });
			TwoPerBlock::place(6, 12, 1);
			// 10, 11 and 12 full: the whole search passed, the item waits due at 10.
			assert_eq!(TwoPerBlock::place_counted(7, 10, 3), Placed { at: 10, passed: 3 });
			assert_eq!(TwoPerBlock::line(), vec![(10, 7)]);
		});
	}

	#[test]
	fn the_line_is_handled_first_in_first_out_and_early_entries_go_back() {
		test(|| {
			TwoPerBlock::schedule(1, 10, 1);
			TwoPerBlock::schedule(2, 10, 1);
			// Due at 10, 30 (not yet due at 11) and 10.
			TwoPerBlock::place(3, 10, 1);
			TwoPerBlock::place(4, 30, 0);
			TwoPerBlock::place(5, 10, 1);
			assert_eq!(TwoPerBlock::waiting(), 3);
			assert_eq!(TwoPerBlock::take(10).from_line, 0);
			// Room for two: 3 is handled, 4 goes back to the end of the line.
			let due = TwoPerBlock::take(11);
			assert_eq!((due.items, due.from_line), (vec![(10, 3)], 2));
			assert_eq!(TwoPerBlock::line(), vec![(10, 5), (30, 4)]);
			let due = TwoPerBlock::take(12);
			assert_eq!((due.items, due.from_line), (vec![(10, 5)], 2));
			assert_eq!(TwoPerBlock::line(), vec![(30, 4)]);
			assert_eq!(TwoPerBlock::take(30).items, vec![(30, 4)]);
			assert_eq!(TwoPerBlock::waiting(), 0);
		});
	}

	#[test]
	fn the_line_positions_wrap_around() {
		test(|| {
			Ends::put((u32::MAX, u32::MAX));
			TwoPerBlock::place(1, 5, 0);
			TwoPerBlock::place(2, 5, 0);
			assert_eq!(Ends::get(), (u32::MAX, 1));
			assert_eq!(TwoPerBlock::line(), vec![(5, 1), (5, 2)]);
			assert_eq!(TwoPerBlock::take(5).items, vec![(5, 1), (5, 2)]);
			assert_eq!(Ends::get(), (1, 1));
		});
	}
}
