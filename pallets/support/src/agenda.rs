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
//!
//! A search reads each list it passes and writes only the one it puts the item on. Many
//! steps often want the same block (every result revealed in one block wants its sampling
//! opened at the same next draw): [`Agenda::place_hinted`] keeps a *hint*, the last run of
//! blocks a placement found full, and starts past it, so the k-th of such a burst reads one
//! list instead of the k / bound lists the others filled. The hint is only a hint: a block
//! in it whose list lost an item since (`unschedule`) is passed over by hinted placements
//! within the run, which then land later in the search, never earlier; before an item goes
//! to the waiting line every block of its search is read, so a stale hint never sends a
//! step to the line (and so never holds up new work) while a block of the search has room.

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
	/// The last run of blocks a hinted placement found full: (first, one past the last).
	type Hint: StorageValue<(Self::Block, Self::Block), Query = Option<(Self::Block, Self::Block)>>;
}

/// What a block has to handle: `(due block, item)` pairs, and what reading them took.
pub struct Due<B, I> {
	/// The items to handle, with the block each was due at (at most the list bound).
	pub items: Vec<(B, I)>,
	/// How many entries came out of the waiting line (including those put back because they
	/// were not due yet): each costs a read and up to two writes beyond its block list's.
	pub from_line: u32,
}

/// Where [`Agenda::place_hinted`] put an item.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Placed<B> {
	/// The block it is due at (on that block's list, or in the waiting line due at it).
	pub at: B,
	/// What the search did, to charge it by.
	pub search: Searched,
}

/// What a hinted placement's search did: what its caller charges by.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Searched {
	/// How many full lists it read (the blocks the hint let it skip are not read).
	pub passed: u32,
	/// Whether the item waits in line (every block of the search was full).
	pub waits: bool,
	/// Whether it rewrote the hint.
	pub hint_written: bool,
}

impl Searched {
	/// The costliest search: every list of `search` blocks read, the line and the hint written.
	pub const fn worst(search: u32) -> Self {
		Self { passed: search, waits: true, hint_written: true }
	}

	/// The weight of the search's path, from a caller's two benchmarks of its placement:
	/// `room`, room found at once (the hint read, not written), and `past(s)`, `s` ≥ 1 full
	/// lists read (the hint written; at the whole search the item waits in line). On top,
	/// what neither measures: a hint written by a placement that found room at once (it filled
	/// the list), and the waiting line's extra write (it writes the line's entry and its ends
	/// where the others write one list: a write more than the fit over `s` gives there).
	pub fn weight<D: Get<RuntimeDbWeight>>(
		&self,
		room: impl FnOnce() -> Weight,
		past: impl FnOnce(u32) -> Weight,
	) -> Weight {
		if self.passed == 0 {
			room().saturating_add(D::get().writes(u64::from(self.hint_written)))
		} else {
			past(self.passed).saturating_add(D::get().writes(u64::from(self.waits)))
		}
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
		Self::find_room(item, at, search, None).ok().map(|(block, ..)| block)
	}

	/// The first block from `at`, within `search`, with room for `item` (put there), how many
	/// full lists were read before it, and whether its list is full now. Blocks before
	/// `skip_to` are not read; if none of the others has room, the skipped ones are read after
	/// all (the item is handed back, with the lists read, when no block has room).
	fn find_room(
		item: A::Item,
		at: A::Block,
		search: u32,
		skip_to: Option<A::Block>,
	) -> Result<(A::Block, u32, bool), (A::Item, u32)> {
		let skipped = |block: A::Block| skip_to.is_some_and(|to| block < to);
		let mut item = item;
		let mut passed = 0;
		for second in [false, true] {
			if second && skip_to.is_none() {
				break;
			}
			let mut block = at;
			for _ in 0..search {
				// The first pass reads the blocks not skipped, the second the skipped ones.
				if skipped(block) == second {
					let mut list = A::Lists::get(block);
					match list.try_push(item) {
						Ok(()) => {
							let filled = list.len() >= A::Max::get() as usize;
							A::Lists::insert(block, list);
							return Ok((block, passed, filled));
						},
						Err(back) => {
							item = back;
							passed += 1;
						},
					}
				}
				block = block.saturating_add(One::one());
			}
		}
		Err((item, passed))
	}

