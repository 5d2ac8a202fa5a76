//! The spot-check machine, and a verifier and a provider answering through a first round and
//! a dispute, restarted from the journal in between.

use super::*;
use crate::executor::{Output, Run};
use std::{cell::RefCell, rc::Rc};

const OUTPUT: &[u8] = b"the re-executed output";
const NONCE: [u8; 32] = [3; 32];

fn view(stage: CheckStage) -> SpotCheckView {
	SpotCheckView {
		job: 1,
		stage,
		nonce: None,
		as_provider: false,
		committed: None,
		revealed: false,
		next: 20,
	}
}

fn record(nonce: Option<[u8; 32]>, sent_at: Option<u64>) -> CheckRecord {
	CheckRecord {
		output: Some(CheckOutput::Ran { hash: [7; 32], len: 3 }),
		answers: vec![RoundAnswer { nonce, answer: [7; 32], salt: [9; 32], sent_at }],
	}
}

#[test]
fn a_verifier_runs_commits_and_reveals_once_each() {
	let committing = view(CheckStage::Committing);
	assert_eq!(next_check_action(&committing, None, None, 5), CheckAction::Execute);
	let ran = CheckRecord { output: record(None, None).output, answers: vec![] };
	assert_eq!(next_check_action(&committing, Some(&ran), None, 5), CheckAction::Commit);
	let journalled = record(None, Some(5));
	let commitment = journalled.answers[0].commitment();
	// Sent at 5: not again before 8 (restarted or not), then the same commitment.
	assert_eq!(next_check_action(&committing, Some(&journalled), None, 6), CheckAction::Wait);
	assert_eq!(
		next_check_action(&committing, Some(&journalled), None, 8),
		CheckAction::SendCommit { commitment }
	);
	let shown = SpotCheckView { committed: Some(commitment), ..committing.clone() };
	assert_eq!(next_check_action(&shown, Some(&journalled), None, 8), CheckAction::Wait);
	let revealing = SpotCheckView { stage: CheckStage::Revealing, ..shown };
	assert_eq!(
		next_check_action(&revealing, Some(&journalled), None, 9),
		CheckAction::Reveal { answer: [7; 32], salt: [9; 32] }
	);
	assert_eq!(
		next_check_action(&revealing, Some(&journalled), Some(Sent::Reveal { at: 9 }), 10),
		CheckAction::Wait
	);
	let revealed = SpotCheckView { revealed: true, ..revealing.clone() };
	assert_eq!(next_check_action(&revealed, Some(&journalled), None, 13), CheckAction::Wait);
	// A commitment sent just before does not hold the reveal back.
	assert_eq!(
		next_check_action(&revealing, Some(&journalled), Some(Sent::Commit { at: 8 }), 9),
		CheckAction::Reveal { answer: [7; 32], salt: [9; 32] }
	);
	// A commitment it cannot open is never answered with a made-up reveal.
	assert_eq!(next_check_action(&revealing, None, None, 9), CheckAction::Lost);
	// The stage is over at `next`.
	assert_eq!(next_check_action(&committing, None, None, 20), CheckAction::Wait);
	assert_eq!(next_check_action(&view(CheckStage::Waiting), None, None, 5), CheckAction::Wait);
}

#[test]
fn a_dispute_is_a_new_round_and_the_provider_answers_without_running() {
	let first = record(None, Some(5));
	let dispute = SpotCheckView { nonce: Some(NONCE), ..view(CheckStage::Committing) };
	// The first round's answer is not this round's: a new answer is committed, no re-run.
	assert_eq!(next_check_action(&dispute, Some(&first), None, 12), CheckAction::Commit);
	let provider = SpotCheckView { as_provider: true, ..dispute };
	assert_eq!(next_check_action(&provider, None, None, 12), CheckAction::Commit);
}

struct Runs(Rc<RefCell<u32>>, Result<Vec<u8>, String>);

impl Runner for Runs {
	async fn run(&mut self, _: u64) -> Run {
		*self.0.borrow_mut() += 1;
		self.1.clone().map(Output::plain).into()
	}
}

#[derive(Default)]
struct Sends {
	commits: Vec<[u8; 32]>,
	reveals: Vec<([u8; 32], [u8; 32])>,
}

