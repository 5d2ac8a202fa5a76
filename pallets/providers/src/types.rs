//! A provider's record and the pallet's configuration.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::fungible::Inspect, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{Endpoint, HardwareProfile, Reputation};
use scale_info::TypeInfo;
use sp_runtime::traits::Zero;

pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
pub type ConfigRecordOf<T> = ConfigRecord<BalanceOf<T>>;
pub type ProviderRecordOf<T> = ProviderRecord<T>;

/// Most GPUs `max_gpus` may allow in one registration.
pub const MAX_GPUS_LIMIT: u32 = 1_024;

/// The providers pallet's parameters (governance sets them through `configure`).
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
pub struct ConfigRecord<Balance> {
	/// Collateral a provider must keep bonded per registered GPU.
	pub min_bond_per_gpu: Balance,
	/// Storage deposit per provider record.
	pub deposit_base: Balance,
	/// Storage deposit per byte of profile and endpoint.
	pub deposit_per_byte: Balance,
	/// Most GPUs one registration may list (at most [`MAX_GPUS_LIMIT`]).
	pub max_gpus: u32,
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
	/// Not zero: registering must put collateral at stake.
	MinBondPerGpu,
	/// Not zero: every provider record is paid for.
	DepositBase,
	/// 1 to [`MAX_GPUS_LIMIT`].
	MaxGpus,
}

impl<Balance: Zero> ConfigRecord<Balance> {
	/// The first field that breaks the registry, if any.
	pub fn validate(&self) -> Result<(), ConfigField> {
		if self.min_bond_per_gpu.is_zero() {
			return Err(ConfigField::MinBondPerGpu);
		}
		if self.deposit_base.is_zero() {
			return Err(ConfigField::DepositBase);
		}
		if self.max_gpus == 0 || self.max_gpus > MAX_GPUS_LIMIT {
			return Err(ConfigField::MaxGpus);
		}
		Ok(())
	}
}

/// Whether a provider takes new jobs.
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
)]
pub enum ProviderStatus {
	Active,
	/// Paused by the provider.
	Paused,
	/// Paused by the chain: a slash left the bond under the provider's minimum.
	Underbonded,
}

/// Why a provider was paused.
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
)]
pub enum PauseReason {
	ByProvider,
	Underbonded,
}

/// A registered provider.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct ProviderRecord<T: Config> {
	pub profile: HardwareProfile,
	pub endpoint: Endpoint,
	pub status: ProviderStatus,
	/// Held under `HoldReason::ProviderDeposit`; returned on `deregister`.
	pub deposit: BalanceOf<T>,
	pub registered_at: BlockNumberFor<T>,
	pub reputation: Reputation,
	/// Jobs awarded and not yet completed or failed.
	pub jobs_in_flight: u32,
}