	/// Like [`Self::schedule`], but never fails, even while others wait: with no room within
	/// `search` blocks the item waits in line, due at `at` (which is then returned; the item
	/// is handled at `at` or at the first block after it with spare room).
	pub fn place(item: A::Item, at: A::Block, search: u32) -> A::Block {
		match Self::find_room(item, at, search, None) {
			Ok((block, ..)) => block,
			Err((item, _)) => {
				Self::wait(at, item);
				at
			},
		}
	}

	/// [`Self::place`] for a burst of placements at one block: starts past the hint (the last
	/// run of blocks found full, when it covers `at`), keeps the hint up to date, and tells
	/// what the search did (what a caller charges by). The item lands on a block with room
	/// within the search, or waits in line only when every block of it is full.
	pub fn place_hinted(item: A::Item, at: A::Block, search: u32) -> Placed<A::Block> {
		let hint = A::Hint::get();
		let run = hint.filter(|(from, to)| *from <= at && at < *to);
		let found = Self::find_room(item, at, search, run.map(|(_, to)| to));
		let last = |n: u32| (0..n).fold(at, |b, _| b.saturating_add(One::one()));
		let waits = found.is_err();
		let (placed, passed, full_from, full_to) = match found {
			Ok((block, passed, filled)) => {
				let end = if filled { block.saturating_add(One::one()) } else { block };
				// Past the run: the run and the lists read after it were full. Before its
				// end (a skipped block had room after all): only the lists read from `at`.
				match run {
					Some((from, to)) if block >= to => (block, passed, from, end),
					_ => (block, passed, at, end),
				}
			},
			Err((item, passed)) => {
				Self::wait(at, item);
				let end = last(search);
				let from = run.map_or(at, |(from, _)| from);
				let to = run.map_or(end, |(_, to)| to.max(end));
				(at, passed, from, to)
			},
		};
		let new = (full_from < full_to).then_some((full_from, full_to));
		let hint_written = new.is_some() && new != hint;
		if hint_written {
			A::Hint::set(new);
		}
		Placed { at: placed, search: Searched { passed, waits, hint_written } }
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
	#[storage_alias]
	type Hint = StorageValue<Test, (u32, u32), OptionQuery>;

	struct TwoPerBlockStorage;
	impl AgendaStorage for TwoPerBlockStorage {
		type Block = u32;
		type Item = u8;
		type Max = ConstU32<2>;
		type Lists = Slots;
		type Line = Line;
		type LineEnds = Ends;
		type Hint = Hint;
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

	fn searched(passed: u32, waits: bool, hint_written: bool) -> Searched {
		Searched { passed, waits, hint_written }
	}

	#[test]
	fn a_placement_counts_the_full_lists_it_read_and_remembers_the_full_run() {
		test(|| {
			// Room at once: nothing read full, no hint.
			assert_eq!(
				TwoPerBlock::place_hinted(1, 10, 3),
				Placed { at: 10, search: searched(0, false, false) }
			);
			assert_eq!(Hint::get(), None);
			// 10 is full now: the hint says so.
			assert_eq!(
				TwoPerBlock::place_hinted(2, 10, 3),
				Placed { at: 10, search: searched(0, false, true) }
			);
			assert_eq!(Hint::get(), Some((10, 11)));
			for item in [3, 4] {
				TwoPerBlock::place(item, 11, 1);
			}
			// The hint skips 10; 11 (filled without the hint) is read full; placed on 12.
			assert_eq!(
				TwoPerBlock::place_hinted(5, 10, 3),
				Placed { at: 12, search: searched(1, false, true) }
			);
			assert_eq!(Hint::get(), Some((10, 12)));
			// Straight to 12, which fills: the run grows.
			assert_eq!(
				TwoPerBlock::place_hinted(6, 11, 3),
				Placed { at: 12, search: searched(0, false, true) }
			);
			assert_eq!(Hint::get(), Some((10, 13)));
			// 10, 11 and 12 full: every block read before the item waits, due at 10.
			assert_eq!(
				TwoPerBlock::place_hinted(7, 10, 3),
				Placed { at: 10, search: searched(3, true, false) }
			);
			assert_eq!(TwoPerBlock::line(), vec![(10, 7)]);
			// Nothing else was written by the reads.
			let written: Vec<Vec<u8>> = (10..14).map(|b| Slots::get(b).into_inner()).collect();
			assert_eq!(written, vec![vec![1, 2], vec![3, 4], vec![5, 6], vec![]]);
		});
	}

	#[test]
	fn a_burst_at_one_block_reads_one_list_each_after_the_first_filled() {
		test(|| {
			let mut read = 0;
			for item in 0..20u8 {
				let placed = TwoPerBlock::place_hinted(item, 100, 10);
				assert_eq!(placed.at, 100 + u32::from(item) / 2, "first block with room");
				read += placed.search.passed;
			}
			// Without the hint the k-th would read k / 2 full lists (90 in all).
			assert_eq!(read, 0);
			assert_eq!(Hint::get(), Some((100, 110)));
			let lists: Vec<usize> = (100..111).map(|b| Slots::get(b).len()).collect();
			assert_eq!(lists, [vec![2; 10], vec![0]].concat());
		});
	}

	#[test]
	fn a_stale_hint_lands_items_later_but_never_sends_them_to_the_line_while_room_is_left() {
		test(|| {
			for item in 0..6u8 {
				TwoPerBlock::place_hinted(item, 10, 3);
			}
			assert_eq!(Hint::get(), Some((10, 13)));
			// 11 gets room again; the hint does not know.
			TwoPerBlock::unschedule(&2, 11);
			// A block past the run has room: the item lands there, later than 11.
			assert_eq!(TwoPerBlock::place_hinted(6, 10, 4).at, 13);
			// No block past the run within the search: the skipped ones are read, and 11's
			// room is found instead of the line.
			let placed = TwoPerBlock::place_hinted(7, 10, 3);
			assert_eq!(placed, Placed { at: 11, search: searched(1, false, true) });
			assert_eq!(TwoPerBlock::waiting(), 0);
			assert_eq!(Hint::get(), Some((10, 12)), "the hint is corrected");
			// Now truly full within three blocks of 10: the line.
			let placed = TwoPerBlock::place_hinted(8, 10, 3);
			assert_eq!(placed.search, searched(3, true, true));
			assert_eq!(Hint::get(), Some((10, 13)));
			assert_eq!(TwoPerBlock::line(), vec![(10, 8)]);
		});
	}

	#[test]
	fn the_hint_skips_only_the_run_that_covers_the_wanted_block() {
		test(|| {
			Hint::put((20, 30));
			// Wanted before the run: read from there, the run's blocks too.
			assert_eq!(TwoPerBlock::place_hinted(1, 15, 10).at, 15);
			// Wanted past it: the hint does not apply.
			assert_eq!(TwoPerBlock::place_hinted(2, 30, 1).at, 30);
			// Inside it: skipped to its end.
			assert_eq!(TwoPerBlock::place_hinted(3, 25, 10).at, 30);
			// Schedule and place ignore the hint.
			assert_eq!(TwoPerBlock::schedule(4, 25, 1), Some(25));
			assert_eq!(TwoPerBlock::place(5, 25, 1), 25);
			assert_eq!(Hint::get(), Some((20, 31)), "30 filled by the hinted placement");
		});
	}

	#[test]
	fn a_search_is_charged_by_the_benchmark_of_its_path_and_what_that_leaves_out() {
		struct Db;
		impl Get<RuntimeDbWeight> for Db {
			fn get() -> RuntimeDbWeight {
				RuntimeDbWeight { read: 1, write: 10 }
			}
		}
		let w = |s: Searched| {
			s.weight::<Db>(
				|| Weight::from_parts(1_000, 0),
				|n| Weight::from_parts(2_000 + u64::from(n), 0),
			)
			.ref_time()
		};
		assert_eq!(w(searched(0, false, false)), 1_000, "room at once");
		assert_eq!(w(searched(0, false, true)), 1_010, "room at once, the list filled");
		assert_eq!(w(searched(4, false, true)), 2_004, "past four, the hint in the fit");
		assert_eq!(w(searched(4, false, false)), 2_004);
		assert_eq!(w(searched(10, true, true)), 2_020, "the waiting line's extra write");
		assert_eq!(w(Searched::worst(10)), 2_020);
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
