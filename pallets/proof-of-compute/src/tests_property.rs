//! Property test of spot-checks and disputes: random providers (honest, wrong, silent) and
//! random verifiers (honest, wrong, echoing the provider, silent) on several jobs at once,
//! against the real market, escrow, collateral and providers pallets. After every block all
//! five pallets' `try_state` holds (`run_to_block`); at the end every job has ended, nothing
//! is locked or on an agenda, issuance is unchanged, and the verdicts are the ones the rules
//! promise: an honest provider is never slashed, a wrong one is never paid once two honest
//! verifiers revealed, an honest verifier is slashed only when two echoing verifiers outvote
//! it.

use crate::{mock::*, Configuration, Event, SpotCheckStage, SpotChecks};
use frame_support::assert_ok;
use kiln_primitives::{
	dispute_answer, result_commitment, ContentRef, JobId, JobSpec, Workload, UNAVAILABLE,
};
use pallet_market::{Event as MarketEvent, JobState, Jobs, RevealRequest};
use sp_runtime::{
	traits::{BlakeTwo256, Hash},
	Perbill,
};
use std::collections::BTreeMap;

struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		kiln_primitives::poc::mix(self.0)
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Party {
	Honest,
	Wrong,
	/// A verifier that commits the provider's revealed output (when it can see it).
	Echo,
	NoCommit,
	NoReveal,
	/// A verifier that answers `UNAVAILABLE` (the inputs are in fact there).
	Unavailable,
}

const PROVIDERS: [AccountId; 6] = [11, 12, 13, 14, 15, 16];
const PRICE: Balance = 500;

fn content(hash: [u8; 32]) -> ContentRef {
	ContentRef { hash, len: 1, uri: b"https://worker.example.org/out".to_vec().try_into().unwrap() }
}

/// The job's right output (its bytes) and its hash.
fn truth_bytes(job: JobId) -> Vec<u8> {
	job.to_le_bytes().to_vec()
}

fn truth(job: JobId) -> [u8; 32] {
	BlakeTwo256::hash(&truth_bytes(job)).0
}

/// A made-up output of `who` for `job`, and its hash.
fn garbage_bytes(job: JobId, who: AccountId) -> Vec<u8> {
	[job.to_le_bytes(), who.to_le_bytes()].concat()
}

fn garbage(job: JobId, who: AccountId) -> [u8; 32] {
	BlakeTwo256::hash(&garbage_bytes(job, who)).0
}

/// What one job's parties do, and what they did.
struct Flow {
	provider: AccountId,
	behaviour: Party,
	committed: bool,
	revealed: bool,
	verifiers: BTreeMap<AccountId, (Party, Option<[u8; 32]>, bool)>,
}

#[derive(Default)]
struct Coverage {
	passed: u32,
	mismatches: u32,
	upheld: u32,
	overturned: u32,
	inconclusive: u32,
	inputs_unavailable: u32,
	dropped: u32,
	skipped: u32,
	missed_deadlines: u32,
	silent_when_drawn: u32,
}

