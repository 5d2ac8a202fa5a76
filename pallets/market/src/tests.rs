//! Every call and its error paths; the agenda; settlement and missed deadlines with exact
//! balances. `try_state` of all four pallets runs after each test.

use crate::{mock::*, BidRefusal, Bids, Error, Event, JobState, Jobs};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{Pays, PostDispatchInfo},
	traits::fungible::{InspectHold, Mutate},
};
use kiln_primitives::{
	result_commitment, Collateral as _, ContentRef, Ineligibility, JobEscrow, JobId,
	ProviderRegistry, Workload,
};
use sp_runtime::{DispatchError, Perbill};

pub fn create(client: AccountId, max_price: Balance) -> JobId {
	assert_ok!(Market::create_job(RuntimeOrigin::signed(client), spec(max_price)));
	Market::next_job_id() - 1
}

pub fn bid(provider: AccountId, job: JobId, price: Balance) {
	assert_ok!(Market::place_bid(RuntimeOrigin::signed(provider), job, price));
}

pub fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

pub fn deposit_of(max_price: Balance) -> Balance {
	DEPOSIT_BASE + spec(max_price).encoded_size() as Balance
}

/// A job of CLIENT awarded to P1 at `price` (block 6).
pub fn awarded(max_price: Balance, price: Balance) -> JobId {
	let job = create(CLIENT, max_price);
	bid(P1, job, price);
	run_to_block(1 + BIDDING);
	assert!(matches!(Jobs::<Test>::get(job).unwrap().state, JobState::Awarded));
	job
}

const SALT: [u8; 32] = [9; 32];

pub fn commit_and_reveal(provider: AccountId, job: JobId) -> ContentRef {
	let out = output(b"the result");
	assert_ok!(Market::commit_result(
		RuntimeOrigin::signed(provider),
		job,
		result_commitment(&out.hash, &SALT)
	));
	assert_ok!(Market::reveal_result(RuntimeOrigin::signed(provider), job, out.clone(), SALT));
	out
}

#[test]
fn create_job_escrows_the_price_and_holds_a_deposit() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		let deposit = deposit_of(1_000);
		assert_eq!(free(CLIENT), INITIAL_BALANCE - 1_000 - VERIFICATION_FEE - deposit);
		assert_eq!(Escrow::escrowed(job), 1_000 + VERIFICATION_FEE);
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!((record.deposit, record.bidding_ends, record.deadline), (deposit, 6, 16));
		assert_eq!(record.state, JobState::Bidding);
		assert_eq!(
			last_event(),
			Event::JobCreated { job_id: job, client: CLIENT, max_price: 1_000, bidding_ends: 6 }
		);
		assert_eq!(create(CLIENT, 500), job + 1);
	});
}

#[test]
fn create_job_names_what_is_wrong_with_a_spec() {
	build_and_execute(|| {
		let refused = |spec, error: Error<Test>| {
			assert_noop!(Market::create_job(RuntimeOrigin::signed(CLIENT), spec), error);
		};
		let mut s = spec(0);
		refused(s.clone(), Error::ZeroMaxPrice);
		for (bidding, execution) in [(1, 10), (21, 10), (5, 1), (5, 51)] {
			s = spec(100);
			s.bidding_blocks = bidding;
			s.execution_blocks = execution;
			refused(s, Error::WindowOutOfBounds);
		}
		s = spec(100);
		s.workload = Workload::Gemm { m: 0, n: 1, k: 1, seed: [0; 32] };
		refused(s.clone(), Error::InvalidGemmDimension);
		s.workload = Workload::Wasm { module: output(b"m"), input: output(b"i"), fuel: 0 };
		refused(s.clone(), Error::NoFuel);
		let mut nowhere = output(b"m");
		nowhere.uri = Default::default();
		s.workload = Workload::Wasm { module: nowhere, input: output(b"i"), fuel: 1 };
		refused(s.clone(), Error::EmptyUri);
		s.workload = Workload::Cuda {
			source: output(b"s"),
			entry: Default::default(),
			grid: [1, 1, 1],
			block: [1, 1, 1],
			input: output(b"i"),
			output_len: 4,
		};
		refused(s, Error::InvalidCudaLaunch);
		// The escrow, the deposit and the existential deposit must all fit.
		let poor = 31;
		Balances::set_balance(&poor, 1_000 + VERIFICATION_FEE + deposit_of(1_000));
		assert_noop!(
			Market::create_job(RuntimeOrigin::signed(poor), spec(1_000)),
			Error::<Test>::InsufficientBalance
		);
		Balances::set_balance(&poor, 1_000 + VERIFICATION_FEE + deposit_of(1_000) + ED);
		assert_ok!(Market::create_job(RuntimeOrigin::signed(poor), spec(1_000)));
	});
}

