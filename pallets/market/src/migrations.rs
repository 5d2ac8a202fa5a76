//! Storage migrations. Version 1: bid deposits. The configuration gains `bid_deposit` (set
//! from the runtime's `DefaultConfig`, never from a decoding failure) and every stored bid
//! gains `deposit` (zero: bids placed before held nothing, and get nothing back). Version 2:
//! the configuration gains `reputation_min_price` (from the runtime's `DefaultConfig`).
//! Version 3: bid deposits move from `HoldReason::BidDeposit` holds into collateral locks.
//! Version 4: `Jobs` is no longer counted, so its counter (`CounterForJobs`) is removed.
//! Version 5: the next job id is the count of jobs created (`Totals::jobs_created`), so
//! `NextJobId` goes, folded into that count (a create_job reads and writes one value less).

use crate::{BalanceOf, Bid, Bids, CollateralRule, Config, ConfigRecord, Configuration, Pallet};
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::JobId;
use kiln_support::migrations::{translated_value, RemoveValues};
use sp_runtime::{traits::Zero, Perbill};

/// The configuration of version 0.
#[derive(Encode, Decode)]
pub struct ConfigRecordV0<Balance, BlockNumber> {
	pub bidding_blocks: (BlockNumber, BlockNumber),
	pub execution_blocks: (BlockNumber, BlockNumber),
	pub protocol_fee: Perbill,
	pub verification_fee: Balance,
	pub job_collateral: CollateralRule<Balance>,
	pub slash_missed_deadline: Perbill,
	pub verification_window: BlockNumber,
	pub second_price: bool,
	pub max_bids_per_job: u32,
	pub deposit_base: Balance,
	pub deposit_per_byte: Balance,
	pub retention_blocks: BlockNumber,
}

/// A bid of version 0.
#[derive(Encode, Decode)]
pub struct BidV0<AccountId, Balance, BlockNumber> {
	pub provider: AccountId,
	pub price: Balance,
	pub placed_at: BlockNumber,
}

/// The configuration of version 1.
#[derive(Encode, Decode, Clone, PartialEq, Debug)]
pub struct ConfigRecordV1<Balance, BlockNumber> {
	pub bidding_blocks: (BlockNumber, BlockNumber),
	pub execution_blocks: (BlockNumber, BlockNumber),
	pub protocol_fee: Perbill,
	pub verification_fee: Balance,
	pub job_collateral: CollateralRule<Balance>,
	pub slash_missed_deadline: Perbill,
	pub verification_window: BlockNumber,
	pub second_price: bool,
	pub max_bids_per_job: u32,
	pub deposit_base: Balance,
	pub deposit_per_byte: Balance,
	pub retention_blocks: BlockNumber,
	pub bid_deposit: Balance,
	pub verification_percent: u32,
}

/// The configuration as version 1 stored it.
mod v1 {
	use super::*;
	#[frame_support::storage_alias]
	pub type Configuration<T: Config> = StorageValue<
		Pallet<T>,
		ConfigRecordV1<BalanceOf<T>, BlockNumberFor<T>>,
		frame_support::pallet_prelude::OptionQuery,
	>;
}

type ConfigV0<T> = ConfigRecordV0<BalanceOf<T>, BlockNumberFor<T>>;
type ConfigV1<T> = ConfigRecordV1<BalanceOf<T>, BlockNumberFor<T>>;
type BidsV0<T> = BoundedVec<
	BidV0<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>,
	<T as Config>::MaxBidsPerJob,
>;

/// Adds `bid_deposit` to the configuration and `deposit` to every bid.
pub struct AddBidDeposits<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for AddBidDeposits<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut lists = 0u64;
		let translated = v1::Configuration::<T>::translate::<ConfigV0<T>, _>(|old| {
			old.map(|old| ConfigRecordV1 {
				bidding_blocks: old.bidding_blocks,
				execution_blocks: old.execution_blocks,
				protocol_fee: old.protocol_fee,
				verification_fee: old.verification_fee,
				job_collateral: old.job_collateral,
				slash_missed_deadline: old.slash_missed_deadline,
				verification_window: old.verification_window,
				second_price: old.second_price,
				max_bids_per_job: old.max_bids_per_job,
				deposit_base: old.deposit_base,
				deposit_per_byte: old.deposit_per_byte,
				retention_blocks: old.retention_blocks,
				bid_deposit: T::DefaultConfig::get().bid_deposit,
				verification_percent: T::DefaultConfig::get().verification_percent,
			})
		});
		let config = translated_value::<_, T::DbWeight>(
			translated,
			"the market configuration did not decode",
		);
		Bids::<T>::translate::<BidsV0<T>, _>(|_job: JobId, old| {
			lists += 1;
			let bids = old.into_iter().map(|b| Bid {
				provider: b.provider,
				price: b.price,
				placed_at: b.placed_at,
				deposit: Zero::zero(),
			});
			Some(BoundedVec::truncate_from(bids.collect()))
		});
		config.saturating_add(T::DbWeight::get().reads_writes(lists, lists))
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		let bids: u64 = Bids::<T>::iter_keys().count() as u64;
		Ok(bids.encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before = u64::decode(&mut &state[..]).map_err(|_| "bad pre-upgrade state")?;
		frame_support::ensure!(
			Bids::<T>::iter_keys().count() as u64 == before,
			"bid lists were lost"
		);
		frame_support::ensure!(
			v1::Configuration::<T>::get()
				.is_none_or(|c| c.bid_deposit == T::DefaultConfig::get().bid_deposit),
			"the configuration has no bid deposit"
		);
		Ok(())
	}
}

