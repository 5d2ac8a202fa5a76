//! The KILN token's units (SPEC §2).

/// Plancks per KILN: 12 decimals.
pub const KILN: u128 = 1_000_000_000_000;
pub const MILLI_KILN: u128 = KILN / 1_000;
pub const MICRO_KILN: u128 = MILLI_KILN / 1_000;
/// 0.001 KILN.
pub const EXISTENTIAL_DEPOSIT: u128 = MILLI_KILN;
pub const TOKEN_SYMBOL: &str = "KILN";
pub const TOKEN_DECIMALS: u8 = 12;
pub const SS58_PREFIX: u16 = 42;

/// Parses a decimal KILN amount ("2", "0.5", "1_000") into plancks; `None` if it is not a
/// number, has more than 12 decimals or overflows.
pub fn parse_kiln(text: &str) -> Option<u128> {
	let text = text.trim();
	let (whole, frac) = match text.split_once('.') {
		Some((w, f)) => (w, f),
		None => (text, ""),
	};
	if whole.is_empty() && frac.is_empty() {
		return None;
	}
	let whole = if whole.is_empty() { 0 } else { digits(whole)? };
	if frac.len() > TOKEN_DECIMALS as usize {
		return None;
	}
	let frac_value = if frac.is_empty() { 0 } else { digits(frac)? };
	let scale = 10u128.checked_pow(TOKEN_DECIMALS as u32 - frac.len() as u32)?;
	whole.checked_mul(KILN)?.checked_add(frac_value.checked_mul(scale)?)
}

/// Decimal digits with `_` allowed as a separator (not first or last).
fn digits(s: &str) -> Option<u128> {
	if s.is_empty() || s.starts_with('_') || s.ends_with('_') {
		return None;
	}
	let mut value: u128 = 0;
	for c in s.chars().filter(|c| *c != '_') {
		value = value.checked_mul(10)?.checked_add(c.to_digit(10)? as u128)?;
	}
	Some(value)
}

/// `fixed + price × percent / 100`, the market's rule for job collateral and verification
/// budgets (the runtime and the worker both compute it here, so they agree to the planck);
/// `None` on overflow. The percent is split into whole multiples of the price and a remainder
/// (`Perbill`, rounded to the nearest planck, a tie down), so prices near the maximum do not overflow.
pub fn fixed_plus_percent<Balance>(fixed: Balance, percent: u32, price: Balance) -> Option<Balance>
where
	Balance: sp_runtime::traits::AtLeast32BitUnsigned + Copy,
{
	let whole = price.checked_mul(&Balance::from(percent / 100))?;
	let part = sp_runtime::Perbill::from_percent(percent % 100) * price;
	fixed.checked_add(&whole.checked_add(&part)?)
}

/// Writes plancks as a KILN amount without trailing zeros ("1.5 KILN").
pub struct DisplayKiln(pub u128);

impl core::fmt::Display for DisplayKiln {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		let (whole, frac) = (self.0 / KILN, self.0 % KILN);
		if frac == 0 {
			return write!(f, "{whole} {TOKEN_SYMBOL}");
		}
		// Up to 12 digits, trailing zeros removed.
		let mut digits = [b'0'; TOKEN_DECIMALS as usize];
		let mut rest = frac;
		for slot in digits.iter_mut().rev() {
			*slot = b'0' + (rest % 10) as u8;
			rest /= 10;
		}
		let len = digits.iter().rposition(|d| *d != b'0').map_or(0, |i| i + 1);
		let frac = core::str::from_utf8(&digits[..len]).map_err(|_| core::fmt::Error)?;
		write!(f, "{whole}.{frac} {TOKEN_SYMBOL}")
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn display_trims_zeros() {
		assert_eq!(DisplayKiln(0).to_string(), "0 KILN");
		assert_eq!(DisplayKiln(MILLI_KILN).to_string(), "0.001 KILN");
		assert_eq!(DisplayKiln(1_500_000_000_000).to_string(), "1.5 KILN");
		assert_eq!(DisplayKiln(1).to_string(), "0.000000000001 KILN");
	}

	#[test]
	fn fixed_plus_percent_scales_with_the_price() {
		assert_eq!(fixed_plus_percent(10u128, 150, 1_000), Some(1_510));
		assert_eq!(fixed_plus_percent(0u128, 0, 1_000), Some(0));
		assert_eq!(fixed_plus_percent(0u128, 33, 10), Some(3), "3.3 rounds to 3");
		assert_eq!(fixed_plus_percent(0u128, 35, 10), Some(3), "a tie rounds down");
		assert_eq!(fixed_plus_percent(0u128, 36, 10), Some(4), "3.6 rounds to 4");
		assert_eq!(fixed_plus_percent(1u128, 100, u128::MAX), None);
	}

	#[test]
	fn parse_round_trips_and_rejects_junk() {
		assert_eq!(parse_kiln("2"), Some(2 * KILN));
		assert_eq!(parse_kiln("0.5"), Some(KILN / 2));
		assert_eq!(parse_kiln(".25"), Some(KILN / 4));
		assert_eq!(parse_kiln("1_000"), Some(1_000 * KILN));
		assert_eq!(parse_kiln("0.000000000001"), Some(1));
		for bad in ["", ".", "abc", "1.2.3", "-1", "0.0000000000001", "_1", "1e3"] {
			assert_eq!(parse_kiln(bad), None, "{bad:?}");
		}
		assert_eq!(parse_kiln("999999999999999999999999999999"), None);
	}
}