#[test]
fn a_full_agenda_pushes_jobs_to_later_blocks_then_refuses() {
	use crate::WeightInfo as _;
	use frame_support::dispatch::GetDispatchInfo;
	type W = <Test as crate::Config>::WeightInfo;
	build_and_execute(|| {
		// Charged before dispatch: both searches passing over every agenda but the last.
		let call = crate::Call::<Test>::create_job { spec: spec(100) };
		let most = crate::agenda::MOST_PASSED_ON_CREATE;
		assert_eq!(most, 2 * (crate::agenda::AGENDA_SEARCH - 1));
		assert_eq!(call.get_dispatch_info().call_weight, W::create_job(most));
		// 3 jobs per block, searched over 10 blocks: closes on 6..=15, deadlines on 16..=25.
		// Each is charged, after dispatch, for the full agendas it passed over: its close
		// passes over i / 3, its deadline (moved as far) none.
		for i in 0..30u64 {
			let post = Market::create_job(RuntimeOrigin::signed(CLIENT), spec(100)).unwrap();
			let passed = (i / 3) as u32;
			assert_eq!(post.actual_weight, Some(W::create_job(passed)), "job {i}");
			let job = Market::next_job_id() - 1;
			let record = Jobs::<Test>::get(job).unwrap();
			assert_eq!(record.bidding_ends, 6 + i / 3, "job {i}");
			assert_eq!(record.deadline, 16 + i / 3, "job {i}");
		}
		assert!(W::create_job(0).all_lt(W::create_job(most)), "passing over agendas costs");
		assert_noop!(
			Market::create_job(RuntimeOrigin::signed(CLIENT), spec(100)),
			Error::<Test>::AgendaFull
		);
		// Every auction closes (expires) on its block and the agenda empties.
		run_to_block(30);
		assert_eq!(crate::Agenda::<Test>::iter().count(), 0);
		assert_eq!(events().iter().filter(|e| matches!(e, Event::JobExpired { .. })).count(), 30);
	});
}

#[test]
fn place_bid_stores_and_replaces_bids() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		bid(P1, job, 800);
		assert_eq!(last_event(), Event::BidPlaced { job_id: job, provider: P1, price: 800 });
		bid(P2, job, 700);
		bid(P1, job, 600);
		let bids = Bids::<Test>::get(job);
		assert_eq!(
			bids.iter().map(|b| (b.provider, b.price)).collect::<Vec<_>>(),
			vec![(P2, 700), (P1, 600)]
		);
	});
}

#[test]
fn place_bid_refuses_malformed_bids_with_errors() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		let bid_err = |who, job, price, error: Error<Test>| {
			assert_noop!(Market::place_bid(RuntimeOrigin::signed(who), job, price), error);
		};
		bid_err(P1, 99, 100, Error::NoSuchJob);
		bid_err(P1, job, 0, Error::ZeroPrice);
		bid_err(P1, job, 1_001, Error::PriceAboveMax);
		// A client that is also a provider cannot bid on its own job.
		let own = create(P2, 1_000);
		bid_err(P2, own, 500, Error::OwnJob);
		// Full bid list (4): a fifth provider not cheaper than the dearest is refused, a
		// bidder may still change its bid.
		for p in [14, 15] {
			register(p, profile(1, 24_564, 89, *b"DE"));
		}
		for p in [P1, P2, P3, 14] {
			bid(p, job, 500);
		}
		bid_err(15, job, 500, Error::TooManyBids);
		bid(14, job, 400);
		run_to_block(1 + BIDDING);
		bid_err(15, job, 400, Error::BiddingClosed);
	});
}

