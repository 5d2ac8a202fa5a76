//! Random interleavings of create / bid / retract / cancel / commit / reveal / drop / pause /
//! resume / configure and the passing of blocks (auction closes, deadlines, settlements)
//! across many jobs. After every step the invariants of the market, escrow, collateral and
//! providers hold; for every job that ended, what left its escrow (to the provider, the
//! Treasury and back to the client) is exactly what the client locked; total issuance never
//! changes and the Treasury gains exactly the protocol fees and the slashes.
//!
//! Deterministic: a failure prints the seed and the step, so it can be replayed.

use crate::{mock::*, Call, Configuration, JobState, Jobs};
use frame_support::traits::{fungible::Inspect, UnfilteredDispatchable};
use kiln_primitives::{result_commitment, Collateral as _, JobId};
use std::collections::BTreeMap;

const SEQUENCES: u64 = 400;
const STEPS: usize = 150;
const PROVIDERS: [AccountId; 4] = [P1, P2, P3, STRANGER];
const CLIENTS: [AccountId; 3] = [CLIENT, OTHER_CLIENT, P1];

/// SplitMix64: small, fast and good enough to pick test actions.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}
	fn pick<T: Copy>(&mut self, items: &[T]) -> T {
		items[self.below(items.len() as u64) as usize]
	}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
	Create,
	Bid,
	Retract,
	Cancel,
	Commit,
	Reveal,
	Drop,
	Configure,
}

#[derive(Debug)]
enum Action {
	Call(Kind, AccountId, crate::Call<Test>),
	Pause(AccountId),
	Resume(AccountId),
	/// A client creates jobs whose auctions close `bidding` blocks on until the agenda is
	/// full (as someone filling the agendas would), at most 30.
	Rush(AccountId, u64),
	Advance(u64),
}

/// The output every provider computes for `job`, and its salt; an honest reveal uses both.
fn result_of(job: JobId) -> (kiln_primitives::ContentRef, [u8; 32]) {
	(output(&job.to_le_bytes()), [job as u8; 32])
}

/// A job in a state `wanted` accepts (most of the time), or any id (some of which do not
/// exist), so that every call both succeeds and fails often.
fn pick_job(rng: &mut Rng, wanted: impl Fn(&crate::JobOf<Test>) -> bool) -> JobId {
	let matching: Vec<JobId> =
		Jobs::<Test>::iter().filter(|(_, j)| wanted(j)).map(|(id, _)| id).collect();
	if matching.is_empty() || rng.below(8) == 0 {
		rng.below(Market::next_job_id() + 1)
	} else {
		rng.pick(&matching)
	}
}

/// The job's awarded provider (most of the time) or any provider.
fn provider_of(rng: &mut Rng, job: JobId) -> AccountId {
	let awarded = Jobs::<Test>::get(job).and_then(|j| j.award).map(|a| a.provider);
	match awarded {
		Some(p) if rng.below(6) != 0 => p,
		_ => rng.pick(&PROVIDERS),
	}
}

fn random_action(rng: &mut Rng) -> Action {
	let bidding = |j: &crate::JobOf<Test>| j.state == JobState::Bidding;
	match rng.below(24) {
		0..=2 => {
			let mut s = spec([0, 100, 500, 1_000, 5_000][rng.below(5) as usize]);
			s.bidding_blocks = rng.pick(&[1, 2, 3, 5, 8]);
			s.execution_blocks = rng.pick(&[2, 6, 10, 20]);
			Action::Call(Kind::Create, rng.pick(&CLIENTS), Call::create_job { spec: s })
		},
		3..=7 => {
			let job = pick_job(rng, bidding);
			let max = Jobs::<Test>::get(job).map_or(1_000, |j| j.spec.max_price);
			let price = match rng.below(6) {
				0 => rng.pick(&[0, max + 1, 2 * max]),
				_ => 1 + rng.below(max),
			};
			let provider = rng.pick(&PROVIDERS);
			Action::Call(Kind::Bid, provider, Call::place_bid { job_id: job, price })
		},
		8 | 9 => {
			let job = pick_job(rng, |j| bidding(j));
			let bidders: Vec<_> =
				crate::Bids::<Test>::get(job).iter().map(|b| b.provider).collect();
			let provider = if bidders.is_empty() || rng.below(5) == 0 {
				rng.pick(&PROVIDERS)
			} else {
				rng.pick(&bidders)
			};
			Action::Call(Kind::Retract, provider, Call::retract_bid { job_id: job })
		},
		10 => {
			let job = pick_job(rng, bidding);
			let client = match Jobs::<Test>::get(job) {
				Some(j) if rng.below(4) != 0 => j.client,
				_ => rng.pick(&CLIENTS),
			};
			Action::Call(Kind::Cancel, client, Call::cancel_job { job_id: job })
		},
		11..=13 => {
			let job = pick_job(rng, |j| j.state == JobState::Awarded);
			let (out, salt) = result_of(job);
			// One commitment in five is to something else: its reveal will not match.
			let commitment =
				if rng.below(5) == 0 { [1; 32] } else { result_commitment(&out.hash, &salt) };
			let provider = provider_of(rng, job);
			Action::Call(Kind::Commit, provider, Call::commit_result { job_id: job, commitment })
		},
		14..=16 => {
			let job = pick_job(rng, |j| matches!(j.state, JobState::Committed { .. }));
			let (output, salt) = result_of(job);
			let provider = provider_of(rng, job);
			Action::Call(Kind::Reveal, provider, Call::reveal_result { job_id: job, output, salt })
		},
		17 => {
			let job = pick_job(rng, |j| j.state.ended_at().is_some());
			Action::Call(Kind::Drop, rng.pick(&CLIENTS), Call::drop_job { job_id: job })
		},
		18 => Action::Pause(rng.pick(&PROVIDERS)),
		19 => Action::Resume(rng.pick(&PROVIDERS)),
		20 => {
			let mut config = Configuration::<Test>::get();
			config.second_price = rng.below(2) == 0;
			// Account 0 stands for Root; a signed origin is refused.
			let who = if rng.below(3) == 0 { CLIENT } else { 0 };
			Action::Call(Kind::Configure, who, Call::configure { config })
		},
		21 if rng.below(8) == 0 => Action::Rush(rng.pick(&CLIENTS), WINDOW + rng.below(3)),
		_ => Action::Advance(1 + rng.below(3)),
	}
}

