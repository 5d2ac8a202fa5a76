//! Unbiased random draws from 32 bytes of randomness: a yes/no with a `Perbill` chance and an
//! index below a bound. Every draw of the chain (spot-checks, challenges, verifier picks)
//! goes through these, so a configured 25 % is 25 %, not the 29.1 % that `u32 % 10⁹` gives.
//!
//! Both map the first 8 bytes, read as a `u64` x, to `⌊x · n / 2⁶⁴⌋`, which takes every value
//! below `n` for either ⌊2⁶⁴/n⌋ or ⌈2⁶⁴/n⌉ of the 2⁶⁴ inputs: a relative bias below
//! `n / 2⁶⁴` (5·10⁻¹¹ for a `Perbill`), where a modulo of a `u32` is off by up to 23 %.

use sp_runtime::Perbill;

fn word(random: &[u8; 32]) -> u64 {
	let mut bytes = [0u8; 8];
	bytes.copy_from_slice(&random[..8]);
	u64::from_le_bytes(bytes)
}

/// `⌊x · n / 2⁶⁴⌋` for the first word x of `random`: uniform in `0..n` (0 when `n` is 0).
pub fn index_below(random: &[u8; 32], n: u64) -> u64 {
	((u128::from(word(random)) * u128::from(n)) >> 64) as u64
}

/// True with probability `chance` (exactly `⌈chance · 2⁶⁴ / 10⁹⌉ / 2⁶⁴`).
pub fn happens(random: &[u8; 32], chance: Perbill) -> bool {
	index_below(random, 1_000_000_000) < u64::from(chance.deconstruct())
}

#[cfg(test)]
mod tests {
	use super::*;

	use sp_runtime::traits::{BlakeTwo256, Hash};

	fn hash(bytes: &[u8]) -> [u8; 32] {
		BlakeTwo256::hash(bytes).0
	}

	fn with_word(x: u64) -> [u8; 32] {
		let mut random = [0u8; 32];
		random[..8].copy_from_slice(&x.to_le_bytes());
		random
	}

	#[test]
	fn a_quarter_is_exactly_a_quarter_of_the_inputs() {
		// ⌊x · 10⁹ / 2⁶⁴⌋ < 2.5·10⁸ ⇔ x < 2⁶²: exactly one input in four.
		let quarter = Perbill::from_percent(25);
		assert!(happens(&with_word((1 << 62) - 1), quarter));
		assert!(!happens(&with_word(1 << 62), quarter));
		assert!(!happens(&with_word(0), Perbill::zero()));
		assert!(!happens(&with_word(u64::MAX), Perbill::zero()));
		assert!(happens(&with_word(u64::MAX), Perbill::one()));
	}

	#[test]
	fn the_old_modulo_draw_was_biased_and_this_one_is_not() {
		// What `u32 % 10⁹ < 25 %` gave: 1.25·10⁹ of the 2³² words, 29.1 %.
		let old_hits: u64 = 4 * 250_000_000 + 250_000_000;
		let old_rate = old_hits as f64 / 4_294_967_296.0;
		assert!((old_rate - 0.291).abs() < 0.001, "{old_rate}");
		// The new draw over 200 000 hashed inputs: within 0.5 % of 25 %.
		let hits = (0u32..200_000)
			.filter(|i| {
				let random = hash(&i.to_le_bytes());
				happens(&random, Perbill::from_percent(25))
			})
			.count();
		let rate = hits as f64 / 200_000.0;
		assert!((rate - 0.25).abs() < 0.005, "{rate}");
	}

	#[test]
	fn indices_are_uniform_and_in_range() {
		assert_eq!(index_below(&with_word(u64::MAX), 7), 6);
		assert_eq!(index_below(&with_word(0), 7), 0);
		assert_eq!(index_below(&with_word(12345), 0), 0);
		let mut counts = [0u32; 7];
		for i in 0u32..70_000 {
			let random = hash(&i.to_le_bytes());
			counts[index_below(&random, 7) as usize] += 1;
		}
		// Each of the 7 within 5 % of 10 000.
		assert!(counts.iter().all(|c| c.abs_diff(10_000) < 500), "{counts:?}");
	}
}