#[test]
fn ineligible_bids_are_refused_with_the_reason_and_counted() {
	build_and_execute(|| {
		// One provider per reason.
		register(14, profile(1, 8_192, 89, *b"DE")); // VRAM
		register(15, profile(1, 24_564, 75, *b"DE")); // compute capability
		let mut cuda_less = profile(1, 24_564, 89, *b"DE");
		cuda_less.backends.cuda = false;
		register(16, cuda_less); // backend
		register(17, profile(1, 24_564, 89, *b"FR")); // region
		assert_ok!(Providers::pause(RuntimeOrigin::signed(P3))); // paused
														   // Bonded exactly its minimum (200): cannot lock 100 + price for price 150.
		assert_ok!(pallet_collateral::Pallet::<Test>::bond(RuntimeOrigin::signed(18), 200));
		assert_ok!(Providers::register(
			RuntimeOrigin::signed(18),
			profile(1, 24_564, 89, *b"DE"),
			b"https://w.example.org".to_vec().try_into().unwrap()
		));

		let mut s = spec(1_000);
		s.requirements.region = Some(kiln_primitives::Region(*b"DE"));
		assert_ok!(Market::create_job(RuntimeOrigin::signed(CLIENT), s));
		let job = Market::next_job_id() - 1;
		let cases = [
			(STRANGER, BidRefusal::Ineligible(Ineligibility::NotProvider)),
			(P3, BidRefusal::Ineligible(Ineligibility::Paused)),
			(16, BidRefusal::Ineligible(Ineligibility::Backend)),
			(17, BidRefusal::Ineligible(Ineligibility::Region)),
			(14, BidRefusal::Ineligible(Ineligibility::Vram)),
			(15, BidRefusal::Ineligible(Ineligibility::ComputeCapability)),
			(18, BidRefusal::Collateral),
		];
		for (who, reason) in cases {
			let before = free(who);
			assert_ok!(Market::place_bid(RuntimeOrigin::signed(who), job, 150));
			assert_eq!(last_event(), Event::BidRefused { job_id: job, provider: who, reason });
			assert_eq!(free(who), before);
		}
		// 18 can bid a price whose collateral fits (100 + 100 = 200).
		bid(18, job, 100);
		assert_eq!(Bids::<Test>::get(job).len(), 1);
		let refusals = Jobs::<Test>::get(job).unwrap().refusals;
		assert_eq!(
			(
				refusals.not_provider,
				refusals.paused,
				refusals.backend,
				refusals.region,
				refusals.vram,
				refusals.compute_capability,
				refusals.collateral
			),
			(1, 1, 1, 1, 1, 1, 1)
		);
		assert_eq!(refusals.total(), 7);

		// GPU count and reputation.
		let mut s = spec(1_000);
		s.requirements.gpu_count = 2;
		assert_ok!(Market::create_job(RuntimeOrigin::signed(CLIENT), s));
		let two_gpus = Market::next_job_id() - 1;
		assert_ok!(Market::place_bid(RuntimeOrigin::signed(P1), two_gpus, 150));
		let mut s = spec(1_000);
		s.requirements.min_reputation = Perbill::from_percent(60);
		assert_ok!(Market::create_job(RuntimeOrigin::signed(CLIENT), s));
		let trusted = Market::next_job_id() - 1;
		assert_ok!(Market::place_bid(RuntimeOrigin::signed(P1), trusted, 150));
		assert_eq!(Jobs::<Test>::get(two_gpus).unwrap().refusals.gpu_count, 1);
		assert_eq!(Jobs::<Test>::get(trusted).unwrap().refusals.reputation, 1);
		assert_eq!(
			last_event(),
			Event::BidRefused {
				job_id: trusted,
				provider: P1,
				reason: BidRefusal::Ineligible(Ineligibility::Reputation)
			}
		);
	});
}

