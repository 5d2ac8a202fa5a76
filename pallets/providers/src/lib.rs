//! # Providers
//!
//! The registry of GPU providers (SPEC §3 `Providers`): each provider's hardware profile,
//! endpoint, status and reputation.
//!
//! - `register(profile, endpoint)` needs an active collateral bond of at least
//!   `min_bond_per_gpu × max(gpus, 1)` (a CPU-only machine, which lists no GPUs, bonds like a
//!   one-GPU machine) and holds a storage deposit (`deposit_base` plus `deposit_per_byte` for
//!   the profile and endpoint).
//! - `update_profile`, `pause`, `resume`, `deregister` (refused while jobs are in flight;
//!   returns the deposit).
//! - Reputation counters and the score `(passed + completed + 1) / (all + 2)`.
//! - A provider whose bond falls under its minimum after a slash is paused automatically
//!   (status `Underbonded`) and can `resume` once it has bonded enough again.
//!
//! Other pallets use the registry through [`kiln_primitives::ProviderRegistry`]; the
//! collateral pallet asks it for each account's minimum bond through
//! [`kiln_primitives::CollateralHooks`].
//!
//! Layout: `types.rs`, `dispatchables.rs` (the calls' logic), `registry_impl.rs` (the traits),
//! `asset.rs` (the deposit), `invariants.rs` (`try_state`).

//!
//! # Reference
//!
//! The pallet's reference (calls, errors, events, parameters, costs) is its `README.md`,
//! included below.
#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod asset;
mod dispatchables;
mod index;
mod invariants;
pub mod migrations;
mod registry_impl;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_property;

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
	use kiln_primitives::{Collateral, Endpoint, HardwareProfile, Reputation};

	/// Version 1: the dense provider index (`ProviderAt`, `ProviderIndex`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency registration deposits are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Provider collateral: how much each account has bonded.
		type Collateral: Collateral<Self::AccountId, Balance = BalanceOf<Self>>;

		/// Changes the configuration: Root or a Council supermajority.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The configuration before genesis or governance set one.
		type DefaultConfig: Get<ConfigRecordOf<Self>>;

		type WeightInfo: WeightInfo;
	}

	/// A reason for placing a hold on funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The storage deposit for a provider's record.
		#[codec(index = 0)]
		ProviderDeposit,
	}

	#[pallet::type_value]
	pub fn DefaultConfiguration<T: Config>() -> ConfigRecordOf<T> {
		T::DefaultConfig::get()
	}

	/// The pallet's parameters; changed only by `AdminOrigin` through `configure`.
	#[pallet::storage]
	pub type Configuration<T: Config> =
		StorageValue<_, ConfigRecordOf<T>, ValueQuery, DefaultConfiguration<T>>;

	/// Every registered provider.
	#[pallet::storage]
	pub type Providers<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, ProviderRecordOf<T>, OptionQuery>;

	/// The reputation of each account that deregistered, given back when it registers again
	/// (finding 9 of issue 11: deregistering reset a bad reputation to a newcomer's). Outcomes
	/// that land after it left (a late slash) still count. The chain keeps it, not the
	/// account: one small record per account that ever left.
	#[pallet::storage]
	pub type RetiredReputation<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Reputation, OptionQuery>;

	/// The provider at each position `0 .. Providers::count()` (dense: `index.rs`).
	#[pallet::storage]
	pub type ProviderAt<T: Config> = StorageMap<_, Twox64Concat, u32, T::AccountId, OptionQuery>;

	/// Each provider's position in `ProviderAt`.
	#[pallet::storage]
	pub type ProviderIndex<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

	/// How many providers are `Active`.
	#[pallet::storage]
	pub type ActiveProviders<T: Config> = StorageValue<_, u32, ValueQuery>;

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
				assert!(config.validate().is_ok(), "invalid providers genesis configuration");
				Configuration::<T>::put(config);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider joined with `gpus` GPUs and holds `deposit` for its record.
		Registered { provider: T::AccountId, gpus: u32, deposit: BalanceOf<T> },
		/// A provider changed its profile or endpoint.
		ProfileUpdated { provider: T::AccountId, gpus: u32 },
		/// A provider stopped taking jobs.
		Paused { provider: T::AccountId, reason: PauseReason },
		/// A paused provider takes jobs again.
		Resumed { provider: T::AccountId },
		/// A provider left; its deposit was returned.
		Deregistered { provider: T::AccountId },
		/// The configuration changed.
		ConfigurationSet { config: ConfigRecordOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// This account is registered already; use `update_profile`.
		AlreadyRegistered,
		/// This account is not a registered provider.
		NotRegistered,
		/// A CUDA profile lists no GPU, or a GPU kind has count 0 (a CPU-only profile may list
		/// none).
		NoGpus,
		/// More GPUs than `max_gpus`.
		TooManyGpus,
		/// A GPU model name is empty or not UTF-8.
		InvalidGpuModel,
		/// The region is not an ISO 3166 alpha-2 code (two upper-case letters).
		InvalidRegion,
		/// The profile offers neither the CUDA nor the CPU backend.
		NoBackend,
		/// The endpoint is not an `http://` or `https://` URL.
		InvalidEndpoint,
		/// The active collateral bond is under `min_bond_per_gpu × max(gpus, 1)`; bond more
		/// first.
		InsufficientBond,
		/// Not enough free balance for the storage deposit.
		InsufficientBalanceForDeposit,
		/// The provider is paused already.
		AlreadyPaused,
		/// The provider is active already.
		NotPaused,
		/// Jobs are in flight; deregister when they have ended.
		JobsInFlight,
		/// The configuration is refused at `field` (see `ConfigField`).
		InvalidConfiguration { field: ConfigField },
		/// An arithmetic overflow.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		fn integrity_test() {
			assert!(T::DefaultConfig::get().validate().is_ok(), "DefaultConfig is invalid");
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as a provider of `profile`, reachable at `endpoint`.
		#[pallet::call_index(0)]
		pub fn register(
			origin: OriginFor<T>,
			profile: HardwareProfile,
			endpoint: Endpoint,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(&who, profile, endpoint)
		}

		/// Replaces the caller's profile and endpoint; the deposit follows their size.
		#[pallet::call_index(1)]
		pub fn update_profile(
			origin: OriginFor<T>,
			profile: HardwareProfile,
			endpoint: Endpoint,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_profile(&who, profile, endpoint)
		}

		/// Stops taking new jobs (jobs in flight continue).
		#[pallet::call_index(2)]
		pub fn pause(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_pause(&who)
		}

		/// Takes jobs again; needs the minimum bond.
		#[pallet::call_index(3)]
		pub fn resume(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_resume(&who)
		}

		/// Leaves the registry and gets the deposit back; refused while jobs are in flight.
		///
		/// The benchmark deregisters the last provider in the index; moving another into the
		/// freed position (one read, two writes) is charged on top.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::deregister().saturating_add(T::DbWeight::get().reads_writes(1, 2)))]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deregister(&who)
		}

		/// Sets the configuration (`AdminOrigin` only).
		#[pallet::call_index(5)]
		pub fn configure(origin: OriginFor<T>, config: ConfigRecordOf<T>) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_configure(config)
		}
	}
}