impl CheckSender for Rc<RefCell<Sends>> {
	async fn commit(&mut self, _: u64, commitment: [u8; 32]) -> Result<()> {
		self.borrow_mut().commits.push(commitment);
		Ok(())
	}
	async fn reveal(&mut self, _: u64, answer: [u8; 32], salt: [u8; 32]) -> Result<()> {
		self.borrow_mut().reveals.push((answer, salt));
		Ok(())
	}
}

fn duty(dir: &std::path::Path) -> SpotCheckDuty {
	let journal = Journal::open(dir).unwrap();
	SpotCheckDuty::new(journal, OutputStore::open_dir(dir.join("checks")).unwrap())
}

/// Drives `duty` through one round of a check (commit, then reveal what it committed);
/// returns the revealed answer.
async fn round(
	duty: &mut SpotCheckDuty,
	view: SpotCheckView,
	block: u64,
	runner: &mut Runs,
	own: &OutputStore,
	sent: &mut Rc<RefCell<Sends>>,
) -> [u8; 32] {
	let mut view = view;
	for b in block..block + 2 {
		duty.step(&view, b, runner, own, sent).await.unwrap();
	}
	let commitment = *sent.borrow().commits.last().unwrap();
	view.committed = Some(commitment);
	view.stage = CheckStage::Revealing;
	duty.step(&view, block + 2, runner, own, sent).await.unwrap();
	let (answer, salt) = *sent.borrow().reveals.last().unwrap();
	assert_eq!(result_commitment(&answer, &salt), commitment);
	answer
}

#[tokio::test]
async fn a_verifier_answers_both_rounds_from_one_run_across_a_restart() {
	let dir = tempfile::tempdir().unwrap();
	let own = OutputStore::open(dir.path()).unwrap();
	let runs = Rc::new(RefCell::new(0));
	let mut runner = Runs(runs.clone(), Ok(OUTPUT.to_vec()));
	let mut sent = Rc::new(RefCell::new(Sends::default()));
	let mut first = duty(dir.path());
	let answer =
		round(&mut first, view(CheckStage::Committing), 5, &mut runner, &own, &mut sent).await;
	assert_eq!(answer, sp_crypto_hashing::blake2_256(OUTPUT));
	assert_eq!(sent.borrow().commits.len(), 1);
	drop(first);
	// Restarted: the dispute's answer comes from the stored output, not from a second run.
	let mut restarted = duty(dir.path());
	let dispute = SpotCheckView { nonce: Some(NONCE), ..view(CheckStage::Committing) };
	let answer = round(&mut restarted, dispute, 12, &mut runner, &own, &mut sent).await;
	assert_eq!(answer, dispute_answer(OUTPUT, &NONCE));
	assert_eq!(*runs.borrow(), 1);
	assert_eq!(sent.borrow().commits.len(), 2);
}

#[tokio::test]
async fn unrunnable_jobs_are_answered_unavailable_and_the_provider_answers_from_its_output() {
	let dir = tempfile::tempdir().unwrap();
	let own = OutputStore::open(dir.path()).unwrap();
	let runs = Rc::new(RefCell::new(0));
	let mut broken = Runs(runs.clone(), Err("input: HTTP 404".into()));
	let mut sent = Rc::new(RefCell::new(Sends::default()));
	let mut verifier = duty(dir.path());
	let answer =
		round(&mut verifier, view(CheckStage::Committing), 5, &mut broken, &own, &mut sent).await;
	assert_eq!(answer, UNAVAILABLE);

	let dir = tempfile::tempdir().unwrap();
	let own = OutputStore::open(dir.path()).unwrap();
	own.put(1, OUTPUT).unwrap();
	let mut provider = duty(dir.path());
	let dispute =
		SpotCheckView { nonce: Some(NONCE), as_provider: true, ..view(CheckStage::Committing) };
	let answer = round(&mut provider, dispute, 12, &mut broken, &own, &mut sent).await;
	assert_eq!(answer, dispute_answer(OUTPUT, &NONCE));
	assert_eq!(*runs.borrow(), 1, "the provider does not run its job again");
}