#[test]
fn retract_bid_removes_only_the_callers_bid() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		assert_noop!(Market::retract_bid(RuntimeOrigin::signed(P1), 42), Error::<Test>::NoSuchJob);
		assert_noop!(Market::retract_bid(RuntimeOrigin::signed(P1), job), Error::<Test>::NoBid);
		bid(P1, job, 500);
		bid(P2, job, 600);
		let client = free(CLIENT);
		assert_ok!(Market::retract_bid(RuntimeOrigin::signed(P1), job));
		assert!(events().contains(&Event::BidRetracted { job_id: job, provider: P1 }));
		// A retracted bid's deposit goes to the client.
		assert_eq!(
			last_event(),
			Event::BidDepositForfeited { job_id: job, provider: P1, amount: BID_DEPOSIT }
		);
		assert_eq!(free(CLIENT), client + BID_DEPOSIT);
		assert_eq!(Bids::<Test>::get(job).iter().map(|b| b.provider).collect::<Vec<_>>(), vec![P2]);
		assert_ok!(Market::retract_bid(RuntimeOrigin::signed(P2), job));
		assert!(!Bids::<Test>::contains_key(job));
		bid(P1, job, 500);
		run_to_block(1 + BIDDING);
		assert_noop!(
			Market::retract_bid(RuntimeOrigin::signed(P1), job),
			Error::<Test>::BiddingClosed
		);
	});
}

#[test]
fn cancel_job_refunds_the_escrow_before_the_award() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		bid(P1, job, 500);
		assert_noop!(
			Market::cancel_job(RuntimeOrigin::signed(OTHER_CLIENT), job),
			Error::<Test>::NotClient
		);
		assert_noop!(
			Market::cancel_job(RuntimeOrigin::signed(CLIENT), 7),
			Error::<Test>::NoSuchJob
		);
		assert_ok!(Market::cancel_job(RuntimeOrigin::signed(CLIENT), job));
		assert_eq!(last_event(), Event::JobCancelled { job_id: job });
		assert_eq!(free(CLIENT), INITIAL_BALANCE - deposit_of(1_000));
		assert_eq!(Escrow::escrowed(job), 0);
		assert!(!Bids::<Test>::contains_key(job));
		assert_eq!(crate::Agenda::<Test>::iter().count(), 0);
		assert_noop!(
			Market::cancel_job(RuntimeOrigin::signed(CLIENT), job),
			Error::<Test>::BiddingClosed
		);
		// Once awarded, too late.
		let job = awarded(1_000, 500);
		assert_noop!(
			Market::cancel_job(RuntimeOrigin::signed(CLIENT), job),
			Error::<Test>::BiddingClosed
		);
	});
}

#[test]
fn a_revealed_result_settles_after_the_window_with_exact_payouts() {
	build_and_execute(|| {
		let treasury = free(TREASURY);
		let p1 = free(P1);
		let job = awarded(1_000, 600);
		// The winner locked 100 + 600 of its bond.
		assert_eq!(pallet_collateral::Pallet::<Test>::free(&P1), PROVIDER_BOND - 700);
		assert_eq!(
			events()[events().len() - 1],
			Event::JobAwarded { job_id: job, provider: P1, price: 600, deadline: 16 }
		);
		let out = commit_and_reveal(P1, job);
		let revealed_at = System::block_number();
		assert_eq!(
			last_event(),
			Event::ResultRevealed {
				job_id: job,
				output: out,
				settles_at: Some(revealed_at + WINDOW)
			}
		);
		run_to_block(revealed_at + WINDOW - 1);
		assert_eq!(free(P1), p1);
		run_to_block(revealed_at + WINDOW);
		// Fee 10 % of 600 to the Treasury, 540 to P1, 400 + the verification fee back.
		assert_eq!(
			last_event(),
			Event::JobCompleted { job_id: job, provider: P1, paid: 540, fee: 60, refunded: 450 }
		);
		assert_eq!(free(P1), p1 + 540);
		assert_eq!(free(TREASURY), treasury + 60);
		assert_eq!(free(CLIENT), INITIAL_BALANCE - 600 - deposit_of(1_000));
		assert_eq!(pallet_collateral::Pallet::<Test>::free(&P1), PROVIDER_BOND);
		let reputation = Providers::reputation(&P1).unwrap();
		assert_eq!(reputation.jobs_completed, 1);
		assert_eq!(pallet_providers::Providers::<Test>::get(P1).unwrap().jobs_in_flight, 0);
		assert!(matches!(Jobs::<Test>::get(job).unwrap().state, JobState::Completed { .. }));
	});
}