fn run_case(seed: u64, coverage: &mut Coverage) {
	let mut rng = Rng(seed);
	let mut config = Configuration::<Test>::get();
	config.challenge_rate = Perbill::zero();
	config.spot_check_probability = Perbill::from_percent([100, 100, 50, 0][rng.below(4) as usize]);
	assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), config));
	for p in &PROVIDERS[3..] {
		assert_ok!(Collateral::bond(RuntimeOrigin::signed(*p), BOND));
		assert_ok!(Providers::register(
			RuntimeOrigin::signed(*p),
			profile(),
			kiln_test_fixtures::endpoint(),
		));
	}
	let issuance = Balances::total_issuance();

	// Up to three jobs, each with a provider of its own.
	let mut flows: BTreeMap<JobId, Flow> = BTreeMap::new();
	let jobs = 1 + rng.below(3) as usize;
	let mut providers = PROVIDERS.to_vec();
	for _ in 0..jobs {
		let provider = providers.remove(rng.below(providers.len() as u64) as usize);
		let spec = JobSpec {
			workload: Workload::Wasm { module: content([1; 32]), input: content([2; 32]), fuel: 9 },
			requirements: crate::tests_spot_checks::requirements(),
			max_price: 1_000,
			bidding_blocks: 2,
			execution_blocks: 20,
		};
		assert_ok!(Market::create_job(RuntimeOrigin::signed(CLIENT), spec));
		let job = pallet_market::Pallet::<Test>::next_job_id() - 1;
		assert_ok!(Market::place_bid(RuntimeOrigin::signed(provider), job, PRICE));
		let behaviour = [Party::Honest, Party::Honest, Party::Wrong, Party::Wrong, Party::NoReveal]
			[rng.below(5) as usize];
		flows.insert(
			job,
			Flow {
				provider,
				behaviour,
				committed: false,
				revealed: false,
				verifiers: BTreeMap::new(),
			},
		);
	}

	for _ in 0..150 {
		run_to_block(System::block_number() + 1);
		let mut open = false;
		for (job, flow) in flows.iter_mut() {
			let job = *job;
			let Some(record) = Jobs::<Test>::get(job) else { continue };
			if record.state.ended_at().is_some() {
				continue;
			}
			open = true;
			let output = if flow.behaviour == Party::Wrong { garbage(job, 0) } else { truth(job) };
			let salt = [flow.provider as u8; 32];
			match record.state {
				JobState::Awarded if !flow.committed && rng.below(2) == 0 => {
					let commitment = result_commitment(&output, &salt);
					let origin = RuntimeOrigin::signed(flow.provider);
					assert_ok!(Market::commit_result(origin, job, commitment));
					flow.committed = true;
				},
				JobState::Committed { reveal, .. }
					if reveal != RevealRequest::NotYet
						&& !flow.revealed && flow.behaviour != Party::NoReveal =>
				{
					let origin = RuntimeOrigin::signed(flow.provider);
					assert_ok!(Market::reveal_result(origin, job, content(output), salt));
					flow.revealed = true;
				},
				_ => {},
			}
			let Some(check) = SpotChecks::<Test>::get(job) else { continue };
			// The provider's answer in a blind dispute: the dispute answer of its output.
			if let Some(nonce) = check.nonce {
				let bytes = match flow.behaviour {
					Party::Wrong => garbage_bytes(job, 0),
					_ => truth_bytes(job),
				};
				let answer = dispute_answer(&bytes, &nonce);
				let origin = RuntimeOrigin::signed(flow.provider);
				match check.stage {
					SpotCheckStage::Committing if check.provider_commitment.is_none() => {
						let commitment = result_commitment(&answer, &salt);
						assert_ok!(ProofOfCompute::commit_spot_check(origin, job, commitment));
					},
					SpotCheckStage::Revealing if check.provider_answer.is_none() => {
						assert_ok!(ProofOfCompute::reveal_spot_check(origin, job, answer, salt));
					},
					_ => {},
				}
			}
			let Some(check) = SpotChecks::<Test>::get(job) else { continue };
			for v in check.active() {
				let who = v.account;
				let entry = flow.verifiers.entry(who).or_insert_with(|| {
					let party = [
						Party::Honest,
						Party::Honest,
						Party::Wrong,
						Party::Echo,
						Party::Unavailable,
					][rng.below(5) as usize];
					let party = if rng.below(8) == 0 { Party::NoCommit } else { party };
					let party = if rng.below(8) == 0 { Party::NoReveal } else { party };
					(party, None, false)
				});
				let salt = [who as u8; 32];
				match check.stage {
					SpotCheckStage::Committing if v.commitment.is_none() => {
						// In a blind dispute an answer is the dispute answer of an output; an
						// echo copies the provider's revealed hash (all it can see).
						let hash = match (entry.0, check.nonce) {
							(Party::NoCommit, _) => continue,
							(Party::Honest | Party::NoReveal, None) => truth(job),
							(Party::Honest | Party::NoReveal, Some(nonce)) => {
								dispute_answer(&truth_bytes(job), &nonce)
							},
							(Party::Echo, _) => check.provider_output.unwrap_or(garbage(job, who)),
							(Party::Wrong, _) => garbage(job, who),
							(Party::Unavailable, _) => UNAVAILABLE,
						};
						entry.1 = Some(hash);
						let commitment = result_commitment(&hash, &salt);
						let origin = RuntimeOrigin::signed(who);
						assert_ok!(ProofOfCompute::commit_spot_check(origin, job, commitment));
					},
					SpotCheckStage::Revealing
						if v.output.is_none() && entry.0 != Party::NoReveal =>
					{
						if let Some(hash) = entry.1 {
							let origin = RuntimeOrigin::signed(who);
							assert_ok!(ProofOfCompute::reveal_spot_check(origin, job, hash, salt));
							entry.2 = true;
						}
					},
					_ => {},
				}
			}
			// A call may have ended the check or the job: the invariants still hold.
			try_state();
		}
		if !open {
			break;
		}
	}

	// Everything ended and was given back.
	for (job, _) in &flows {
		let state = Jobs::<Test>::get(job).unwrap().state;
		assert!(state.ended_at().is_some(), "seed {seed}: job {job} still {state:?}");
	}
	assert_eq!(SpotChecks::<Test>::iter().count(), 0);
	assert_eq!(crate::Agenda::<Test>::iter().count(), 0);
	for (who, ledger) in pallet_collateral::Ledgers::<Test>::iter() {
		assert_eq!(ledger.locked, 0, "seed {seed}: {who} still has collateral locked");
	}
	assert_eq!(Balances::total_issuance(), issuance, "seed {seed}");

	// The verdicts, per job (a provider may verify another job, so slashes are attributed by
	// the job's own events).
	let events: Vec<_> = System::events().into_iter().map(|r| r.event).collect();
	let lost_dispute = |job: JobId, who: AccountId| {
		events.iter().any(|e| {
			matches!(e, RuntimeEvent::ProofOfCompute(Event::DisputeResolved { job_id, slashed, .. })
				if *job_id == job && slashed.contains(&who))
		})
	};
	let dropped = |job: JobId, who: AccountId| {
		events.iter().any(|e| {
			matches!(e, RuntimeEvent::ProofOfCompute(Event::VerifierDropped { job_id, verifier, .. })
				if *job_id == job && *verifier == who)
		})
	};
	let silent = |job: JobId| {
		events.iter().any(|e| {
			matches!(e, RuntimeEvent::ProofOfCompute(Event::ProviderSilent { job_id, .. })
				if *job_id == job)
		})
	};
	let collateral_lost = |job: JobId| {
		events.iter().any(|e| {
			matches!(e, RuntimeEvent::Market(MarketEvent::JobRejected { job_id, slashed, .. })
				if *job_id == job && *slashed > 0)
		})
	};
	for (job, flow) in &flows {
		let job = *job;
		let state = Jobs::<Test>::get(job).unwrap().state;
		let honest_revealed = flow
			.verifiers
			.values()
			.filter(|(party, _, revealed)| *party == Party::Honest && *revealed)
			.count();
		let echoes_revealed = flow
			.verifiers
			.values()
			.filter(|(party, _, revealed)| *party == Party::Echo && *revealed)
			.count();
		if flow.behaviour == Party::Honest {
			assert!(
				!lost_dispute(job, flow.provider) && !collateral_lost(job),
				"seed {seed}: the honest provider of job {job} was slashed"
			);
		}
		if flow.behaviour == Party::Wrong && honest_revealed >= 2 {
			assert!(
				!matches!(state, JobState::Completed { .. }),
				"seed {seed}: a wrong result of job {job} was paid"
			);
			assert!(lost_dispute(job, flow.provider) && collateral_lost(job), "seed {seed}");
		}
		// A provider drawn for a check that then stays silent loses what a wrong result loses.
		if silent(job) {
			assert_eq!(flow.behaviour, Party::NoReveal, "seed {seed}: job {job}");
			assert!(collateral_lost(job), "seed {seed}: silent provider of job {job} kept it");
		}
		// Claiming the inputs were gone when two verifiers ran the job loses the bond, and is
		// never paid.
		for (who, (party, _, revealed)) in &flow.verifiers {
			if *party == Party::Unavailable && *revealed && honest_revealed >= 2 {
				assert!(lost_dispute(job, *who), "seed {seed}: {who} claimed unavailable for free");
			}
			let paid = events.iter().any(|e| {
				matches!(e, RuntimeEvent::Market(MarketEvent::VerifiersPaid { job_id, verifiers, .. })
					if *job_id == job && verifiers.contains(who))
			});
			assert!(!(paid && *party == Party::Unavailable), "seed {seed}: {who} paid for nothing");
		}
		for (who, (party, _, revealed)) in &flow.verifiers {
			if *party == Party::Honest && *revealed && echoes_revealed < 2 {
				assert!(
					!lost_dispute(job, *who),
					"seed {seed}: honest verifier {who} of job {job} slashed"
				);
			}
			if *party == Party::Honest {
				assert!(!dropped(job, *who), "seed {seed}: honest verifier {who} dropped");
			}
		}
	}

	for record in System::events() {
		match record.event {
			RuntimeEvent::ProofOfCompute(e) => match e {
				Event::SpotCheckPassed { .. } => coverage.passed += 1,
				Event::SpotCheckMismatch { .. } => coverage.mismatches += 1,
				Event::SpotCheckSkipped { .. } => coverage.skipped += 1,
				Event::VerifierDropped { .. } => coverage.dropped += 1,
				Event::ProviderSilent { .. } => coverage.silent_when_drawn += 1,
				Event::DisputeResolved { outcome, .. } => match outcome {
					crate::DisputeOutcome::ProviderUpheld => coverage.upheld += 1,
					crate::DisputeOutcome::ProviderOverturned => coverage.overturned += 1,
					crate::DisputeOutcome::Inconclusive => coverage.inconclusive += 1,
					crate::DisputeOutcome::InputsUnavailable => coverage.inputs_unavailable += 1,
				},
				_ => {},
			},
			RuntimeEvent::Market(MarketEvent::JobFailed { .. }) => coverage.missed_deadlines += 1,
			_ => {},
		}
	}
}

