//! [`kiln_primitives::JobEscrow`]: what the market does with a job's funds. Each function
//! checks first, then moves funds, then writes the record, then emits one event.

use crate::{asset, BalanceOf, Config, Error, EscrowRecord, Escrows, Event, Pallet};
use frame_support::{ensure, traits::Get};
use kiln_primitives::{JobEscrow, JobId};
use sp_runtime::{
	traits::{CheckedSub, Zero},
	DispatchError, DispatchResult,
};

impl<T: Config> JobEscrow<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;

	fn lock(job: JobId, client: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		ensure!(!Escrows::<T>::contains_key(job), Error::<T>::AlreadyLocked);
		ensure!(asset::can_hold::<T>(client, amount), Error::<T>::InsufficientBalance);

		asset::hold::<T>(client, amount)?;
		Escrows::<T>::insert(job, EscrowRecord { client: client.clone(), held: amount });
		Self::deposit_event(Event::Locked { job_id: job, client: client.clone(), amount });
		Ok(())
	}

	fn release_to(job: JobId, to: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		Self::pay_out(job, to, amount)?;
		Self::deposit_event(Event::Released { job_id: job, to: to.clone(), amount });
		Ok(())
	}

	fn collect_fee(job: JobId, amount: BalanceOf<T>) -> DispatchResult {
		Self::pay_out(job, &T::TreasuryAccount::get(), amount)?;
		Self::deposit_event(Event::FeeCollected { job_id: job, amount });
		Ok(())
	}

	fn refund(job: JobId) -> Result<BalanceOf<T>, DispatchError> {
		let record = Escrows::<T>::get(job).ok_or(Error::<T>::NoEscrow)?;

		if !record.held.is_zero() {
			asset::release::<T>(&record.client, record.held)?;
		}
		Escrows::<T>::remove(job);
		Self::deposit_event(Event::Refunded {
			job_id: job,
			client: record.client,
			amount: record.held,
		});
		Ok(record.held)
	}

	fn escrowed(job: JobId) -> BalanceOf<T> {
		Escrows::<T>::get(job).map_or_else(Zero::zero, |r| r.held)
	}
}

impl<T: Config> Pallet<T> {
	/// Moves `amount` of the job's escrow to `to`; the record stays (possibly at zero) until
	/// `refund` closes it.
	fn pay_out(job: JobId, to: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut record = Escrows::<T>::get(job).ok_or(Error::<T>::NoEscrow)?;
		record.held = record.held.checked_sub(&amount).ok_or(Error::<T>::ExceedsEscrow)?;

		asset::pay::<T>(&record.client, to, amount)?;
		Escrows::<T>::insert(job, record);
		Ok(())
	}
}
