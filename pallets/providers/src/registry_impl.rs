//! The registry as other pallets see it: [`ProviderRegistry`] for the market and
//! proof-of-compute pallets, [`CollateralHooks`] for the collateral pallet.

use crate::{
	ActiveProviders, BalanceOf, Config, Configuration, Error, Event, Pallet, PauseReason,
	ProviderAt, ProviderStatus, Providers,
};
use kiln_primitives::{
	Backends, CollateralHooks, Ineligibility, Outcome, ProviderRegistry, Reputation, Requirements,
};
use sp_runtime::{traits::Zero, DispatchResult, Saturating};

impl<T: Config> ProviderRegistry<T::AccountId> for Pallet<T> {
	fn is_active(who: &T::AccountId) -> bool {
		Providers::<T>::get(who).is_some_and(|r| r.status == ProviderStatus::Active)
	}

	fn check_eligible(
		who: &T::AccountId,
		requirements: &Requirements,
	) -> Result<(), Ineligibility> {
		let record = Providers::<T>::get(who).ok_or(Ineligibility::NotProvider)?;
		if record.status != ProviderStatus::Active {
			return Err(Ineligibility::Paused);
		}
		record.profile.check(requirements)?;
		if record.reputation.score() < requirements.min_reputation {
			return Err(Ineligibility::Reputation);
		}
		Ok(())
	}

	fn reputation(who: &T::AccountId) -> Option<Reputation> {
		Providers::<T>::get(who).map(|r| r.reputation)
	}

	fn backends(who: &T::AccountId) -> Option<Backends> {
		Providers::<T>::get(who).map(|r| r.profile.backends)
	}

	fn job_started(who: &T::AccountId) -> DispatchResult {
		Providers::<T>::try_mutate(who, |record| {
			let record = record.as_mut().ok_or(Error::<T>::NotRegistered)?;
			record.jobs_in_flight =
				record.jobs_in_flight.checked_add(1).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})
	}

	fn record_outcome(who: &T::AccountId, outcome: Outcome) {
		if !Providers::<T>::contains_key(who) {
			// It left: the outcome still counts for when it comes back.
			return crate::RetiredReputation::<T>::mutate(who, |r| {
				if let Some(r) = r {
					r.record(outcome)
				}
			});
		}
		Providers::<T>::mutate(who, |record| {
			if let Some(record) = record {
				record.reputation.record(outcome);
				if matches!(outcome, Outcome::JobCompleted | Outcome::JobFailed | Outcome::JobEnded)
				{
					record.jobs_in_flight = record.jobs_in_flight.saturating_sub(1);
				}
			}
		});
	}

	fn provider_count() -> u32 {
		Providers::<T>::count()
	}

	fn provider_at(position: u32) -> Option<T::AccountId> {
		ProviderAt::<T>::get(position)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(who: &T::AccountId) -> DispatchResult {
		use kiln_primitives::{Backends, GpuSpec, HardwareProfile, Region};
		let gpu = GpuSpec {
			model: b"NVIDIA H100 80GB HBM3".to_vec().try_into().unwrap_or_default(),
			vram_mib: 81_559,
			compute_capability: 90,
			count: 8,
		};
		let profile = HardwareProfile {
			gpus: alloc::vec![gpu].try_into().unwrap_or_default(),
			cpu_cores: 128,
			ram_mib: 1 << 20,
			region: Region(*b"DE"),
			backends: Backends { cuda: true, cpu: true },
		};
		let endpoint = b"https://provider.example.org".to_vec().try_into().unwrap_or_default();
		Self::do_register(who, profile, endpoint)
	}
}

impl<T: Config> CollateralHooks<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn minimum_bond(who: &T::AccountId) -> BalanceOf<T> {
		// Both reads happen for every account, so the collateral pallet's benchmarks (which
		// cannot register a provider) measure the registered case's storage access too.
		let config = Configuration::<T>::get();
		let Some(record) = Providers::<T>::get(who) else { return Zero::zero() };
		// Saturates: an overflowing minimum can never be met, which is the safe reading.
		config.min_bond_per_gpu.saturating_mul(record.profile.bond_units().into())
	}

	fn has_work_in_flight(who: &T::AccountId) -> bool {
		Providers::<T>::get(who).is_some_and(|record| record.jobs_in_flight > 0)
	}

	fn on_slashed(who: &T::AccountId, remaining: BalanceOf<T>) {
		let Some(mut record) = Providers::<T>::get(who) else {
			return crate::RetiredReputation::<T>::mutate(who, |r| {
				if let Some(r) = r {
					r.record(Outcome::Slashed)
				}
			});
		};
		record.reputation.record(Outcome::Slashed);
		Self::store_pausing_if_underbonded(who, record, remaining);
	}

	fn on_forfeited(who: &T::AccountId, remaining: BalanceOf<T>) {
		// A forfeited bid deposit is no misbehaviour: the reputation stays, only the bond's
		// minimum is enforced.
		if let Some(record) = Providers::<T>::get(who) {
			Self::store_pausing_if_underbonded(who, record, remaining);
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Stores `record`, paused as `Underbonded` first if it was active and `remaining` is below
	/// its minimum bond.
	fn store_pausing_if_underbonded(
		who: &T::AccountId,
		mut record: crate::ProviderRecordOf<T>,
		remaining: BalanceOf<T>,
	) {
		let minimum = Self::minimum_bond(who);
		let pause = record.status == ProviderStatus::Active && remaining < minimum;
		if pause {
			record.status = ProviderStatus::Underbonded;
			ActiveProviders::<T>::mutate(|n| *n = n.saturating_sub(1));
		}
		Providers::<T>::insert(who, record);
		if pause {
			Self::deposit_event(Event::Paused {
				provider: who.clone(),
				reason: PauseReason::Underbonded,
			});
		}
	}
}
