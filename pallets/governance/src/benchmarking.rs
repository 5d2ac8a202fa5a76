//! Benchmarks: each call in its worst case (a set one short of full, the account to remove
//! last in it).

use crate::{Call, Config, Pallet, Validators};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_support::{traits::Get, BoundedVec};
use pallet_session::SessionInterface;
use sp_runtime::traits::TrailingZeroInput;

/// Distinct session keys for account `i` (set without a proof, as a privileged caller may).
fn with_keys<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("validator", i, 0);
	// Every key of every type differs (and from the genesis keys): 8-byte pieces
	// (i, 1000 + j) fill all the keys' bytes.
	let seed: Vec<u8> = (1000..1064u32).flat_map(|j| (i, j).encode()).collect();
	let keys =
		T::Keys::decode(&mut TrailingZeroInput::new(&seed)).expect("keys decode from any input");
	<pallet_session::Pallet<T> as SessionInterface>::set_keys(&who, keys)
		.expect("fresh keys are not taken");
	who
}

/// A set of `n` members with keys.
fn set_of<T: Config>(n: u32) -> Vec<T::AccountId> {
	let set: Vec<_> = (0..n).map(with_keys::<T>).collect();
	Validators::<T>::put(BoundedVec::truncate_from(set.clone()));
	set
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_validator() -> Result<(), BenchmarkError> {
		let max = T::MaxValidators::get();
		set_of::<T>(max - 1);
		let who = with_keys::<T>(max);
		let origin =
			T::ValidatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(Validators::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn remove_validator() -> Result<(), BenchmarkError> {
		let set = set_of::<T>(T::MaxValidators::get());
		let who = set.last().cloned().ok_or(BenchmarkError::Weightless)?;
		let origin =
			T::ValidatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(!Validators::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn authorize_upgrade() -> Result<(), BenchmarkError> {
		let origin =
			T::UpgradeOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let hash = T::Hash::default();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, hash);

		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