/// Version 0 → 1.
pub type V1<T> =
	VersionedMigration<0, 1, AddBidDeposits<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;

/// Adds `reputation_min_price` to the configuration.
pub struct AddReputationMinPrice<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for AddReputationMinPrice<T> {
	fn on_runtime_upgrade() -> Weight {
		let floor = T::DefaultConfig::get().reputation_min_price;
		let translated = Configuration::<T>::translate::<ConfigV1<T>, _>(|old| {
			old.map(|old| ConfigRecord {
				bidding_blocks: old.bidding_blocks,
				execution_blocks: old.execution_blocks,
				protocol_fee: old.protocol_fee,
				verification_fee: old.verification_fee,
				job_collateral: old.job_collateral,
				slash_missed_deadline: old.slash_missed_deadline,
				verification_window: old.verification_window,
				second_price: old.second_price,
				max_bids_per_job: old.max_bids_per_job,
				deposit_base: old.deposit_base,
				deposit_per_byte: old.deposit_per_byte,
				retention_blocks: old.retention_blocks,
				bid_deposit: old.bid_deposit,
				verification_percent: old.verification_percent,
				reputation_min_price: floor,
			})
		});
		translated_value::<_, T::DbWeight>(translated, "the market configuration did not decode")
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		frame_support::ensure!(
			Configuration::<T>::get().validate(T::MaxBidsPerJob::get()).is_ok(),
			"the configuration no longer validates"
		);
		Pallet::<T>::do_try_state()
	}
}

/// Version 1 → 2.
pub type V2<T> = VersionedMigration<
	1,
	2,
	AddReputationMinPrice<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// Moves every standing bid's deposit from its `HoldReason::BidDeposit` hold into a lock of
/// its provider's collateral. A provider without that much free collateral gets its hold back
/// and its bid stands without a deposit, as bids did before version 1.
pub struct LockBidDepositsInCollateral<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for LockBidDepositsInCollateral<T> {
	fn on_runtime_upgrade() -> Weight {
		use kiln_primitives::Collateral;
		let (mut lists, mut deposits) = (0u64, 0u64);
		Bids::<T>::translate::<crate::BidsOf<T>, _>(|_job: JobId, mut bids| {
			lists += 1;
			for bid in bids.iter_mut().filter(|b| !b.deposit.is_zero()) {
				deposits += 1;
				let released = crate::asset::release_old_bid_hold::<T>(&bid.provider, bid.deposit);
				bid.deposit = if T::Collateral::lock(&bid.provider, released).is_ok() {
					released
				} else {
					Zero::zero()
				};
			}
			Some(bids)
		});
		// Per deposit: the holds, the account and the ledger.
		T::DbWeight::get().reads_writes(
			lists.saturating_add(deposits.saturating_mul(3)),
			lists.saturating_add(deposits.saturating_mul(3)),
		)
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		Pallet::<T>::do_try_state()
	}
}

/// Version 2 → 3.
pub type V3<T> = VersionedMigration<
	2,
	3,
	LockBidDepositsInCollateral<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

frame_support::parameter_types! {
	/// What version 4 removes: the counter of `Jobs` up to version 3 (the jobs themselves are
	/// stored as they were).
	pub const JobCounter: &'static [&'static str] = &["CounterForJobs"];
}

/// Version 3 → 4.
pub type V4<T> = VersionedMigration<
	3,
	4,
	RemoveValues<Pallet<T>, JobCounter, <T as frame_system::Config>::DbWeight>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// `NextJobId` up to version 4.
