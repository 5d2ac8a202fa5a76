//! # Escrow
//!
//! The client's funds for each job (SPEC §3 `Escrow`): locked when the job is created, paid
//! out to the provider (and verifiers) and the Treasury (the protocol fee) when it settles,
//! the rest refunded to the client. Funds stay in the client's account on hold under
//! [`HoldReason::JobEscrow`] until they are paid; nothing is moved to a pot.
//!
//! No user calls: the market pallet drives it through [`kiln_primitives::JobEscrow`].
//! `try_state` proves that, for every client, the escrows of its jobs add up to its hold.
//!
//! Layout: `escrow_impl.rs` (the trait), `asset.rs` (every currency operation),
//! `invariants.rs` (`try_state`), `migrations.rs`.

//!
//! # Reference
//!
//! The pallet's reference (calls, errors, events, parameters, costs) is its `README.md`,
//! included below.
#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod asset;
mod escrow_impl;
mod invariants;
pub mod migrations;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use kiln_primitives::JobId;

	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// Version 1: `Escrows` no longer counted; version 2: no `TotalEscrowed`.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency escrows are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Receives the protocol fees.
		type TreasuryAccount: Get<Self::AccountId>;
	}

	/// A reason for placing a hold on funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A client's funds for its jobs in flight.
		#[codec(index = 0)]
		JobEscrow,
	}

	/// One job's escrow: whose funds, and how much of them is still held.
	#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
	pub struct EscrowRecord<AccountId, Balance> {
		pub client: AccountId,
		pub held: Balance,
	}

	pub type EscrowRecordOf<T> = EscrowRecord<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

	/// The escrow of each job in flight (bounded by the market's jobs, each of which pays a
	/// deposit for its records).
	#[pallet::storage]
	pub type Escrows<T: Config> =
		StorageMap<_, Twox64Concat, JobId, EscrowRecordOf<T>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `amount` of `client`'s funds are held for `job_id`.
		Locked { job_id: JobId, client: T::AccountId, amount: BalanceOf<T> },
		/// `amount` of the job's escrow was paid to `to`.
		Released { job_id: JobId, to: T::AccountId, amount: BalanceOf<T> },
		/// What was left of the job's escrow went back to the client.
		Refunded { job_id: JobId, client: T::AccountId, amount: BalanceOf<T> },
		/// `amount` of the job's escrow went to the Treasury as the protocol fee.
		FeeCollected { job_id: JobId, amount: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// This job has an escrow already.
		AlreadyLocked,
		/// This job has no escrow.
		NoEscrow,
		/// The client's free balance cannot cover the escrow (the existential deposit stays
		/// free).
		InsufficientBalance,
		/// More than is left in the job's escrow.
		ExceedsEscrow,
		/// The amount is zero.
		ZeroAmount,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}
}
