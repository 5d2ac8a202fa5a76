//! Counting a load from the blocks that included it (never from what was submitted): each
//! block's record says how many of the load's transactions it holds, how many of those
//! dispatched successfully, and the normal-class weight the block used.

use serde::{Deserialize, Serialize};

/// What one block held of the load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRecord {
	pub number: u64,
	/// `Timestamp::Now` (ms).
	pub timestamp_ms: u64,
	/// Every extrinsic of the block (inherents included).
	pub extrinsics: u32,
	/// The load's transactions in the block.
	pub ours: u32,
	/// Of those, the ones that dispatched successfully (`System.ExtrinsicSuccess`).
	pub succeeded: u32,
	/// Events the load's transactions exist to cause (`Balances.Transfer`, `Market.BidPlaced`)
	/// emitted by them: a bid refused inside a successful dispatch does not count.
	pub effects: u32,
	/// Normal-class weight the block used, ref time in picoseconds (`System::BlockWeight`).
	pub normal_weight: u64,
	/// The most normal-class weight a block may use.
	pub normal_max: u64,
	/// Weight of every class the block used (hooks and inherents included), ref time in ps:
	/// what executing the block is charged.
	pub total_weight: u64,
}

/// The load as the blocks saw it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
	pub submitted: u64,
	pub included: u64,
	pub succeeded: u64,
	/// The events the load exists to cause ([`BlockRecord::effects`]).
	pub effects: u64,
	/// Included but failed in dispatch.
	pub failed: u64,
	/// Submitted but in no block that was looked at (refused by the pool, or dropped).
	pub not_included: u64,
	/// Blocks from the first that held any of the load to the last.
	pub blocks: u32,
	/// From the timestamp of the block before the first to that of the last (s).
	pub span_s: f64,
	/// Included transactions per second over `span_s`.
	pub tx_per_s: f64,
	/// The load's transactions in each of those blocks.
	pub per_block: Vec<u32>,
	pub peak_per_block: u32,
	/// Normal-class weight each of those blocks used, in % of the class maximum.
	pub weight_percent: Vec<f64>,
}

/// Sums up `records` (blocks in order, from before the load started) for a load of
/// `submitted` transactions; `slot_ms` stands in for the missing timestamp when the first block
/// of the load is the first record.
pub fn summarize(submitted: u64, records: &[BlockRecord], slot_ms: u64) -> Summary {
	let first = records.iter().position(|r| r.ours > 0);
	let last = records.iter().rposition(|r| r.ours > 0);
	let (Some(first), Some(last)) = (first, last) else {
		return Summary {
			submitted,
			included: 0,
			succeeded: 0,
			effects: 0,
			failed: 0,
			not_included: submitted,
			blocks: 0,
			span_s: 0.0,
			tx_per_s: 0.0,
			per_block: Vec::new(),
			peak_per_block: 0,
			weight_percent: Vec::new(),
		};
	};
	let window = &records[first..=last];
	let included: u64 = window.iter().map(|r| u64::from(r.ours)).sum();
	let succeeded: u64 = window.iter().map(|r| u64::from(r.succeeded)).sum();
	let effects: u64 = window.iter().map(|r| u64::from(r.effects)).sum();
	let start_ms = match first.checked_sub(1) {
		Some(before) => records[before].timestamp_ms,
		None => records[first].timestamp_ms.saturating_sub(slot_ms),
	};
	let span_s = records[last].timestamp_ms.saturating_sub(start_ms) as f64 / 1e3;
	let per_block: Vec<u32> = window.iter().map(|r| r.ours).collect();
	Summary {
		submitted,
		included,
		succeeded,
		effects,
		failed: included - succeeded.min(included),
		not_included: submitted.saturating_sub(included),
		blocks: window.len() as u32,
		span_s,
		tx_per_s: if span_s > 0.0 { included as f64 / span_s } else { 0.0 },
		peak_per_block: per_block.iter().copied().max().unwrap_or(0),
		per_block,
		weight_percent: window
			.iter()
			.map(|r| 100.0 * r.normal_weight as f64 / r.normal_max.max(1) as f64)
			.collect(),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Blocks recorded from a dev node during a transfer load (the figures of a real run,
	/// rounded): an empty block before, three with the load, one empty after.
	fn recorded() -> Vec<BlockRecord> {
		let block = |number, ours, succeeded, weight| BlockRecord {
			number,
			timestamp_ms: 1_764_400_000_000 + 6_000 * number,
			extrinsics: ours + 2,
			ours,
			succeeded,
			effects: succeeded,
			normal_weight: weight,
			normal_max: 1_500_000_000_000,
			total_weight: weight + 431_614_000,
		};
		vec![
			block(10, 0, 0, 0),
			block(11, 2_000, 2_000, 1_250_000_000_000),
			block(12, 2_396, 2_396, 1_498_000_000_000),
			block(13, 604, 600, 377_000_000_000),
			block(14, 0, 0, 0),
		]
	}

	#[test]
	fn a_load_is_counted_from_the_blocks_that_included_it() {
		let summary = summarize(5_100, &recorded(), 6_000);
		assert_eq!(summary.included, 5_000);
		assert_eq!(summary.succeeded, 4_996);
		assert_eq!(summary.effects, 4_996);
		assert_eq!(summary.failed, 4);
		assert_eq!(summary.not_included, 100);
		assert_eq!(summary.per_block, vec![2_000, 2_396, 604]);
		assert_eq!(summary.peak_per_block, 2_396);
		assert_eq!(summary.blocks, 3);
		// From block 10's timestamp to block 13's: three slots.
		assert_eq!(summary.span_s, 18.0);
		assert!((summary.tx_per_s - 5_000.0 / 18.0).abs() < 1e-9);
		assert!((summary.weight_percent[1] - 99.866_666).abs() < 1e-3);
	}

	#[test]
	fn an_empty_block_inside_the_load_counts_and_the_first_record_borrows_a_slot() {
		let mut records = recorded();
		records[2].ours = 0;
		records[2].succeeded = 0;
		let summary = summarize(2_604, &records[1..], 6_000);
		assert_eq!(summary.per_block, vec![2_000, 0, 604]);
		assert_eq!(summary.included, 2_604);
		assert_eq!(summary.span_s, 18.0);
	}

	#[test]
	fn a_load_no_block_included_is_zero_not_a_division_by_zero() {
		let mut records = recorded();
		for r in &mut records {
			r.ours = 0;
			r.succeeded = 0;
			r.effects = 0;
		}
		let summary = summarize(42, &records, 6_000);
		assert_eq!((summary.included, summary.not_included, summary.blocks), (0, 42, 0));
		assert_eq!(summary.tx_per_s, 0.0);
	}
}
