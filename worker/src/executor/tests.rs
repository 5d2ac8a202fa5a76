//! The crash-point test: a job driven through a simulated chain by an executor that is
//! killed at each crash point in turn, then restarted from its journal.

use super::{machine::Phase, *};
use std::{cell::RefCell, rc::Rc};

const OUTPUT: &[u8] = b"the output of job 1";

/// The market's rules for one job, as the pallet applies them.
struct Chain {
	block: u64,
	phase: Phase,
	/// Every commitment sent, accepted or not.
	commitments: Vec<[u8; 32]>,
	revealed: Option<[u8; 32]>,
	deadline: u64,
}

impl Chain {
	fn view(&self) -> ChainJob {
		ChainJob { id: 1, ours: true, phase: self.phase.clone(), deadline: self.deadline }
	}

	/// The next block: a commitment is asked for its reveal; a reveal settles.
	fn advance(&mut self) {
		self.block += 1;
		self.phase = match self.phase.clone() {
			Phase::Committed { commitment, .. } => {
				Phase::Committed { commitment, reveal_requested: true }
			},
			Phase::Revealed => Phase::Ended,
			other => other,
		};
	}
}

struct Tx(Rc<RefCell<Chain>>);

impl Sender for Tx {
	async fn commit(&mut self, _: u64, commitment: [u8; 32]) -> Result<()> {
		let mut chain = self.0.borrow_mut();
		chain.commitments.push(commitment);
		anyhow::ensure!(chain.phase == Phase::Awarded, "Market::NotAwaitingCommitment");
		chain.phase = Phase::Committed { commitment, reveal_requested: false };
		Ok(())
	}

	async fn reveal(&mut self, _: u64, hash: [u8; 32], _: u64, salt: [u8; 32]) -> Result<()> {
		let mut chain = self.0.borrow_mut();
		let Phase::Committed { commitment, reveal_requested: true } = chain.phase else {
			anyhow::bail!("Market::NotAwaitingReveal");
		};
		anyhow::ensure!(result_commitment(&hash, &salt) == commitment, "Market::BadReveal");
		chain.revealed = Some(hash);
		chain.phase = Phase::Revealed;
		Ok(())
	}
}

struct Counting(Rc<RefCell<u32>>);

impl Runner for Counting {
	async fn run(&mut self, _: u64) -> Run {
		*self.0.borrow_mut() += 1;
		Run::Done(Output::plain(OUTPUT.to_vec()))
	}
}

#[derive(Debug)]
struct Killed(&'static str);

impl std::fmt::Display for Killed {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "killed {}", self.0)
	}
}

impl std::error::Error for Killed {}

/// Kills the worker at the crash point numbered `kill_at` (0 = the first one it reaches).
struct KillAt {
	left: Option<u32>,
	passed: Rc<RefCell<Vec<&'static str>>>,
}

impl CrashPoints for KillAt {
	fn at(&mut self, point: &'static str) -> Result<()> {
		if self.left == Some(0) {
			return Err(Killed(point).into());
		}
		self.left = self.left.map(|n| n - 1);
		self.passed.borrow_mut().push(point);
		Ok(())
	}
}

/// One life of the worker: from its journal until the job ends on chain or it is killed.
async fn life(
	dir: &std::path::Path,
	chain: &Rc<RefCell<Chain>>,
	runs: &Rc<RefCell<u32>>,
	kill_at: Option<u32>,
	passed: &Rc<RefCell<Vec<&'static str>>>,
) -> Option<&'static str> {
	let journal = Journal::open(dir).unwrap();
	let store = OutputStore::open(dir).unwrap();
	let mut executor =
		Executor::new(journal, store, KillAt { left: kill_at, passed: passed.clone() });
	let (mut runner, mut sender) = (Counting(runs.clone()), Tx(chain.clone()));
	for _ in 0..40 {
		let (view, block) = (chain.borrow().view(), chain.borrow().block);
		// Twice per block, as a worker woken twice would.
		for _ in 0..2 {
			match executor.step(&view, block, &mut runner, &mut sender).await {
				Ok(_) => {},
				Err(e) => match e.downcast_ref::<Killed>() {
					Some(Killed(point)) => return Some(point),
					None => panic!("unexpected error: {e:#}"),
				},
			}
		}
		let done = matches!(
			executor.journal.get::<JobStep>(Kind::Job, 1).unwrap(),
			Some(JobStep::Done { .. })
		);
		if done {
			return None;
		}
		chain.borrow_mut().advance();
	}
	panic!("the job did not end in 40 blocks");
}