mod v4 {
	use super::*;
	#[frame_support::storage_alias]
	pub type NextJobId<T: Config> =
		StorageValue<Pallet<T>, JobId, frame_support::pallet_prelude::OptionQuery>;
}

/// Folds `NextJobId` into `Totals::jobs_created`: the count becomes the larger of the two
/// (the totals came after the first jobs on an old chain, so the count can be behind the ids;
/// no id is ever handed out twice).
pub struct FoldNextJobIdIntoTotals<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for FoldNextJobIdIntoTotals<T> {
	fn on_runtime_upgrade() -> Weight {
		if let Some(next) = v4::NextJobId::<T>::take() {
			crate::Totals::<T>::mutate(|totals| {
				totals.jobs_created = totals.jobs_created.max(next);
			});
		}
		T::DbWeight::get().reads_writes(2, 2)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok(v4::NextJobId::<T>::get().unwrap_or_default().encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let next = JobId::decode(&mut &state[..]).map_err(|_| "bad pre-upgrade state")?;
		frame_support::ensure!(!v4::NextJobId::<T>::exists(), "NextJobId is still there");
		frame_support::ensure!(Pallet::<T>::next_job_id() >= next, "a job id would come again");
		Pallet::<T>::do_try_state()
	}
}

/// Version 4 → 5.
pub type V5<T> = VersionedMigration<
	4,
	5,
	FoldNextJobIdIntoTotals<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;

	/// The counter of `Jobs` up to version 3.
	#[frame_support::storage_alias]
	type CounterForJobs<T: Config> =
		StorageValue<Pallet<T>, u32, frame_support::pallet_prelude::ValueQuery>;
	use frame_support::{
		assert_ok,
		storage::unhashed,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};

