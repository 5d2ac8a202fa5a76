//! Benchmarks for every call and for the agenda (auction closes, deadlines, settlements),
//! each in its worst case: the largest spec, full bid lists, full agendas to search past,
//! closing bidders that all fail to lock their collateral but the last.

use super::*;
use crate::agenda::{AGENDA_SEARCH, MOST_PASSED_ON_CREATE};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{
	result_commitment, Backend, Collateral, ContentRef, JobId, JobSpec, Requirements, Workload,
	MAX_ENTRY_LEN, MAX_URI_LEN,
};
use kiln_support::benchmarking::signed;
use sp_runtime::{
	traits::{One, Saturating},
	Perbill,
};

/// `n` KILN.
fn units<T: Config>(n: u32) -> BalanceOf<T> {
	kiln_support::benchmarking::units(n)
}

fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	kiln_support::benchmarking::funded::<_, T::Currency>(name, i, units::<T>(10_000))
}

/// A registered provider with 5 000 KILN bonded.
fn provider<T: Config>(i: u32) -> Result<T::AccountId, BenchmarkError> {
	kiln_support::benchmarking::registered_provider::<_, T::Currency, T::Collateral, T::Registry>(
		"provider",
		i,
		units::<T>(10_000),
		units::<T>(5_000),
	)
}

fn content(len: u32) -> ContentRef {
	let mut uri = b"https://".to_vec();
	uri.resize(len as usize, b'c');
	ContentRef { hash: [7; 32], len: 1 << 30, uri: uri.try_into().unwrap_or_default() }
}

/// The largest spec: a CUDA job with the longest URIs and entry point.
fn largest_spec<T: Config>() -> JobSpecOf<T> {
	let config = Configuration::<T>::get();
	JobSpec {
		workload: Workload::Cuda {
			source: content(MAX_URI_LEN),
			entry: vec![b'k'; MAX_ENTRY_LEN as usize].try_into().unwrap_or_default(),
			grid: [1_024, 1, 1],
			block: [256, 1, 1],
			input: content(MAX_URI_LEN),
			output_len: 1 << 30,
		},
		requirements: Requirements {
			min_vram_mib: 40_000,
			min_compute_capability: 80,
			gpu_count: 8,
			backend: Backend::Cuda,
			region: None,
			min_reputation: Perbill::zero(),
		},
		max_price: units::<T>(10),
		bidding_blocks: config.bidding_blocks.0,
		execution_blocks: config.execution_blocks.0,
	}
}

fn now<T: Config>() -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number()
}

/// Fills the agendas of the `blocks` blocks from `from` with jobs that do not exist: with
/// `AGENDA_SEARCH - 1`, `schedule` has to search to the last block it tries; with
/// `AGENDA_SEARCH`, `place` searches them all and puts the job in the waiting line.
fn fill_agendas<T: Config>(from: BlockNumberFor<T>, blocks: u32) {
	let mut block = from;
	for _ in 0..blocks {
		let ids: Vec<JobId> = (0..T::MaxJobsPerBlock::get()).map(|i| u64::MAX - i as u64).collect();
		Agenda::<T>::insert(block, BoundedVec::truncate_from(ids));
		block = block.saturating_add(One::one());
	}
}

/// A job of `client` with bids from `bidders` (the first bids lowest).
fn job_with_bids<T: Config>(
	client: &T::AccountId,
	bidders: &[T::AccountId],
) -> Result<JobId, BenchmarkError> {
	let (job, _) = Pallet::<T>::do_create_job(client, largest_spec::<T>())?;
	for (i, who) in bidders.iter().enumerate() {
		Pallet::<T>::do_place_bid(who, job, units::<T>(1).saturating_add((i as u32).into()))?;
	}
	Ok(job)
}

/// `count` registered providers, numbered from `first`.
fn providers<T: Config>(first: u32, count: u32) -> Result<Vec<T::AccountId>, BenchmarkError> {
	(first..first.saturating_add(count)).map(provider::<T>).collect()
}

