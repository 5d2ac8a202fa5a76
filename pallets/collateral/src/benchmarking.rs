//! Benchmarks for every call, each in its worst case.

use super::*;
use crate::Pallet as Collateral;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, EnsureOrigin, Get};
use kiln_support::benchmarking::signed;
use sp_runtime::{traits::Bounded, Perbill, Saturating};

fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	// Half of the maximum balance: enough for any bond, far from overflow.
	let _ = T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 2u32.into());
	who
}

fn min_bond<T: Config>() -> BalanceOf<T> {
	Configuration::<T>::get().min_bond
}

fn assert_last_event<T: Config>(event: <T as Config>::RuntimeEvent) {
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn bond() {
		let who = funded::<T>("provider");
		let amount = min_bond::<T>();

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin, amount);

		assert_last_event::<T>(Event::Bonded { who, amount }.into());
	}

	#[benchmark]
	fn bond_extra() -> Result<(), BenchmarkError> {
		let who = funded::<T>("provider");
		Collateral::<T>::do_bond(&who, min_bond::<T>())?;
		let amount = min_bond::<T>();

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin, amount);

		assert_last_event::<T>(Event::Bonded { who, amount }.into());
		Ok(())
	}

	/// Worst case: a new chunk is pushed behind `MaxUnlockingChunks - 1` others.
	#[benchmark]
	fn unbond() -> Result<(), BenchmarkError> {
		let who = funded::<T>("provider");
		let chunks = T::MaxUnlockingChunks::get();
		let unit = min_bond::<T>();
		Collateral::<T>::do_bond(&who, unit.saturating_mul(chunks.saturating_add(1).into()))?;
		for _ in 1..chunks {
			Collateral::<T>::do_unbond(&who, unit)?;
			frame_system::Pallet::<T>::set_block_number(
				frame_system::Pallet::<T>::block_number() + 1u32.into(),
			);
		}

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin, unit);

		let ledger = Ledgers::<T>::get(&who).ok_or(BenchmarkError::Stop("no ledger"))?;
		assert_eq!(ledger.unlocking.len() as u32, chunks);
		Ok(())
	}

	/// `c` chunks all unlocked and withdrawn; the ledger is removed.
	#[benchmark]
	fn withdraw_unbonded(
		c: Linear<1, { T::MaxUnlockingChunks::get() }>,
	) -> Result<(), BenchmarkError> {
		let who = funded::<T>("provider");
		let unit = min_bond::<T>();
		Collateral::<T>::do_bond(&who, unit.saturating_mul(c.into()))?;
		for _ in 0..c {
			Collateral::<T>::do_unbond(&who, unit)?;
			frame_system::Pallet::<T>::set_block_number(
				frame_system::Pallet::<T>::block_number() + 1u32.into(),
			);
		}
		let period = Configuration::<T>::get().unbonding_period;
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number() + period,
		);

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin);

		assert!(!Ledgers::<T>::contains_key(&who));
		assert_last_event::<T>(
			Event::Withdrawn { who, amount: unit.saturating_mul(c.into()) }.into(),
		);
		Ok(())
	}

	#[benchmark]
	fn configure() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut config = Configuration::<T>::get();
		config.slash_reward_share = Perbill::from_percent(20);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, config.clone());

		assert_eq!(Configuration::<T>::get(), config);
		Ok(())
	}

	impl_benchmark_test_suite!(Collateral, crate::mock::new_test_ext(), crate::mock::Test);
}