#[test]
fn commit_and_reveal_refuse_the_wrong_caller_state_or_preimage() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		let out = output(b"the result");
		let commitment = result_commitment(&out.hash, &SALT);
		let commit = |who, error: Error<Test>| {
			assert_noop!(Market::commit_result(RuntimeOrigin::signed(who), job, commitment), error);
		};
		let reveal = |who, out: ContentRef, salt, error: Error<Test>| {
			assert_noop!(Market::reveal_result(RuntimeOrigin::signed(who), job, out, salt), error);
		};
		commit(P1, Error::NotAwarded);
		assert_noop!(
			Market::commit_result(RuntimeOrigin::signed(P1), 77, commitment),
			Error::<Test>::NoSuchJob
		);
		bid(P1, job, 600);
		run_to_block(1 + BIDDING);
		commit(P2, Error::NotProvider);
		reveal(P1, out.clone(), SALT, Error::RevealNotRequested);
		assert_ok!(Market::commit_result(RuntimeOrigin::signed(P1), job, commitment));
		assert_eq!(last_event(), Event::RevealRequested { job_id: job });
		commit(P1, Error::NotAwarded);
		reveal(P2, out.clone(), SALT, Error::NotProvider);
		reveal(P1, out.clone(), [8; 32], Error::CommitmentMismatch);
		reveal(P1, output(b"another result"), SALT, Error::CommitmentMismatch);
		let mut nowhere = out.clone();
		nowhere.uri = Default::default();
		reveal(P1, nowhere, SALT, Error::EmptyUri);
		// Past the deadline (without the agenda having run yet) the reveal is refused.
		System::set_block_number(16);
		reveal(P1, out.clone(), SALT, Error::DeadlinePassed);
		System::set_block_number(15);
		assert_ok!(Market::reveal_result(RuntimeOrigin::signed(P1), job, out.clone(), SALT));
		reveal(P1, out, SALT, Error::RevealNotRequested);
	});
}

/// Finding 9 of issue 11: a provider farmed reputation by posting tiny jobs from another
/// account and winning them itself, for the price of the transaction fees (a 1×1×1 `Gemm`
/// job, or any job at a price of 1 planck). A completed job now counts only from
/// `reputation_min_price`, so each counted job costs the self-dealer at least the protocol fee
/// on that price; a cheap job is paid in full but leaves the record as it was, and a failure
/// still counts at any price.
#[test]
fn self_dealt_cheap_jobs_cannot_farm_reputation() {
	build_and_execute(|| {
		// P1's own client account posts jobs just under the floor; P1 wins and completes them.
		for round in 0..3 {
			let job = create(OTHER_CLIENT, REPUTATION_MIN_PRICE - 1);
			bid(P1, job, REPUTATION_MIN_PRICE - 1);
			run_to_block(System::block_number() + BIDDING);
			commit_and_reveal(P1, job);
			run_to_block(System::block_number() + WINDOW);
			assert!(
				matches!(Jobs::<Test>::get(job).unwrap().state, JobState::Completed { .. }),
				"round {round}"
			);
		}
		let record = pallet_providers::Providers::<Test>::get(P1).unwrap();
		assert_eq!((record.reputation.jobs_completed, record.reputation.jobs_failed), (0, 0));
		assert_eq!(record.jobs_in_flight, 0);
		// At the floor a job counts, and it cost the protocol fee on the floor.
		let treasury = free(TREASURY);
		let job = create(OTHER_CLIENT, REPUTATION_MIN_PRICE);
		bid(P1, job, REPUTATION_MIN_PRICE);
		run_to_block(System::block_number() + BIDDING);
		commit_and_reveal(P1, job);
		run_to_block(System::block_number() + WINDOW);
		assert_eq!(Providers::reputation(&P1).unwrap().jobs_completed, 1);
		let fee = market_config().protocol_fee * REPUTATION_MIN_PRICE;
		assert!(fee > 0);
		assert_eq!(free(TREASURY) - treasury, fee);
		// A cheap job that fails still counts against the provider.
		let job = create(OTHER_CLIENT, REPUTATION_MIN_PRICE - 1);
		bid(P1, job, REPUTATION_MIN_PRICE - 1);
		run_to_block(System::block_number() + BIDDING + EXECUTION + 1);
		assert!(matches!(Jobs::<Test>::get(job).unwrap().state, JobState::Failed { .. }));
		assert_eq!(Providers::reputation(&P1).unwrap().jobs_failed, 1);
	});
}