/// A job whose list takes the most bids (`MaxBidsPerJob`), bid on by the first `bids` of
/// `bidders` registered providers; returns it and all of them.
fn job_bid_on_by<T: Config>(
	bidders: u32,
	bids: u32,
) -> Result<(JobId, Vec<T::AccountId>), BenchmarkError> {
	Configuration::<T>::mutate(|c| c.max_bids_per_job = T::MaxBidsPerJob::get());
	let client = funded::<T>("client", 0);
	let bidders = providers::<T>(0, bidders)?;
	let job = job_with_bids::<T>(&client, &bidders[..bids as usize])?;
	Ok((job, bidders))
}

/// `n` jobs of one client awarded at the same block, each to a provider of its own (so that
/// no storage read is shared between jobs); returns them, their providers and the block their
/// deadline falls on.
fn awarded_jobs<T: Config>(
	n: u32,
) -> Result<(Vec<JobId>, Vec<T::AccountId>, BlockNumberFor<T>), BenchmarkError> {
	let client = funded::<T>("client", 0);
	let winners = providers::<T>(0, n.max(1))?;
	let jobs = winners
		.iter()
		.take(n as usize)
		.map(|winner| job_with_bids::<T>(&client, core::slice::from_ref(winner)))
		.collect::<Result<Vec<_>, _>>()?;
	let close = now::<T>().saturating_add(Configuration::<T>::get().bidding_blocks.0);
	frame_system::Pallet::<T>::set_block_number(close);
	Pallet::<T>::process_agenda(close);
	let deadline = close.saturating_add(Configuration::<T>::get().execution_blocks.0);
	Ok((jobs, winners, deadline))
}

fn commit<T: Config>(provider: &T::AccountId, job: JobId) -> Result<ContentRef, BenchmarkError> {
	let output = content(MAX_URI_LEN);
	Pallet::<T>::do_commit_result(provider, job, result_commitment(&output.hash, &[1; 32]))?;
	Ok(output)
}

/// A job awarded and committed, ready to reveal, with the agendas of `s` blocks from its
/// settlement filled: (job, winner, output, settling block). One agenda access takes the job
/// off its deadline and places its settlement (the runtime's window is the shortest execution
/// already): what `held_reveal_weight`, which keeps that access, relies on.
fn revealable<T: Config>(
	s: u32,
) -> Result<(JobId, T::AccountId, ContentRef, BlockNumberFor<T>), BenchmarkError> {
	Configuration::<T>::mutate(|c| c.verification_window = c.execution_blocks.0);
	let (jobs, winners, _) = awarded_jobs::<T>(1)?;
	let output = commit::<T>(&winners[0], jobs[0])?;
	let window = Configuration::<T>::get().verification_window;
	let settles = now::<T>().saturating_add(window);
	let deadline = Jobs::<T>::get(jobs[0]).map(|job| job.deadline);
	assert_eq!(deadline, Some(settles), "the deadline falls on the settling block");
	fill_agendas::<T>(settles, s);
	Ok((jobs[0], winners[0].clone(), output, settles))
}

