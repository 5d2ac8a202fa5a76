//! The collateral ledger and the pallet's configuration.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::fungible::Inspect, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{CheckedAdd, Saturating, Zero},
	Perbill,
};

pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
pub type ConfigRecordOf<T> = ConfigRecord<BalanceOf<T>, BlockNumberFor<T>>;
pub type LedgerOf<T> = Ledger<T>;

/// The collateral pallet's parameters (governance sets them through `configure`).
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ConfigRecord<Balance, BlockNumber> {
	/// Smallest first bond, and smallest bond that may remain after `unbond`.
	pub min_bond: Balance,
	/// Blocks between `unbond` and `withdraw_unbonded`.
	pub unbonding_period: BlockNumber,
	/// Share of each slash paid to whoever reported or verified the fault; the Treasury gets
	/// the rest.
	pub slash_reward_share: Perbill,
}

/// The field of a [`ConfigRecord`] that `configure` refused (`Error::InvalidConfiguration`).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	frame_support::PalletError,
)]
pub enum ConfigField {
	/// Not zero: a bond must be positive.
	MinBond,
	/// At least one block.
	UnbondingPeriod,
	/// At most 50 %: a provider whose own (colluding) account reports its fault must still
	/// lose more than it gets back.
	SlashRewardShare,
}

impl<Balance: Zero, BlockNumber: Zero> ConfigRecord<Balance, BlockNumber> {
	/// The first field that breaks the pallet, if any.
	pub fn validate(&self) -> Result<(), ConfigField> {
		if self.min_bond.is_zero() {
			return Err(ConfigField::MinBond);
		}
		if self.unbonding_period.is_zero() {
			return Err(ConfigField::UnbondingPeriod);
		}
		if self.slash_reward_share > Perbill::from_percent(50) {
			return Err(ConfigField::SlashRewardShare);
		}
		Ok(())
	}
}

/// Collateral on its way out: free to withdraw from block `unlock_at`.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct UnlockChunk<Balance, BlockNumber> {
	pub value: Balance,
	pub unlock_at: BlockNumber,
}

/// One account's collateral. All of `active` and of `unlocking` is on hold under
/// `HoldReason::ProviderCollateral`; `locked` is the part of `active` that jobs in flight use.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Ledger<T: Config> {
	pub active: BalanceOf<T>,
	pub locked: BalanceOf<T>,
	pub unlocking: BoundedVec<UnlockChunk<BalanceOf<T>, BlockNumberFor<T>>, T::MaxUnlockingChunks>,
}

impl<T: Config> Ledger<T> {
	pub fn new(active: BalanceOf<T>) -> Self {
		Self { active, locked: Zero::zero(), unlocking: Default::default() }
	}

	/// Active plus unlocking: what this ledger holds.
	pub fn total(&self) -> Option<BalanceOf<T>> {
		self.unlocking.iter().try_fold(self.active, |sum, c| sum.checked_add(&c.value))
	}

	/// Active collateral not locked by jobs.
	pub fn free(&self) -> BalanceOf<T> {
		self.active.saturating_sub(self.locked)
	}

	pub fn is_empty(&self) -> bool {
		self.active.is_zero() && self.unlocking.is_empty()
	}
}