#[test]
fn a_missed_deadline_refunds_the_client_and_slashes_the_provider() {
	build_and_execute(|| {
		let treasury = free(TREASURY);
		let job = awarded(1_000, 600);
		run_to_block(15);
		assert_eq!(Escrow::escrowed(job), 1_050);
		run_to_block(16);
		// Half of the job collateral (100 + 600) is slashed, all of it to the Treasury.
		assert_eq!(
			last_event(),
			Event::JobFailed { job_id: job, provider: P1, refunded: 1_050, slashed: 350 }
		);
		assert_eq!(free(CLIENT), INITIAL_BALANCE - deposit_of(1_000));
		assert_eq!(free(TREASURY), treasury + 350);
		assert_eq!(pallet_collateral::Pallet::<Test>::bonded(&P1), PROVIDER_BOND - 350);
		assert_eq!(pallet_collateral::Pallet::<Test>::free(&P1), PROVIDER_BOND - 350);
		assert_eq!(Providers::reputation(&P1).unwrap().jobs_failed, 1);
		assert_noop!(
			Market::commit_result(RuntimeOrigin::signed(P1), job, [0; 32]),
			Error::<Test>::NotAwarded
		);
	});
}

#[test]
fn a_commitment_without_a_reveal_also_fails_at_the_deadline() {
	build_and_execute(|| {
		let job = awarded(1_000, 600);
		assert_ok!(Market::commit_result(RuntimeOrigin::signed(P1), job, [1; 32]));
		run_to_block(16);
		assert!(matches!(Jobs::<Test>::get(job).unwrap().state, JobState::Failed { at: 16 }));
		assert!(events().iter().any(|e| matches!(e, Event::JobFailed { slashed: 350, .. })));
	});
}

#[test]
fn drop_job_returns_the_deposit_after_retention_for_free() {
	build_and_execute(|| {
		let job = create(CLIENT, 1_000);
		assert_noop!(Market::drop_job(RuntimeOrigin::signed(P2), job), Error::<Test>::NotFinished);
		run_to_block(1 + BIDDING); // expires: nobody bid
		assert!(matches!(Jobs::<Test>::get(job).unwrap().state, JobState::Expired { at: 6 }));
		run_to_block(6 + RETENTION - 1);
		assert_noop!(Market::drop_job(RuntimeOrigin::signed(P2), job), Error::<Test>::TooEarly);
		run_to_block(6 + RETENTION);
		let result = Market::drop_job(RuntimeOrigin::signed(P2), job);
		assert_eq!(result, Ok(PostDispatchInfo { actual_weight: None, pays_fee: Pays::No }));
		assert_eq!(last_event(), Event::JobDropped { job_id: job });
		assert_eq!(free(CLIENT), INITIAL_BALANCE);
		assert_eq!(
			Balances::balance_on_hold(
				&RuntimeHoldReason::Market(crate::HoldReason::JobDeposit),
				&CLIENT
			),
			0
		);
		assert_noop!(Market::drop_job(RuntimeOrigin::signed(P2), job), Error::<Test>::NoSuchJob);
	});
}