	#[test]
	fn v1_keeps_the_configuration_and_bids_and_adds_zero_deposits() {
		build_and_execute(|| {
			StorageVersion::new(0).put::<Market>();
			let now = market_config();
			let old = ConfigRecordV0 {
				bidding_blocks: now.bidding_blocks,
				execution_blocks: now.execution_blocks,
				protocol_fee: now.protocol_fee,
				verification_fee: now.verification_fee,
				job_collateral: now.job_collateral,
				slash_missed_deadline: now.slash_missed_deadline,
				verification_window: now.verification_window + 7,
				second_price: true,
				max_bids_per_job: now.max_bids_per_job,
				deposit_base: now.deposit_base,
				deposit_per_byte: now.deposit_per_byte,
				retention_blocks: now.retention_blocks,
			};
			unhashed::put_raw(&Configuration::<Test>::hashed_key(), &old.encode());
			let bids: Vec<BidV0<AccountId, Balance, u64>> = vec![
				BidV0 { provider: P1, price: 600, placed_at: 2 },
				BidV0 { provider: P2, price: 500, placed_at: 3 },
			];
			unhashed::put_raw(&Bids::<Test>::hashed_key_for(7), &bids.encode());

			V1::<Test>::on_runtime_upgrade();

			assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(1));
			let Some(config) = v1::Configuration::<Test>::get() else {
				panic!("the migration dropped the configuration")
			};
			// Kept as it was, not replaced by the default; the new field from the default.
			assert_eq!(config.verification_window, now.verification_window + 7);
			assert!(config.second_price);
			assert_eq!(config.bid_deposit, BID_DEPOSIT);
			let bids = Bids::<Test>::get(7).into_inner();
			assert_eq!(
				bids,
				vec![
					Bid { provider: P1, price: 600, placed_at: 2, deposit: 0 },
					Bid { provider: P2, price: 500, placed_at: 3, deposit: 0 },
				]
			);
			// Run again: the version gate makes it a no-op.
			V1::<Test>::on_runtime_upgrade();
			assert_eq!(Bids::<Test>::get(7).len(), 2);
			// (Bids of no job break `try_state`; this test's only purpose is the layout.)
			Bids::<Test>::remove(7);

			// Then version 2 keeps every field and adds the reputation floor.
			V2::<Test>::on_runtime_upgrade();
			assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(2));
			let now = Configuration::<Test>::get();
			assert_eq!(now.verification_window, config.verification_window);
			assert!(now.second_price);
			assert_eq!(now.bid_deposit, config.bid_deposit);
			assert_eq!(now.verification_percent, config.verification_percent);
			assert_eq!(now.reputation_min_price, market_config().reputation_min_price);
			V2::<Test>::on_runtime_upgrade();
			assert_eq!(Configuration::<Test>::get(), now);
		});
	}

	#[test]
	fn v3_moves_bid_deposit_holds_into_collateral_locks() {
		use crate::{tests::create, HoldReason};
		use frame_support::traits::fungible::{Inspect, InspectHold, MutateHold};
		use kiln_primitives::Collateral as _;
		build_and_execute(|| {
			StorageVersion::new(2).put::<Market>();
			let job = create(CLIENT, 1_000);
			// Two bids of version 2, their deposits on hold; P2 has no free collateral left.
			let reason: RuntimeHoldReason = HoldReason::BidDeposit.into();
			for p in [P1, P2] {
				assert_ok!(<Balances as MutateHold<_>>::hold(&reason, &p, BID_DEPOSIT));
			}
			assert_ok!(Collateral::lock(&P2, PROVIDER_BOND));
			let old = vec![
				Bid { provider: P1, price: 600, placed_at: 1, deposit: BID_DEPOSIT },
				Bid { provider: P2, price: 500, placed_at: 1, deposit: BID_DEPOSIT },
			];
			Bids::<Test>::insert(job, BoundedVec::truncate_from(old));
			let balances = [P1, P2].map(|p| Balances::balance(&p));

			V3::<Test>::on_runtime_upgrade();

			assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(3));
			for (p, before) in [P1, P2].into_iter().zip(balances) {
				assert_eq!(Balances::balance_on_hold(&reason, &p), 0, "{p}'s bid hold");
				assert_eq!(Balances::balance(&p), before + BID_DEPOSIT, "{p} got its hold back");
			}
			// P1's deposit is now a lock; P2's bid stands without one.
			assert_eq!(Collateral::free(&P1), PROVIDER_BOND - BID_DEPOSIT);
			let deposits: Vec<_> = Bids::<Test>::get(job).iter().map(|b| b.deposit).collect();
			assert_eq!(deposits, vec![BID_DEPOSIT, 0]);
			// Run again: the version gate makes it a no-op.
			V3::<Test>::on_runtime_upgrade();
			assert_eq!(Collateral::free(&P1), PROVIDER_BOND - BID_DEPOSIT);
			Collateral::unlock(&P2, PROVIDER_BOND);
		});
	}

	#[test]
	fn v4_removes_the_job_counter_and_keeps_the_jobs() {
		use crate::{tests::create, Jobs};
		build_and_execute(|| {
			StorageVersion::new(3).put::<Market>();
			let jobs = [create(CLIENT, 1_000), create(CLIENT, 2_000)];
			let records = jobs.map(Jobs::<Test>::get);
			// The counter as version 3's `CountedStorageMap` kept it.
			CounterForJobs::<Test>::put(2);

			V4::<Test>::on_runtime_upgrade();

			assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(4));
			assert!(!CounterForJobs::<Test>::exists());
			assert_eq!(jobs.map(Jobs::<Test>::get), records);
			assert!(records.iter().all(Option::is_some));
			// Run again: the version gate makes it a no-op.
			CounterForJobs::<Test>::put(9);
			V4::<Test>::on_runtime_upgrade();
			assert_eq!(CounterForJobs::<Test>::get(), 9);
			CounterForJobs::<Test>::kill();
		});
	}

	#[test]
	fn v5_folds_the_next_job_id_into_the_count_and_never_hands_an_id_out_twice() {
		use crate::{tests::create, Totals};
		build_and_execute(|| {
			StorageVersion::new(4).put::<Market>();
			let old = [create(CLIENT, 1_000), create(CLIENT, 2_000)];
			assert_eq!(old, [0, 1]);
			// An old chain: ids handed out before the totals counted jobs.
			Totals::<Test>::mutate(|t| t.jobs_created = 1);
			v4::NextJobId::<Test>::put(5);

			V5::<Test>::on_runtime_upgrade();

			assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(5));
			assert!(!v4::NextJobId::<Test>::exists());
			assert_eq!(Market::next_job_id(), 5);
			assert_eq!(create(CLIENT, 1_000), 5);
			assert_eq!(Totals::<Test>::get().jobs_created, 6);
			// Run again: the version gate makes it a no-op.
			v4::NextJobId::<Test>::put(9);
			V5::<Test>::on_runtime_upgrade();
			assert_eq!(Market::next_job_id(), 6);
			v4::NextJobId::<Test>::kill();
		});
	}

	#[test]
	fn v5_keeps_a_count_ahead_of_the_old_id() {
		build_and_execute(|| {
			StorageVersion::new(4).put::<Market>();
			crate::Totals::<Test>::mutate(|t| t.jobs_created = 7);
			v4::NextJobId::<Test>::put(3);
			FoldNextJobIdIntoTotals::<Test>::on_runtime_upgrade();
			assert_eq!(Market::next_job_id(), 7);
		});
	}
}