#[tokio::test]
async fn a_worker_killed_at_any_step_resumes_from_its_journal() {
	// The crash points of an uninterrupted life, in order.
	let passed = Rc::new(RefCell::new(Vec::new()));
	{
		let dir = tempfile::tempdir().unwrap();
		let chain = Rc::new(RefCell::new(new_chain()));
		let runs = Rc::new(RefCell::new(0));
		assert_eq!(life(dir.path(), &chain, &runs, None, &passed).await, None);
	}
	let points = passed.borrow().clone();
	assert_eq!(
		points,
		[
			"before run",
			"before store",
			"before journal computed",
			"before journal committing",
			"before send commit",
			"before send reveal",
			"before journal done"
		]
	);
	let journalled_at = points.iter().position(|p| *p == "before journal computed").unwrap() as u32;
	for kill_at in 0..points.len() as u32 {
		let dir = tempfile::tempdir().unwrap();
		let chain = Rc::new(RefCell::new(new_chain()));
		let runs = Rc::new(RefCell::new(0));
		let passed = Rc::new(RefCell::new(Vec::new()));
		let killed = life(dir.path(), &chain, &runs, Some(kill_at), &passed).await;
		assert_eq!(killed, Some(points[kill_at as usize]), "killed where asked");
		// The restarted worker, a block later.
		chain.borrow_mut().advance();
		assert_eq!(life(dir.path(), &chain, &runs, None, &passed).await, None);

		let chain = chain.borrow();
		let expected = sp_crypto_hashing::blake2_256(OUTPUT);
		assert_eq!(chain.revealed, Some(expected), "kill at {kill_at}: revealed in time");
		assert_eq!(chain.phase, Phase::Ended);
		let first = chain.commitments[0];
		assert!(
			chain.commitments.iter().all(|c| *c == first),
			"kill at {kill_at}: one commitment only, sent {} times",
			chain.commitments.len()
		);
		// Computed once unless killed between running and journalling the output.
		let runs = *runs.borrow();
		if kill_at == 0 || kill_at > journalled_at {
			assert_eq!(runs, 1, "kill at {kill_at}: a journalled output was recomputed");
		} else {
			assert_eq!(runs, 2, "kill at {kill_at}");
		}
		let stored = OutputStore::open(dir.path()).unwrap().get(1).unwrap();
		assert_eq!(stored.as_deref(), Some(OUTPUT));
	}
}

fn new_chain() -> Chain {
	Chain {
		block: 10,
		phase: Phase::Awarded,
		commitments: Vec::new(),
		revealed: None,
		deadline: 40,
	}
}

#[tokio::test]
async fn an_unusable_job_is_abandoned_cleanly_and_a_failed_send_is_retried() {
	struct Broken;
	impl Runner for Broken {
		async fn run(&mut self, _: u64) -> Run {
			Run::Failed("input: HTTP 404 from https://example.org/x".into())
		}
	}
	let dir = tempfile::tempdir().unwrap();
	let chain = Rc::new(RefCell::new(new_chain()));
	let mut executor = Executor::new(
		Journal::open(dir.path()).unwrap(),
		OutputStore::open(dir.path()).unwrap(),
		NoCrash,
	);
	let view = chain.borrow().view();
	assert_eq!(
		executor.step(&view, 10, &mut Broken, &mut Tx(chain.clone())).await.unwrap(),
		Action::Execute
	);
	let step: Option<JobStep> = executor.journal.get(Kind::Job, 1).unwrap();
	assert!(matches!(step, Some(JobStep::Abandoned { reason }) if reason.contains("404")));
	assert_eq!(
		executor.step(&view, 11, &mut Broken, &mut Tx(chain.clone())).await.unwrap(),
		Action::Wait
	);

	// A send that fails (the node went away) is sent again at a later block.
	struct Down(u32);
	impl Sender for Down {
		async fn commit(&mut self, _: u64, _: [u8; 32]) -> Result<()> {
			self.0 += 1;
			anyhow::bail!("connection closed")
		}
		async fn reveal(&mut self, _: u64, _: [u8; 32], _: u64, _: [u8; 32]) -> Result<()> {
			anyhow::bail!("connection closed")
		}
	}
	let dir = tempfile::tempdir().unwrap();
	let mut executor = Executor::new(
		Journal::open(dir.path()).unwrap(),
		OutputStore::open(dir.path()).unwrap(),
		NoCrash,
	);
	let runs = Rc::new(RefCell::new(0));
	let mut down = Down(0);
	executor.step(&view, 10, &mut Counting(runs.clone()), &mut down).await.unwrap();
	assert!(executor.step(&view, 10, &mut Counting(runs.clone()), &mut down).await.is_err());
	assert!(executor.step(&view, 11, &mut Counting(runs.clone()), &mut down).await.is_err());
	assert_eq!(down.0, 2, "the commitment was sent again");
	assert_eq!(*runs.borrow(), 1);
	let step: Option<JobStep> = executor.journal.get(Kind::Job, 1).unwrap();
	assert!(matches!(step, Some(JobStep::Committing { .. })), "the job is kept");
}