#[test]
fn configure_needs_the_admin_and_a_valid_config() {
	build_and_execute(|| {
		let mut config = market_config();
		config.second_price = true;
		assert_noop!(
			Market::configure(RuntimeOrigin::signed(CLIENT), config.clone()),
			DispatchError::BadOrigin
		);
		assert_ok!(Market::configure(RuntimeOrigin::root(), config.clone()));
		assert_eq!(crate::Configuration::<Test>::get(), config);
		assert_eq!(last_event(), Event::ConfigurationSet { config: config.clone() });
		// Each value that would break the market is refused, naming its field (finding 9 of
		// issue 11: zero fees or deposits, unbounded windows).
		use crate::{CollateralRule, ConfigField as F, ConfigRecord as C};
		let long = u64::from(crate::MAX_EXECUTION_BLOCKS) + 1;
		for (bad, field) in [
			(C { bidding_blocks: (0, 5), ..config.clone() }, F::BiddingBlocks),
			(C { bidding_blocks: (2, long), ..config.clone() }, F::BiddingBlocks),
			(C { execution_blocks: (10, 5), ..config.clone() }, F::ExecutionBlocks),
			(C { execution_blocks: (1, long), ..config.clone() }, F::ExecutionBlocks),
			(C { protocol_fee: Perbill::one(), ..config.clone() }, F::ProtocolFee),
			(C { verification_fee: 0, ..config.clone() }, F::VerificationFee),
			(
				C {
					job_collateral: CollateralRule { fixed: 0, percent_of_price: 0 },
					..config.clone()
				},
				F::JobCollateral,
			),
			(
				C {
					job_collateral: CollateralRule {
						fixed: 1,
						percent_of_price: crate::MAX_COLLATERAL_PERCENT + 1,
					},
					..config.clone()
				},
				F::JobCollateral,
			),
			(
				C { slash_missed_deadline: Perbill::zero(), ..config.clone() },
				F::SlashMissedDeadline,
			),
			(C { verification_window: 0, ..config.clone() }, F::VerificationWindow),
			(C { max_bids_per_job: MAX_BIDS + 1, ..config.clone() }, F::MaxBidsPerJob),
			(C { max_bids_per_job: 0, ..config.clone() }, F::MaxBidsPerJob),
			(C { deposit_base: 0, ..config.clone() }, F::DepositBase),
			(C { retention_blocks: 0, ..config.clone() }, F::RetentionBlocks),
			(C { bid_deposit: 0, ..config.clone() }, F::BidDeposit),
			(
				C { verification_percent: crate::MAX_VERIFICATION_PERCENT + 1, ..config.clone() },
				F::VerificationPercent,
			),
		] {
			assert_noop!(
				Market::configure(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidConfiguration { field }
			);
		}
	});
}

#[test]
fn a_worst_case_agenda_fits_in_a_quarter_block() {
	new_test_ext().execute_with(|| {
		use frame_support::traits::Hooks;
		Market::integrity_test();
	});
}

#[test]
fn provider_with_a_job_in_flight_cannot_deregister_or_unbond_its_lock() {
	build_and_execute(|| {
		let _job = awarded(1_000, 600);
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(P1)),
			pallet_providers::Error::<Test>::JobsInFlight
		);
		assert!(pallet_collateral::Pallet::<Test>::unbond(RuntimeOrigin::signed(P1), 301).is_err());
	});
}

#[test]
fn amounts_that_overflow_are_refused() {
	build_and_execute(|| {
		// max_price + verification_fee does not fit in a balance.
		assert_noop!(
			Market::create_job(RuntimeOrigin::signed(CLIENT), spec(Balance::MAX)),
			Error::<Test>::Overflow
		);
	});
}

