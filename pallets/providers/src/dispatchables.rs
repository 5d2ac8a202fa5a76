//! The logic of the pallet's calls. Each checks everything first, then writes, then emits
//! one event.

use crate::{
	asset, ActiveProviders, BalanceOf, Config, ConfigRecordOf, Configuration, Error, Event, Pallet,
	PauseReason, ProviderRecord, ProviderStatus, Providers, RetiredReputation,
};
use codec::Encode;
use frame_support::ensure;
use kiln_primitives::{
	hardware::validate_endpoint, Collateral, Endpoint, HardwareProfile, ProfileError,
};
use sp_runtime::{
	traits::{CheckedAdd, CheckedMul, CheckedSub, Zero},
	DispatchError, DispatchResult, Saturating,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register(
		who: &T::AccountId,
		profile: HardwareProfile,
		endpoint: Endpoint,
	) -> DispatchResult {
		ensure!(!Providers::<T>::contains_key(who), Error::<T>::AlreadyRegistered);
		let (gpus, deposit) = Self::check_profile(who, &profile, &endpoint)?;
		ensure!(asset::can_hold::<T>(who, deposit), Error::<T>::InsufficientBalanceForDeposit);
		let active = ActiveProviders::<T>::get().checked_add(1).ok_or(Error::<T>::Overflow)?;

		asset::hold::<T>(who, deposit)?;
		Providers::<T>::insert(
			who,
			ProviderRecord {
				profile,
				endpoint,
				status: ProviderStatus::Active,
				deposit,
				registered_at: frame_system::Pallet::<T>::block_number(),
				// What it had when it left, if it was a provider before.
				reputation: RetiredReputation::<T>::take(who).unwrap_or_default(),
				jobs_in_flight: 0,
			},
		);
		Self::index_add(who);
		ActiveProviders::<T>::put(active);
		Self::deposit_event(Event::Registered { provider: who.clone(), gpus, deposit });
		Ok(())
	}

	pub(crate) fn do_update_profile(
		who: &T::AccountId,
		profile: HardwareProfile,
		endpoint: Endpoint,
	) -> DispatchResult {
		let mut record = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		let (gpus, deposit) = Self::check_profile(who, &profile, &endpoint)?;
		let extra = deposit.saturating_sub(record.deposit);
		ensure!(asset::can_hold::<T>(who, extra), Error::<T>::InsufficientBalanceForDeposit);

		if deposit > record.deposit {
			asset::hold::<T>(who, extra)?;
		} else if let Some(refund) = record.deposit.checked_sub(&deposit) {
			if !refund.is_zero() {
				asset::release::<T>(who, refund)?;
			}
		}
		record.profile = profile;
		record.endpoint = endpoint;
		record.deposit = deposit;
		Providers::<T>::insert(who, record);
		Self::deposit_event(Event::ProfileUpdated { provider: who.clone(), gpus });
		Ok(())
	}

	pub(crate) fn do_pause(who: &T::AccountId) -> DispatchResult {
		let mut record = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(record.status == ProviderStatus::Active, Error::<T>::AlreadyPaused);

		record.status = ProviderStatus::Paused;
		Providers::<T>::insert(who, record);
		ActiveProviders::<T>::mutate(|n| *n = n.saturating_sub(1));
		Self::deposit_event(Event::Paused {
			provider: who.clone(),
			reason: PauseReason::ByProvider,
		});
		Ok(())
	}

	pub(crate) fn do_resume(who: &T::AccountId) -> DispatchResult {
		let mut record = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(record.status != ProviderStatus::Active, Error::<T>::NotPaused);
		let required =
			Self::required_bond(&Configuration::<T>::get(), record.profile.bond_units())?;
		ensure!(T::Collateral::bonded(who) >= required, Error::<T>::InsufficientBond);
		let active = ActiveProviders::<T>::get().checked_add(1).ok_or(Error::<T>::Overflow)?;

		record.status = ProviderStatus::Active;
		Providers::<T>::insert(who, record);
		ActiveProviders::<T>::put(active);
		Self::deposit_event(Event::Resumed { provider: who.clone() });
		Ok(())
	}

	pub(crate) fn do_deregister(who: &T::AccountId) -> DispatchResult {
		let record = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(record.jobs_in_flight == 0, Error::<T>::JobsInFlight);

		asset::release::<T>(who, record.deposit)?;
		Providers::<T>::remove(who);
		RetiredReputation::<T>::insert(who, record.reputation);
		Self::index_remove(who);
		if record.status == ProviderStatus::Active {
			ActiveProviders::<T>::mutate(|n| *n = n.saturating_sub(1));
		}
		Self::deposit_event(Event::Deregistered { provider: who.clone() });
		Ok(())
	}

	pub(crate) fn do_configure(config: ConfigRecordOf<T>) -> DispatchResult {
		config.validate().map_err(|field| Error::<T>::InvalidConfiguration { field })?;
		Configuration::<T>::put(&config);
		Self::deposit_event(Event::ConfigurationSet { config });
		Ok(())
	}

	/// What `register` and `update_profile` both check: the profile and endpoint are valid
	/// and `who` has bonded enough for the GPUs. Returns the GPU count and the deposit due.
	fn check_profile(
		who: &T::AccountId,
		profile: &HardwareProfile,
		endpoint: &Endpoint,
	) -> Result<(u32, BalanceOf<T>), DispatchError> {
		let config = Configuration::<T>::get();
		profile.validate(config.max_gpus).map_err(Error::<T>::from)?;
		validate_endpoint(endpoint).map_err(Error::<T>::from)?;
		let gpus = profile.gpu_count();
		let required = Self::required_bond(&config, profile.bond_units())?;
		ensure!(T::Collateral::bonded(who) >= required, Error::<T>::InsufficientBond);
		Ok((gpus, Self::deposit_for(&config, profile, endpoint)?))
	}

	/// `min_bond_per_gpu × units`, with `units` the profile's `bond_units` (its GPUs, at
	/// least 1: a CPU-only provider bonds like a one-GPU provider).
	pub(crate) fn required_bond(
		config: &ConfigRecordOf<T>,
		units: u32,
	) -> Result<BalanceOf<T>, Error<T>> {
		config.min_bond_per_gpu.checked_mul(&units.into()).ok_or(Error::<T>::Overflow)
	}

	/// `deposit_base + deposit_per_byte × (encoded profile + endpoint bytes)`.
	pub(crate) fn deposit_for(
		config: &ConfigRecordOf<T>,
		profile: &HardwareProfile,
		endpoint: &Endpoint,
	) -> Result<BalanceOf<T>, Error<T>> {
		let bytes = (profile.encoded_size() as u32).saturating_add(endpoint.len() as u32);
		config
			.deposit_per_byte
			.checked_mul(&bytes.into())
			.and_then(|d| d.checked_add(&config.deposit_base))
			.ok_or(Error::<T>::Overflow)
	}
}

impl<T> From<ProfileError> for Error<T> {
	fn from(e: ProfileError) -> Self {
		match e {
			ProfileError::NoGpus => Error::<T>::NoGpus,
			ProfileError::TooManyGpus => Error::<T>::TooManyGpus,
			ProfileError::InvalidGpuModel => Error::<T>::InvalidGpuModel,
			ProfileError::InvalidRegion => Error::<T>::InvalidRegion,
			ProfileError::NoBackend => Error::<T>::NoBackend,
			ProfileError::InvalidEndpoint => Error::<T>::InvalidEndpoint,
		}
	}
}
