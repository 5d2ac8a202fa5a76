//! # Governance
//!
//! What a council-run solochain needs and the Polkadot SDK does not ship as a pallet:
//!
//! - **The validator set** (`validators.rs`): `add_validator` and `remove_validator`, by
//!   `ValidatorOrigin` (Root or a 2/3 Council motion in the runtime). The set is handed to
//!   `pallet-session` as its `SessionManager` (through `pallet_session::historical`, so that
//!   equivocation proofs can name the offender); a change made during session `i` is queued
//!   at the start of session `i + 1` and authors from session `i + 2` (BABE announces each
//!   epoch's authorities one epoch ahead).
//! - **Offenders** (`offences.rs`): `pallet-offences` hands every proven offence (a BABE or
//!   GRANDPA equivocation) to this pallet, which disables the offender at once (through the
//!   session's disabling strategy) and removes it from the set, so that it leaves at the
//!   next change of session.
//! - **Runtime upgrades**: `authorize_upgrade(code_hash)` by `UpgradeOrigin` authorizes a
//!   code hash, as `frame_system::authorize_upgrade` does for Root; anyone then supplies the
//!   code with `system.apply_authorized_upgrade`, which checks the spec name and a higher
//!   `spec_version`. A motion carries 32 bytes, not the runtime.
//!
//! # Reference
//!
//! The pallet's reference (calls, errors, events, parameters, costs) is its `README.md`,
//! included below.
#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod invariants;
mod offences;
mod validators;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use validators::Identified;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_staking::SessionIndex;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config
		+ pallet_session::Config<ValidatorId = <Self as frame_system::Config>::AccountId>
		+ pallet_session::historical::Config<FullIdentification = ()>
	{
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// Adds and removes validators: Root or a Council supermajority.
		type ValidatorOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Authorizes a runtime upgrade: Root or a Council supermajority.
		type UpgradeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The largest validator set (BABE's and GRANDPA's `MaxAuthorities` or less).
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// The set never shrinks below this, by motion or by offences (at least 1).
		#[pallet::constant]
		type MinValidators: Get<u32>;

		/// How many past sessions keep their historical root: an equivocation older than this
		/// can no longer be proven.
		#[pallet::constant]
		type HistoryDepth: Get<SessionIndex>;

		type WeightInfo: WeightInfo;
	}

	/// The validators the next planned session takes (those with session keys). Empty until
	/// the first change: the set is then the session's genesis validators.
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The validators of sessions 0 and 1, each with keys in the session pallet's genesis.
		/// Empty: the session's genesis keys decide. The runtime declares this pallet before
		/// `Session`, so that the set is stored when the session asks for it (and the first
		/// sessions get a historical root).
		pub validators: alloc::vec::Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if self.validators.is_empty() {
				return;
			}
			let set: BoundedVec<_, T::MaxValidators> = self
				.validators
				.clone()
				.try_into()
				.expect("genesis: more validators than MaxValidators");
			assert!(
				set.len() as u32 >= T::MinValidators::get(),
				"genesis: fewer validators than MinValidators"
			);
			Validators::<T>::put(set);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` joins the set at the next change of session (and authors from the one after).
		ValidatorAdded { who: T::AccountId },
		/// `who` leaves the set at the next change of session.
		ValidatorRemoved { who: T::AccountId },
		/// An offence was proven against `who` in `session`: it is disabled and leaves the set
		/// at the next change of session.
		OffenderRemoved { who: T::AccountId, session: SessionIndex },
		/// An offence was proven against `who`, but removing it would leave fewer than
		/// `MinValidators`; it stays (disabled while the session's strategy allows).
		OffenderKept { who: T::AccountId, session: SessionIndex },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already in the set.
		AlreadyValidator,
		/// The account is not in the set.
		NotValidator,
		/// The account has no session keys: it must call `session.set_keys` first.
		NoSessionKeys,
		/// The set is full (`MaxValidators`).
		TooManyValidators,
		/// The set would shrink below `MinValidators`.
		TooFewValidators,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MinValidators::get() >= 1, "MinValidators must be at least 1");
			assert!(
				T::MinValidators::get() <= T::MaxValidators::get(),
				"MinValidators must not exceed MaxValidators"
			);
			assert!(T::HistoryDepth::get() >= 1, "HistoryDepth must be at least 1");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Adds `who` to the validator set from the next change of session. `who` must have
		/// registered its session keys (`session.set_keys`).
		#[pallet::call_index(0)]
		pub fn add_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::ValidatorOrigin::ensure_origin(origin)?;
			Self::do_add_validator(who)
		}

		/// Removes `who` from the validator set at the next change of session.
		#[pallet::call_index(1)]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::ValidatorOrigin::ensure_origin(origin)?;
			Self::do_remove_validator(who)
		}

		/// Authorizes a runtime upgrade to the code with hash `code_hash`; anyone may then
		/// apply it with `system.apply_authorized_upgrade(code)`, which checks that the spec
		/// name is the same and the `spec_version` higher.
		#[pallet::call_index(2)]
		pub fn authorize_upgrade(origin: OriginFor<T>, code_hash: T::Hash) -> DispatchResult {
			T::UpgradeOrigin::ensure_origin(origin)?;
			frame_system::Pallet::<T>::do_authorize_upgrade(code_hash, true);
			Ok(())
		}
	}
}