#[test]
fn commit_after_the_deadline_is_refused_even_before_the_agenda_ran() {
	build_and_execute(|| {
		let job = awarded(1_000, 600);
		System::set_block_number(16);
		assert_noop!(
			Market::commit_result(RuntimeOrigin::signed(P1), job, [1; 32]),
			Error::<Test>::DeadlinePassed
		);
		System::set_block_number(15);
	});
}

#[test]
fn filling_the_agendas_cannot_make_an_honest_reveal_fail_or_go_unpaid() {
	// Finding 6 of issue 11: with the blocks after a reveal's verification window full, the
	// reveal failed with `AgendaFull` and the honest provider missed its deadline.
	build_and_execute(|| {
		let job = awarded(1_000, 600);
		let p1 = free(P1);
		let out = output(b"the result");
		assert_ok!(Market::commit_result(
			RuntimeOrigin::signed(P1),
			job,
			result_commitment(&out.hash, &SALT)
		));
		// A window long enough that the slot the reveal frees (the deadline, block 16) lies
		// before the blocks searched for the settlement.
		let mut config = crate::Configuration::<Test>::get();
		config.verification_window = 20;
		assert_ok!(Market::configure(RuntimeOrigin::root(), config));
		// Fill the 10 blocks from now + window with jobs created by another client: each
		// create takes one close slot, so 3 creates per block fill a block's agenda.
		let settle_from = System::block_number() + 20;
		let search = crate::agenda::AGENDA_SEARCH as u64;
		for block in settle_from..settle_from + search {
			System::set_block_number(block - BIDDING);
			while crate::Agenda::<Test>::get(block).len() < MAX_JOBS_PER_BLOCK as usize {
				create(OTHER_CLIENT, 100);
			}
		}
		System::set_block_number(6);
		// The reveal goes through; its settlement waits in line, due at the end of the window.
		assert_ok!(Market::reveal_result(RuntimeOrigin::signed(P1), job, out.clone(), SALT));
		assert_eq!(
			last_event(),
			Event::ResultRevealed { job_id: job, output: out, settles_at: Some(settle_from) }
		);
		assert_eq!(crate::agenda::JobAgenda::<Test>::line(), vec![(settle_from, job)]);
		try_state();
		// While a step waits, new jobs are refused: the system fails closed, not open.
		assert_noop!(
			Market::create_job(RuntimeOrigin::signed(CLIENT), spec(1_000)),
			Error::<Test>::AgendaFull
		);
		// The full blocks handle their own lists only; the first block with room pays.
		run_to_block(settle_from + search - 1);
		assert_eq!(free(P1), p1);
		assert!(matches!(Jobs::<Test>::get(job).unwrap().state, JobState::Revealed { .. }));
		run_to_block(settle_from + search);
		assert!(events().contains(&Event::JobCompleted {
			job_id: job,
			provider: P1,
			paid: 540,
			fee: 60,
			refunded: 450
		}));
		assert_eq!(free(P1), p1 + 540);
		assert_eq!(crate::agenda::JobAgenda::<Test>::waiting(), 0);
		assert_ok!(Market::create_job(RuntimeOrigin::signed(CLIENT), spec(1_000)));
	});
}

#[test]
fn the_verification_budget_scales_with_the_price_and_unused_budget_goes_back() {
	// Finding 7 of issue 11: a flat verification fee paid less than re-executing a job.
	build_and_execute(|| {
		let mut config = crate::Configuration::<Test>::get();
		config.verification_percent = 100;
		assert_ok!(Market::configure(RuntimeOrigin::root(), config));
		let before = free(CLIENT);
		let job = awarded(1_000, 600);
		// Locked: `max_price`, the flat fee and 100 % of `max_price`.
		assert_eq!(Jobs::<Test>::get(job).unwrap().escrowed, 1_000 + VERIFICATION_FEE + 1_000);
		commit_and_reveal(P1, job);
		run_to_block(System::block_number() + WINDOW);
		assert!(matches!(Jobs::<Test>::get(job).unwrap().state, JobState::Completed { .. }));
		// Nobody verified it (the mock market checks nothing): the whole budget went back.
		assert_eq!(free(CLIENT), before - 600 - deposit_of(1_000));
	});
}