/// What left each job's escrow so far, and what went in.
#[derive(Default)]
struct Ledger {
	locked: BTreeMap<JobId, Balance>,
	paid_out: BTreeMap<JobId, Balance>,
	fees: Balance,
	slashed: Balance,
	checked: BTreeMap<JobId, ()>,
	outcomes: BTreeMap<&'static str, u32>,
}

impl Ledger {
	fn count(&mut self, outcome: &'static str) {
		*self.outcomes.entry(outcome).or_default() += 1;
	}

	/// Reads the step's events, then checks every job that has ended.
	fn absorb(&mut self, where_: &str) {
		for record in System::events() {
			match record.event {
				RuntimeEvent::Escrow(pallet_escrow::Event::Locked { job_id, amount, .. }) => {
					assert!(self.locked.insert(job_id, amount).is_none(), "{where_}: locked twice");
				},
				RuntimeEvent::Escrow(pallet_escrow::Event::Released { job_id, amount, .. })
				| RuntimeEvent::Escrow(pallet_escrow::Event::Refunded { job_id, amount, .. }) => {
					*self.paid_out.entry(job_id).or_default() += amount;
				},
				RuntimeEvent::Escrow(pallet_escrow::Event::FeeCollected { job_id, amount }) => {
					*self.paid_out.entry(job_id).or_default() += amount;
					self.fees += amount;
				},
				RuntimeEvent::Market(crate::Event::JobCompleted { job_id, paid, fee, .. }) => {
					let price = Jobs::<Test>::get(job_id).and_then(|j| j.award).unwrap().price;
					let expected_fee = Configuration::<Test>::get().protocol_fee * price;
					assert_eq!((paid + fee, fee), (price, expected_fee), "{where_}: job {job_id}");
					self.count("completed");
				},
				RuntimeEvent::Market(crate::Event::JobFailed { .. }) => self.count("failed"),
				RuntimeEvent::Market(crate::Event::JobExpired { .. }) => self.count("expired"),
				RuntimeEvent::Market(crate::Event::JobCancelled { .. }) => self.count("cancelled"),
				RuntimeEvent::Collateral(pallet_collateral::Event::Slashed { amount, .. }) => {
					self.slashed += amount;
				},
				_ => {},
			}
		}
		System::reset_events();
		for (job_id, job) in Jobs::<Test>::iter() {
			if job.state.ended_at().is_none() || self.checked.contains_key(&job_id) {
				continue;
			}
			let locked = self.locked.get(&job_id).copied().unwrap_or_default();
			let out = self.paid_out.get(&job_id).copied().unwrap_or_default();
			assert_eq!(locked, job.escrowed, "{where_}: job {job_id} locked");
			assert_eq!(out, locked, "{where_}: job {job_id} ({:?}) paid out", job.state);
			self.checked.insert(job_id, ());
		}
	}
}

#[derive(Default)]
struct Tally {
	calls: BTreeMap<Kind, (u32, u32)>,
	ended: BTreeMap<&'static str, u32>,
	/// Steps after which something waited in the agenda's line.
	waiting_steps: u32,
}

