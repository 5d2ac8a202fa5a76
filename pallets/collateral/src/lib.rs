//! # Collateral
//!
//! Providers bond KILN as collateral; jobs lock part of it while they run; misbehaviour is
//! slashed from it (SPEC §3 `Collateral`). Funds stay in the provider's account on hold under
//! [`HoldReason::ProviderCollateral`]: nothing is moved to a pot.
//!
//! - `bond` / `bond_extra` put free balance on hold.
//! - `unbond` moves part of the active bond into an unlocking chunk that `withdraw_unbonded`
//!   releases after `unbonding_period` blocks. It refuses to go below what jobs have locked or
//!   below the provider minimum that [`CollateralHooks::minimum_bond`] reports.
//! - `slash` is not a call: other pallets slash through [`kiln_primitives::Collateral`]. The
//!   slashed funds go `slash_reward_share` to the reporter and the rest to the Treasury.
//!
//! Layout: `types.rs` (ledger, config), `dispatchables.rs` (the calls' logic),
//! `collateral_impl.rs` (the trait other pallets use, slashing), `asset.rs` (every currency
//! operation), `invariants.rs` (`try_state`).

//!
//! # Reference
//!
//! The pallet's reference (calls, errors, events, parameters, costs) is its `README.md`,
//! included below.
#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

mod asset;
mod collateral_impl;
mod dispatchables;
mod invariants;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;

pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use kiln_primitives::{CollateralHooks, SlashReason};

	/// Version 0: the layout since the first release (no migration yet).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency collateral is held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Changes the configuration: Root or a Council supermajority.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Receives what slashes do not pay to reporters.
		type TreasuryAccount: Get<Self::AccountId>;

		/// The user of the bonds: the provider registry.
		type Hooks: CollateralHooks<Self::AccountId, BalanceOf<Self>>;

		/// The configuration before genesis or governance set one.
		type DefaultConfig: Get<ConfigRecordOf<Self>>;

		/// Unlocking chunks one account may have at a time.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;

		type WeightInfo: WeightInfo;
	}

	/// A reason for placing a hold on funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's bonded collateral (active and unlocking).
		#[codec(index = 0)]
		ProviderCollateral,
	}

	#[pallet::type_value]
	pub fn DefaultConfiguration<T: Config>() -> ConfigRecordOf<T> {
		T::DefaultConfig::get()
	}

	/// The pallet's parameters; changed only by `AdminOrigin` through `configure`.
	#[pallet::storage]
	pub type Configuration<T: Config> =
		StorageValue<_, ConfigRecordOf<T>, ValueQuery, DefaultConfiguration<T>>;

	/// Each bonded account's collateral.
	#[pallet::storage]
	pub type Ledgers<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, LedgerOf<T>, OptionQuery>;

	/// Sum over all ledgers of active and unlocking collateral: what is on hold.
	#[pallet::storage]
	pub type TotalBonded<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// Everything slashed since this counter was added, for any reason (it only grows,
	/// saturating): what `market_stats` reports.
	#[pallet::storage]
	pub type TotalSlashed<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Overrides `DefaultConfig`.
		pub config: Option<ConfigRecordOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(config) = &self.config {
				assert!(config.validate().is_ok(), "invalid collateral genesis configuration");
				Configuration::<T>::put(config);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` bonded `amount` (first bond or extra).
		Bonded { who: T::AccountId, amount: BalanceOf<T> },
		/// `amount` starts unbonding and can be withdrawn at `unlock_at`.
		Unbonded { who: T::AccountId, amount: BalanceOf<T>, unlock_at: BlockNumberFor<T> },
		/// Unbonded collateral went back to the free balance.
		Withdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// `amount` was taken from `who`'s collateral.
		Slashed { who: T::AccountId, amount: BalanceOf<T>, reason: SlashReason },
		/// A slash asked for more than `who` had bonded; all of it was slashed.
		SlashExceededBond { who: T::AccountId, requested: BalanceOf<T>, slashed: BalanceOf<T> },
		/// The configuration changed.
		ConfigurationSet { config: ConfigRecordOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The amount is zero.
		ZeroAmount,
		/// This account has bonded already; use `bond_extra`.
		AlreadyBonded,
		/// This account has no bond.
		NotBonded,
		/// A first bond must be at least `min_bond`.
		BondTooSmall,
		/// Not enough free balance (the existential deposit stays free).
		InsufficientBalance,
		/// More than the active bond.
		UnbondExceedsBond,
		/// Jobs in flight lock collateral that cannot be unbonded until they end.
		WouldUnbondLockedCollateral,
		/// A registered provider must keep `min_bond_per_gpu × max(gpus, 1)` bonded; deregister
		/// first.
		BelowProviderMinimum,
		/// What stays bonded would be under `min_bond`; unbond all of it or less.
		BelowMinimumBond,
		/// Too many unlocking chunks: withdraw the unlocked ones or wait.
		TooManyUnlockingChunks,
		/// No unlocking chunk has reached its unlock block yet.
		NothingToWithdraw,
		/// Not enough collateral is free to lock for this job.
		InsufficientFreeCollateral,
		/// The configuration is refused at `field` (see `ConfigField`).
		InvalidConfiguration { field: ConfigField },
		/// An arithmetic overflow.
		Overflow,
		/// The account has work whose verdict may still slash it (jobs in flight, an open
		/// hardware challenge): withdraw once it has ended (finding 9 of issue 11).
		WorkInFlight,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		fn integrity_test() {
			assert!(T::MaxUnlockingChunks::get() > 0, "MaxUnlockingChunks must be positive");
			assert!(T::DefaultConfig::get().validate().is_ok(), "DefaultConfig is invalid");
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Bonds `amount` (at least `min_bond`) of the caller's free balance as collateral.
		#[pallet::call_index(0)]
		pub fn bond(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond(&who, amount)
		}

		/// Adds `amount` to an existing bond.
		#[pallet::call_index(1)]
		pub fn bond_extra(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond_extra(&who, amount)
		}

		/// Starts unbonding `amount`; `withdraw_unbonded` frees it after `unbonding_period`.
		#[pallet::call_index(2)]
		pub fn unbond(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(&who, amount)
		}

		/// Frees every unlocking chunk whose unbonding period is over. Charged for the most
		/// chunks an account can have; the unused part is refunded. The benchmark runs in the
		/// runtime, so the weight includes the hooks' reads (`has_work_in_flight`).
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::withdraw_unbonded(T::MaxUnlockingChunks::get()))]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let chunks = Self::do_withdraw_unbonded(&who)?;
			Ok(Some(<T as Config>::WeightInfo::withdraw_unbonded(chunks)).into())
		}

		/// Sets the configuration (`AdminOrigin` only).
		#[pallet::call_index(4)]
		pub fn configure(origin: OriginFor<T>, config: ConfigRecordOf<T>) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_configure(config)
		}
	}
}