#[test]
fn random_spot_checks_and_disputes_keep_every_promise() {
	let mut coverage = Coverage::default();
	for seed in 0..600u64 {
		new_test_ext().execute_with(|| {
			run_case(seed, &mut coverage);
			try_state();
		});
	}
	let Coverage {
		passed,
		mismatches,
		upheld,
		overturned,
		inconclusive,
		inputs_unavailable,
		dropped,
		skipped,
		missed_deadlines,
		silent_when_drawn,
	} = coverage;
	println!(
		"passed {passed}, mismatches {mismatches}, upheld {upheld}, overturned {overturned}, \
		 inconclusive {inconclusive}, inputs unavailable {inputs_unavailable}, verifiers dropped {dropped}, skipped {skipped}, \
		 missed deadlines {missed_deadlines}, silent when drawn {silent_when_drawn}"
	);
	// Every path was taken many times.
	for (what, count) in [
		("passed", passed),
		("mismatches", mismatches),
		("upheld", upheld),
		("overturned", overturned),
		("inconclusive", inconclusive),
		("inputs unavailable", inputs_unavailable),
		("dropped", dropped),
		("skipped", skipped),
		("missed deadlines", missed_deadlines),
		("silent when drawn", silent_when_drawn),
	] {
		assert!(count >= 20, "{what}: only {count}");
	}
}