fn run_sequence(seed: u64, tally: &mut Tally) {
	new_test_ext().execute_with(|| {
		let mut rng = Rng(seed);
		let issuance = Balances::total_issuance();
		let treasury = Balances::total_balance(&TREASURY);
		let mut ledger = Ledger::default();
		let mut was_slashed = std::collections::BTreeSet::new();
		System::reset_events();
		for step in 0..STEPS {
			let action = random_action(&mut rng);
			let where_ = format!("seed {seed} step {step} {action:?}");
			match action {
				Action::Call(kind, who, call) => {
					let origin = if kind == Kind::Configure && who == 0 {
						RuntimeOrigin::root()
					} else {
						RuntimeOrigin::signed(who)
					};
					let result = RuntimeCall::Market(call).dispatch_bypass_filter(origin);
					// Finding 6 of issue 11: a provider's step is never refused for want of
					// room on the agenda (its deadline or settlement waits in line instead).
					let full = sp_runtime::DispatchError::from(crate::Error::<Test>::AgendaFull);
					assert!(
						!matches!(kind, Kind::Commit | Kind::Reveal)
							|| result.map_err(|e| e.error) != Err(full),
						"{where_}: a provider's step refused with AgendaFull"
					);
					let ok = result.is_ok();
					let entry = tally.calls.entry(kind).or_default();
					if ok {
						entry.0 += 1
					} else {
						entry.1 += 1
					}
				},
				Action::Pause(who) => {
					let _ = Providers::pause(RuntimeOrigin::signed(who));
				},
				Action::Resume(who) => {
					let _ = Providers::resume(RuntimeOrigin::signed(who));
				},
				Action::Rush(client, bidding) => {
					for _ in 0..30 {
						let mut s = spec(100);
						(s.bidding_blocks, s.execution_blocks) = (bidding, 2);
						if Market::create_job(RuntimeOrigin::signed(client), s).is_err() {
							break;
						}
					}
				},
				Action::Advance(blocks) => run_to_block(System::block_number() + blocks),
			}
			if crate::agenda::JobAgenda::<Test>::waiting() > 0 {
				tally.waiting_steps += 1;
			}
			// Every lock is a standing bid's deposit or a job's collateral: none is leaked. A
			// slash may have clamped a provider's locks, never raised them.
			let slashed: Vec<AccountId> = System::events()
				.into_iter()
				.filter_map(|r| match r.event {
					RuntimeEvent::Collateral(pallet_collateral::Event::Slashed { who, .. }) => {
						Some(who)
					},
					_ => None,
				})
				.collect();
			was_slashed.extend(slashed);
			for p in PROVIDERS {
				let deposits: Balance = crate::Bids::<Test>::iter_values()
					.flat_map(|bids| bids.into_iter())
					.filter(|b| b.provider == p)
					.map(|b| b.deposit)
					.sum();
				let collateral: Balance = crate::Jobs::<Test>::iter_values()
					.filter(|j| j.state.ended_at().is_none())
					.filter_map(|j| j.award)
					.filter(|a| a.provider == p)
					.map(|a| a.collateral)
					.sum();
				let locked = Collateral::bonded(&p) - Collateral::free(&p);
				if was_slashed.contains(&p) {
					assert!(locked <= deposits + collateral, "{where_}: {p}'s locks leaked");
				} else {
					assert_eq!(locked, deposits + collateral, "{where_}: {p}'s locks");
				}
				assert_eq!(crate::asset::bids_held::<Test>(&p), 0, "{where_}: {p}'s bid hold");
			}
			Market::do_try_state().unwrap_or_else(|e| panic!("{where_}: market {e:?}"));
			try_state();
			ledger.absorb(&where_);
			assert_eq!(Balances::total_issuance(), issuance, "{where_}: issuance");
			assert_eq!(
				Balances::total_balance(&TREASURY),
				treasury + ledger.fees + ledger.slashed,
				"{where_}: Treasury"
			);
		}
		for (outcome, n) in ledger.outcomes {
			*tally.ended.entry(outcome).or_default() += n;
		}
	});
}

#[test]
fn random_market_sequences_conserve_value_and_keep_invariants() {
	let mut tally = Tally::default();
	for seed in 0..SEQUENCES {
		run_sequence(seed, &mut tally);
	}
	println!("calls (ok, failed): {:?}", tally.calls);
	println!("jobs ended: {:?}", tally.ended);
	println!("steps with a waiting line: {}", tally.waiting_steps);
	for (kind, (ok, failed)) in &tally.calls {
		assert!(*ok >= 100 && *failed >= 100, "{kind:?} succeeded {ok} and failed {failed} times");
	}
	assert!(
		tally.waiting_steps >= 30,
		"the waiting line was used after {} steps only",
		tally.waiting_steps
	);
	for outcome in ["completed", "failed", "expired", "cancelled"] {
		let n = tally.ended.get(outcome).copied().unwrap_or_default();
		assert!(n >= 100, "only {n} jobs {outcome}");
	}
}
