//! The logic of the calls that are not about bids (those are in `auction.rs`). Each function
//! checks everything first, then moves funds and writes (a failing call's writes are reverted
//! by FRAME anyway), then emits its event.

use crate::{
	asset, BalanceOf, Bids, Config, ConfigRecordOf, Configuration, Error, Event, Job, JobSpecOf,
	JobState, Jobs, Pallet, RefusalCounts, RevealRequest, Totals, WeightInfo,
};
use codec::Encode;
use frame_support::{ensure, traits::Get, weights::Weight};
use kiln_primitives::{
	result_commitment, CommitDecision, ContentRef, JobEscrow, JobId, JobSpecError, RevealDecision,
	Verification, UNAVAILABLE,
};
use kiln_support::Searched;
use sp_runtime::{
	traits::{CheckedAdd, CheckedMul, Saturating, UniqueSaturatedInto, Zero},
	DispatchError, DispatchResult,
};

impl<T: Config> From<JobSpecError> for Error<T> {
	fn from(e: JobSpecError) -> Self {
		match e {
			JobSpecError::ZeroPrice => Error::<T>::ZeroMaxPrice,
			JobSpecError::GemmDimension => Error::<T>::InvalidGemmDimension,
			JobSpecError::CudaLaunch => Error::<T>::InvalidCudaLaunch,
			JobSpecError::NoFuel => Error::<T>::NoFuel,
			JobSpecError::EmptyUri => Error::<T>::EmptyUri,
			JobSpecError::Window => Error::<T>::WindowOutOfBounds,
		}
	}
}

impl<T: Config> Pallet<T> {
	/// `deposit_base + deposit_per_byte × encoded spec size`.
	pub fn job_deposit(
		config: &ConfigRecordOf<T>,
		spec: &JobSpecOf<T>,
	) -> Result<BalanceOf<T>, Error<T>> {
		let bytes: BalanceOf<T> = (spec.encoded_size() as u32).into();
		config
			.deposit_per_byte
			.checked_mul(&bytes)
			.and_then(|b| b.checked_add(&config.deposit_base))
			.ok_or(Error::<T>::Overflow)
	}

	/// Creates `client`'s job; returns its id and how many full agendas its close and its
	/// deadline passed over (what `create_job` is charged by).
	pub(crate) fn do_create_job(
		client: &T::AccountId,
		spec: JobSpecOf<T>,
	) -> Result<(JobId, u32), DispatchError> {
		let config = Configuration::<T>::get();
		spec.validate(config.bidding_blocks, config.execution_blocks).map_err(Error::<T>::from)?;
		let escrowed = config
			.verification_budget(spec.max_price)
			.and_then(|budget| spec.max_price.checked_add(&budget))
			.ok_or(Error::<T>::Overflow)?;
		let deposit = Self::job_deposit(&config, &spec)?;
		let total = escrowed.checked_add(&deposit).ok_or(Error::<T>::Overflow)?;
		ensure!(asset::can_hold::<T>(client, total), Error::<T>::InsufficientBalance);
		// The count of jobs created is the next id (one read and write for both).
		let mut totals = Totals::<T>::get();
		let job_id = totals.jobs_created;
		totals.jobs_created = job_id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let now = frame_system::Pallet::<T>::block_number();

		let wanted_close = now.saturating_add(spec.bidding_blocks);
		let bidding_ends = Self::schedule(job_id, wanted_close)?;
		let wanted_deadline = bidding_ends.saturating_add(spec.execution_blocks);
		let deadline = Self::schedule(job_id, wanted_deadline)?;
		let passed: u32 = bidding_ends
			.saturating_sub(wanted_close)
			.saturating_add(deadline.saturating_sub(wanted_deadline))
			.unique_saturated_into();
		if !deposit.is_zero() {
			asset::hold::<T>(client, deposit)?;
		}
		T::Escrow::lock(job_id, client, escrowed)?;
		let max_price = spec.max_price;
		Jobs::<T>::insert(
			job_id,
			Job {
				client: client.clone(),
				spec,
				deposit,
				escrowed,
				created_at: now,
				bidding_ends,
				deadline,
				state: JobState::Bidding,
				award: None,
				refusals: RefusalCounts::default(),
			},
		);
		Totals::<T>::put(totals);
		Self::deposit_event(Event::JobCreated {
			job_id,
			client: client.clone(),
			max_price,
			bidding_ends,
		});
		Ok((job_id, passed))
	}