/// The settlement placed past `s` full agendas (in line when all were), the hint written
/// exactly when one was read. Called as a statement, never as a benchmark's last expression:
/// the macro runs that one in every measured repeat, outside `verify`, and counts its reads
/// (its read of the line's ends was charged to every reveal until 2026-11-30).
fn settled_past<T: Config>(
	job: JobId,
	settles: BlockNumberFor<T>,
	s: u32,
) -> Result<(), BenchmarkError> {
	let waits = s == AGENDA_SEARCH;
	let line = crate::agenda::JobAgenda::<T>::line();
	assert_eq!(line, if waits { vec![(settles, job)] } else { vec![] });
	let landed = if waits { settles } else { settles.saturating_add(s.into()) };
	let record = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?;
	assert!(
		matches!(record.state, JobState::Revealed { settles_at: Some(at), .. } if at == landed)
	);
	assert_eq!(crate::AgendaHint::<T>::get().is_some(), s > 0);
	Ok(())
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The largest spec; the close passes over `s` full agendas (up to the last block
	/// `schedule` tries), the deadline over the rest.
	#[benchmark]
	fn create_job(s: Linear<0, MOST_PASSED_ON_CREATE>) -> Result<(), BenchmarkError> {
		// The harness moves block 0 to 1 before the call: start there, so that the agendas
		// filled here are the ones the call searches.
		frame_system::Pallet::<T>::set_block_number(One::one());
		let client = funded::<T>("client", 0);
		let spec = largest_spec::<T>();
		let execution = spec.execution_blocks;
		let (close_passed, deadline_passed) =
			(s.min(AGENDA_SEARCH - 1), s.saturating_sub(AGENDA_SEARCH - 1));
		let close = now::<T>().saturating_add(spec.bidding_blocks);
		fill_agendas::<T>(close, close_passed);
		let last = close.saturating_add(close_passed.into());
		fill_agendas::<T>(last.saturating_add(execution), deadline_passed);

		let origin = signed::<T>(&client);
		#[extrinsic_call]
		_(origin, spec);

		let job = Jobs::<T>::get(0).ok_or(BenchmarkError::Stop("no job"))?;
		assert_eq!(job.bidding_ends, last);
		assert_eq!(
			job.deadline,
			last.saturating_add(execution).saturating_add(deadline_passed.into())
		);
		Ok(())
	}

	/// `b` bids already there, the list not full; the caller's is a new one.
	#[benchmark]
	fn place_bid(b: Linear<0, { T::MaxBidsPerJob::get() - 1 }>) -> Result<(), BenchmarkError> {
		let (job, bidders) = job_bid_on_by::<T>(b + 1, b)?;
		let caller = bidders[b as usize].clone();

		let origin = signed::<T>(&caller);
		#[extrinsic_call]
		place_bid(origin, job, units::<T>(1));

		assert_eq!(Bids::<T>::get(job).len() as u32, b + 1);
		Ok(())
	}

	/// A full list of the most bids; the caller's new bid is the cheapest, so the dearest
	/// leaves and its deposit goes back.
	#[benchmark]
	fn place_bid_evicting() -> Result<(), BenchmarkError> {
		let max = T::MaxBidsPerJob::get();
		let (job, bidders) = job_bid_on_by::<T>(max + 1, max)?;
		let caller = bidders[max as usize].clone();
		let dearest = bidders[max as usize - 1].clone();

		let origin = signed::<T>(&caller);
		#[extrinsic_call]
		place_bid(origin, job, units::<T>(1));

		let bids = Bids::<T>::get(job);
		assert_eq!(bids.len() as u32, max);
		assert!(bids.iter().any(|b| b.provider == caller));
		assert!(!bids.iter().any(|b| b.provider == dearest));
		Ok(())
	}

	/// `b` bids; the caller's is the last, and it changes its price (its deposit stays).
	#[benchmark]
	fn change_bid(b: Linear<1, { T::MaxBidsPerJob::get() }>) -> Result<(), BenchmarkError> {
		let (job, bidders) = job_bid_on_by::<T>(b, b)?;
		let caller = bidders[b as usize - 1].clone();

		let origin = signed::<T>(&caller);
		#[extrinsic_call]
		place_bid(origin, job, units::<T>(1));

		let bids = Bids::<T>::get(job);
		assert_eq!(bids.len() as u32, b);
		assert!(bids.iter().any(|bid| bid.provider == caller && bid.price == units::<T>(1)));
		Ok(())
	}

	/// `b` bids; the caller's is the last.
	#[benchmark]
	fn retract_bid(b: Linear<1, { T::MaxBidsPerJob::get() }>) -> Result<(), BenchmarkError> {
		let client = funded::<T>("client", 0);
		let bidders = providers::<T>(0, b)?;
		let job = job_with_bids::<T>(&client, &bidders)?;
		let caller = bidders[b as usize - 1].clone();

		let origin = signed::<T>(&caller);
		#[extrinsic_call]
		_(origin, job);

		assert_eq!(Bids::<T>::get(job).len() as u32, b - 1);
		Ok(())
	}

	#[benchmark]
	fn cancel_job(b: Linear<0, { T::MaxBidsPerJob::get() }>) -> Result<(), BenchmarkError> {
		let client = funded::<T>("client", 0);
		let bidders = providers::<T>(0, b)?;
		let job = job_with_bids::<T>(&client, &bidders)?;

		let origin = signed::<T>(&client);
		#[extrinsic_call]
		_(origin, job);

		assert!(!Bids::<T>::contains_key(job));
		Ok(())
	}

	#[benchmark]
	fn commit_result() -> Result<(), BenchmarkError> {
		let (jobs, winners, _) = awarded_jobs::<T>(1)?;

		let origin = signed::<T>(&winners[0]);
		#[extrinsic_call]
		_(origin, jobs[0], [3; 32]);

		Ok(())
	}

	/// The settlement placed past `s` ≥ 1 full agendas, which rewrites the agenda's hint (at
	/// `AGENDA_SEARCH`, every block searched was full: it waits in line).
	#[benchmark]
	fn reveal_result(s: Linear<1, AGENDA_SEARCH>) -> Result<(), BenchmarkError> {
		let (job, winner, output, settles) = revealable::<T>(s)?;

		#[extrinsic_call]
		_(signed::<T>(&winner), job, output, [1; 32]);

		settled_past::<T>(job, settles, s)?;
		Ok(())
	}

	/// The settlement placed at once (the hint read, not written).
	#[benchmark]
	fn reveal_result_room() -> Result<(), BenchmarkError> {
		let (job, winner, output, settles) = revealable::<T>(0)?;

		#[extrinsic_call]
		reveal_result(signed::<T>(&winner), job, output, [1; 32]);

		settled_past::<T>(job, settles, 0)?;
		Ok(())
	}

	#[benchmark]
	fn drop_job() -> Result<(), BenchmarkError> {
		let client = funded::<T>("client", 0);
		let job = job_with_bids::<T>(&client, &[])?;
		let close = now::<T>().saturating_add(Configuration::<T>::get().bidding_blocks.0);
		Pallet::<T>::process_agenda(close);
		let later = close.saturating_add(Configuration::<T>::get().retention_blocks);
		frame_system::Pallet::<T>::set_block_number(later);

		// Anyone may drop the record and the deposit goes back to the client, so the caller's
		// account is not whitelisted: the client's, read and written, is another's.
		#[extrinsic_call]
		_(frame_system::RawOrigin::Signed(client), job);

		assert!(!Jobs::<T>::contains_key(job));
		Ok(())
	}

	#[benchmark]
	fn configure() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut config = Configuration::<T>::get();
		config.second_price = !config.second_price;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, config.clone());

		assert_eq!(Configuration::<T>::get(), config);
		Ok(())
	}

	/// `n` auctions close in one block, each with a full bid list (`MaxBidsPerJob`) from
	/// bidders of its own (no storage read shared between jobs); every bidder but the last has
	/// locked all its collateral elsewhere, so each close tries every bid before it awards.
	/// (The cost grows with jobs × bids, so the agenda charges every close as one at a full
	/// bid list.)
	#[benchmark]
	fn close_auctions(n: Linear<0, { T::MaxJobsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		let b = Configuration::<T>::get().max_bids_per_job.min(T::MaxBidsPerJob::get());
		let client = funded::<T>("client", 0);
		for j in 0..n {
			let bidders = providers::<T>(j.saturating_mul(b), b)?;
			job_with_bids::<T>(&client, &bidders)?;
			for who in bidders.iter().take((b as usize).saturating_sub(1)) {
				T::Collateral::lock(who, T::Collateral::free(who))?;
			}
		}
		let close = now::<T>().saturating_add(Configuration::<T>::get().bidding_blocks.0);
		frame_system::Pallet::<T>::set_block_number(close);

		#[block]
		{
			Pallet::<T>::process_agenda(close);
		}

		let awarded = Jobs::<T>::iter_values().filter(|j| j.award.is_some()).count() as u32;
		assert_eq!(awarded, if b > 0 { n } else { 0 });
		Ok(())
	}

	/// `n` awarded jobs miss their deadline in one block.
	#[benchmark]
	fn fail_jobs(n: Linear<0, { T::MaxJobsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		let (_, _, deadline) = awarded_jobs::<T>(n)?;
		frame_system::Pallet::<T>::set_block_number(deadline);

		#[block]
		{
			Pallet::<T>::process_agenda(deadline);
		}

		let failed = Jobs::<T>::iter_values()
			.filter(|j| matches!(j.state, JobState::Failed { .. }))
			.count() as u32;
		assert_eq!(failed, n);
		Ok(())
	}

	/// `n` revealed jobs settle in one block.
	#[benchmark]
	fn settle_jobs(n: Linear<0, { T::MaxJobsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		let (jobs, winners, _) = awarded_jobs::<T>(n)?;
		for (job, winner) in jobs.iter().zip(&winners) {
			let output = commit::<T>(winner, *job)?;
			Pallet::<T>::do_reveal_result(winner, *job, output, [1; 32])?;
		}
		let settle = now::<T>().saturating_add(Configuration::<T>::get().verification_window);
		frame_system::Pallet::<T>::set_block_number(settle);

		#[block]
		{
			Pallet::<T>::process_agenda(settle);
		}

		let completed = Jobs::<T>::iter_values()
			.filter(|j| matches!(j.state, JobState::Completed { .. }))
			.count() as u32;
		assert_eq!(completed, n);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}

/// A job of `client` awarded to the registered `provider` with `output_hash` committed and,
/// if `reveal`, revealed (for other pallets' benchmarks, through
/// `VerifiedMarket::job_for_benchmark`).
pub fn job_for_benchmark<T: Config>(
	client: &T::AccountId,
	provider: &T::AccountId,
	gemm: bool,
	output_hash: [u8; 32],
	reveal: bool,
) -> Result<JobId, sp_runtime::DispatchError> {
	use kiln_primitives::VerifiedMarket;
	T::Currency::set_balance(client, units::<T>(10_000));
	let mut spec = largest_spec::<T>();
	if gemm {
		spec.workload = Workload::Gemm {
			m: kiln_primitives::MAX_GEMM_DIM,
			n: kiln_primitives::MAX_GEMM_DIM,
			k: kiln_primitives::MAX_GEMM_DIM,
			seed: [9; 32],
		};
	}
	let (job_id, _) = Pallet::<T>::do_create_job(client, spec)?;
	Pallet::<T>::do_place_bid(provider, job_id, units::<T>(1))?;
	let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
	Pallet::<T>::unschedule(job_id, job.bidding_ends);
	Pallet::<T>::close_auction(job_id, job, now::<T>());
	let salt = [1; 32];
	Pallet::<T>::do_commit_result(provider, job_id, result_commitment(&output_hash, &salt))?;
	if reveal {
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::NoSuchJob)?;
		if matches!(job.state, JobState::Committed { reveal: crate::RevealRequest::NotYet, .. }) {
			let reveal_by = now::<T>().saturating_add(Configuration::<T>::get().execution_blocks.0);
			Pallet::<T>::release(job_id, reveal_by)?;
		}
		let output = ContentRef { hash: output_hash, ..content(MAX_URI_LEN) };
		Pallet::<T>::do_reveal_result(provider, job_id, output, salt)?;
	}
	Ok(job_id)
}