#[test]
fn outputs_are_removed_after_the_retention_period_only() {
	let dir = tempfile::tempdir().unwrap();
	let mut executor = Executor::new(
		Journal::open(dir.path()).unwrap(),
		OutputStore::open(dir.path()).unwrap(),
		NoCrash,
	);
	let now = unix_now();
	for (id, step) in [
		(1, JobStep::Done { outcome: "ended".into(), ended_unix: now - 100 }),
		(2, JobStep::Done { outcome: "ended".into(), ended_unix: now - 10 }),
		(3, JobStep::Computed { output_hash: [0; 32], output_len: 3 }),
	] {
		executor.store.put(id, OUTPUT).unwrap();
		executor.journal.put(Kind::Job, id, &step).unwrap();
	}
	assert_eq!(executor.expire_outputs(50).unwrap(), vec![1]);
	assert_eq!(executor.store.get(1).unwrap(), None);
	assert!(executor.journal.get::<JobStep>(Kind::Job, 1).unwrap().is_none());
	// Ended 10 s ago, and a job in flight: kept.
	assert!(executor.store.get(2).unwrap().is_some());
	assert!(executor.store.get(3).unwrap().is_some());
	assert_eq!(executor.expire_outputs(0).unwrap(), vec![2]);
	assert!(executor.store.get(3).unwrap().is_some());
}

#[tokio::test]
async fn a_run_in_the_background_is_asked_again_at_later_blocks_until_done() {
	/// Answers `Running` `busy` times, then the output.
	struct Slow {
		busy: u32,
		asked: u32,
	}
	impl Runner for Slow {
		async fn run(&mut self, _: u64) -> Run {
			self.asked += 1;
			if self.asked <= self.busy {
				Run::Running
			} else {
				Run::Done(Output::plain(OUTPUT.to_vec()))
			}
		}
	}
	let dir = tempfile::tempdir().unwrap();
	let chain = Rc::new(RefCell::new(new_chain()));
	let mut executor = Executor::new(
		Journal::open(dir.path()).unwrap(),
		OutputStore::open(dir.path()).unwrap(),
		NoCrash,
	);
	let mut runner = Slow { busy: 2, asked: 0 };
	let view = chain.borrow().view();
	for block in 10..12 {
		let action = executor.step(&view, block, &mut runner, &mut Tx(chain.clone())).await;
		assert_eq!(action.unwrap(), Action::Wait, "still running at #{block}");
		assert!(executor.journal.get::<JobStep>(Kind::Job, 1).unwrap().is_none());
	}
	let action = executor.step(&view, 12, &mut runner, &mut Tx(chain.clone())).await.unwrap();
	assert_eq!(action, Action::Execute);
	let step: Option<JobStep> = executor.journal.get(Kind::Job, 1).unwrap();
	assert!(matches!(step, Some(JobStep::Computed { .. })));
	assert_eq!(executor.store.get(1).unwrap().as_deref(), Some(OUTPUT));
	assert_eq!(runner.asked, 3);
}