	/// Cancels a job whose auction runs; returns how many bids it had.
	pub(crate) fn do_cancel_job(
		client: &T::AccountId,
		job_id: JobId,
	) -> Result<u32, DispatchError> {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		ensure!(job.client == *client, Error::<T>::NotClient);
		ensure!(job.state == JobState::Bidding, Error::<T>::BiddingClosed);
		let now = frame_system::Pallet::<T>::block_number();

		let bids = Bids::<T>::take(job_id);
		// Cancelled by the client: every bidder gets its deposit back.
		Self::return_deposits(&bids);
		let bids = bids.len() as u32;
		T::Escrow::refund(job_id)?;
		Self::unschedule(job_id, job.bidding_ends);
		Self::unschedule(job_id, job.deadline);
		job.state = JobState::Cancelled { at: now };
		Self::count(|totals| totals.jobs_cancelled.saturating_inc());
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobCancelled { job_id });
		Ok(bids)
	}

	/// Commits `provider`'s result; returns the weight it took (its benchmark and the path
	/// verification took).
	pub(crate) fn do_commit_result(
		provider: &T::AccountId,
		job_id: JobId,
		commitment: [u8; 32],
	) -> Result<Weight, DispatchError> {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		ensure!(job.state == JobState::Awarded, Error::<T>::NotAwarded);
		let award = job.award.as_ref().ok_or(Error::<T>::NotAwarded)?;
		ensure!(award.provider == *provider, Error::<T>::NotProvider);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < job.deadline, Error::<T>::DeadlinePassed);

		// The benchmark measured the runtime's verification asking for the reveal at once:
		// that path is charged twice (on the safe side).
		let (decision, verified) = T::Verification::on_commit(job_id, provider, &job.client);
		let mut weight = T::WeightInfo::commit_result().saturating_add(verified);
		let reveal = match decision {
			CommitDecision::RevealNow => RevealRequest::ByMarket,
			CommitDecision::Hold => {
				// Verification owns the timing now; `release` or `request_reveal` sets the reveal
				// deadline.
				Self::unschedule(job_id, job.deadline);
				weight.saturating_accrue(Self::held_commit_weight());
				RevealRequest::NotYet
			},
		};
		job.state = JobState::Committed { commitment, reveal };
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::ResultCommitted { job_id, provider: provider.clone() });
		if reveal == RevealRequest::ByMarket {
			Self::deposit_event(Event::RevealRequested { job_id });
		}
		Ok(weight)
	}

	/// Taking a held result's deadline off its agenda: not in `commit_result`'s benchmark
	/// (which asks for the reveal at once).
	pub fn held_commit_weight() -> Weight {
		T::DbWeight::get().reads_writes(1, 1)
	}

	pub(crate) fn do_reveal_result(
		provider: &T::AccountId,
		job_id: JobId,
		output: ContentRef,
		salt: [u8; 32],
	) -> Result<Weight, DispatchError> {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		let JobState::Committed { commitment, reveal } = job.state else {
			return Err(Error::<T>::RevealNotRequested.into());
		};
		ensure!(reveal != RevealRequest::NotYet, Error::<T>::RevealNotRequested);
		let award = job.award.as_ref().ok_or(Error::<T>::NotAwarded)?;
		ensure!(award.provider == *provider, Error::<T>::NotProvider);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
		ensure!(!output.uri.is_empty(), Error::<T>::EmptyUri);
		ensure!(output.hash != UNAVAILABLE, Error::<T>::ReservedOutputHash);
		ensure!(
			result_commitment(&output.hash, &salt) == commitment,
			Error::<T>::CommitmentMismatch
		);

		// Off the deadline's agenda first (the market's own deadline only): the settlement may
		// fall on the same block.
		if reveal == RevealRequest::ByMarket {
			Self::unschedule(job_id, job.deadline);
		}
		// The benchmark measured the runtime's verification settling after the window: that
		// path is charged twice (on the safe side).
		let gemm = job.spec.workload.gemm();
		let (decision, verified) = T::Verification::on_reveal(job_id, provider, &output.hash, gemm);
		let (settles_at, weight) = match decision {
			RevealDecision::SettleAfterWindow => {
				// Never refused for want of room: an honest reveal must not fail because someone
				// filled the agendas (the settlement waits in line instead).
				let window = Configuration::<T>::get().verification_window;
				let placed = Self::place_hinted(job_id, now.saturating_add(window));
				(Some(placed.at), Self::reveal_weight(placed.search))
			},
			RevealDecision::Hold => (None, Self::held_reveal_weight()),
		};
		job.state = JobState::Revealed { output: output.clone(), settles_at };
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::ResultRevealed { job_id, output, settles_at });
		Ok(weight.saturating_add(verified))
	}

	/// `reveal_result` with its settlement placed as `search` says (the market's part).
	pub fn reveal_weight(search: Searched) -> Weight {
		search
			.weight::<T::DbWeight>(T::WeightInfo::reveal_result_room, T::WeightInfo::reveal_result)
	}

	/// `reveal_result` of a result verification holds (the market's part): the benchmark of a
	/// settlement placed at once without the three reads only a settlement does (the
	/// configuration's window, the agenda's hint, and the spot-check the runtime's
	/// verification looks up on that path, which verification's own weight charges on this
	/// one). The settlement's agenda read and write stay charged: in the benchmark the
	/// deadline falls on the settling block, so that one agenda access also takes the job off
	/// its deadline, which this path does too.
	pub fn held_reveal_weight() -> Weight {
		T::WeightInfo::reveal_result_room().saturating_sub(T::DbWeight::get().reads(3))
	}

	pub(crate) fn do_drop_job(job_id: JobId) -> DispatchResult {
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		let ended_at = job.state.ended_at().ok_or(Error::<T>::NotFinished)?;
		let now = frame_system::Pallet::<T>::block_number();
		let retention = Configuration::<T>::get().retention_blocks;
		ensure!(now >= ended_at.saturating_add(retention), Error::<T>::TooEarly);

		if !job.deposit.is_zero() {
			asset::release::<T>(&job.client, job.deposit)?;
		}
		Jobs::<T>::remove(job_id);
		crate::Outcomes::<T>::remove(job_id);
		Self::deposit_event(Event::JobDropped { job_id });
		Ok(())
	}

	pub(crate) fn do_configure(config: ConfigRecordOf<T>) -> DispatchResult {
		config
			.validate(T::MaxBidsPerJob::get())
			.map_err(|field| Error::<T>::InvalidConfiguration { field })?;
		Configuration::<T>::put(&config);
		Self::deposit_event(Event::ConfigurationSet { config });
		Ok(())
	}
}
