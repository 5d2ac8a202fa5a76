//! Benchmarks for every call, each with the largest profile and endpoint (the deposit and the
//! storage proof grow with them).

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, EnsureOrigin};
use kiln_primitives::{
	Backends, Collateral, Endpoint, GpuSpec, HardwareProfile, ProviderRegistry, Region,
	MAX_ENDPOINT_LEN, MAX_GPU_KINDS, MAX_GPU_MODEL_LEN,
};
use kiln_support::benchmarking::signed;
use sp_runtime::traits::Bounded;

/// The largest profile `max_gpus` allows: every GPU kind, the longest model names.
fn largest_profile<T: Config>() -> HardwareProfile {
	let max_gpus = Configuration::<T>::get().max_gpus;
	let per_kind = (max_gpus / MAX_GPU_KINDS).max(1) as u16;
	let kinds = MAX_GPU_KINDS.min(max_gpus);
	let gpu = GpuSpec {
		model: vec![b'G'; MAX_GPU_MODEL_LEN as usize].try_into().unwrap_or_default(),
		vram_mib: 81_920,
		compute_capability: 90,
		count: per_kind,
	};
	HardwareProfile {
		gpus: vec![gpu; kinds as usize].try_into().unwrap_or_default(),
		cpu_cores: 128,
		ram_mib: 1 << 20,
		region: Region(*b"DE"),
		backends: Backends { cuda: true, cpu: true },
	}
}

fn longest_endpoint() -> Endpoint {
	let mut url = b"https://".to_vec();
	url.resize(MAX_ENDPOINT_LEN as usize, b'a');
	url.try_into().unwrap_or_default()
}

/// A funded account with enough collateral bonded for `profile`.
fn bonded_provider<T: Config>(profile: &HardwareProfile) -> Result<T::AccountId, BenchmarkError> {
	let who: T::AccountId = account("provider", 0, 0);
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
	let required = Pallet::<T>::required_bond(&Configuration::<T>::get(), profile.bond_units())
		.map_err(|_| BenchmarkError::Stop("required bond overflows"))?;
	T::Collateral::bond_for_benchmark(&who, required)?;
	Ok(who)
}

fn registered_provider<T: Config>() -> Result<T::AccountId, BenchmarkError> {
	let profile = largest_profile::<T>();
	let who = bonded_provider::<T>(&profile)?;
	Pallet::<T>::do_register(&who, profile, longest_endpoint())?;
	Ok(who)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() -> Result<(), BenchmarkError> {
		let profile = largest_profile::<T>();
		let who = bonded_provider::<T>(&profile)?;

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin, profile, longest_endpoint());

		assert!(Pallet::<T>::is_active(&who));
		Ok(())
	}

	/// Worst case: the deposit grows (a second hold).
	#[benchmark]
	fn update_profile() -> Result<(), BenchmarkError> {
		let mut small = largest_profile::<T>();
		small.gpus.truncate(1);
		let who = bonded_provider::<T>(&largest_profile::<T>())?;
		Pallet::<T>::do_register(&who, small, b"http://a".to_vec().try_into().unwrap_or_default())?;

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin, largest_profile::<T>(), longest_endpoint());

		let record = Providers::<T>::get(&who).ok_or(BenchmarkError::Stop("not registered"))?;
		assert_eq!(record.endpoint, longest_endpoint());
		Ok(())
	}

	#[benchmark]
	fn pause() -> Result<(), BenchmarkError> {
		let who = registered_provider::<T>()?;

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin);

		assert!(!Pallet::<T>::is_active(&who));
		Ok(())
	}

	#[benchmark]
	fn resume() -> Result<(), BenchmarkError> {
		let who = registered_provider::<T>()?;
		Pallet::<T>::do_pause(&who)?;

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin);

		assert!(Pallet::<T>::is_active(&who));
		Ok(())
	}

	#[benchmark]
	fn deregister() -> Result<(), BenchmarkError> {
		let who = registered_provider::<T>()?;

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin);

		assert!(!Providers::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn configure() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut config = Configuration::<T>::get();
		config.max_gpus = config.max_gpus.saturating_add(1).min(MAX_GPUS_LIMIT);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, config.clone());

		assert_eq!(Configuration::<T>::get(), config);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
