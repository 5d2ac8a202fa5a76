//! Job outputs on disk: `outputs/<job id>` in the data directory, written to a temporary
//! file, synced and renamed into place, so an output is either whole or absent after a crash.
//! The gateway serves them; a retention period removes them.

use anyhow::{Context, Result};
use std::{
	fs::{self, File},
	io::Write,
	path::{Path, PathBuf},
};

pub struct OutputStore {
	dir: PathBuf,
}

impl OutputStore {
	/// The outputs of the jobs awarded to this worker: `outputs/` in the data directory.
	pub fn open(data_dir: &Path) -> Result<Self> {
		Self::open_dir(data_dir.join("outputs"))
	}

	/// A store in `dir` (the outputs of the jobs this worker verifies are kept apart, in
	/// `checks/`, where the gateway does not serve them).
	pub fn open_dir(dir: PathBuf) -> Result<Self> {
		fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
		Ok(Self { dir })
	}

	pub fn path(&self, job: u64) -> PathBuf {
		self.dir.join(job.to_string())
	}

	/// Stores `bytes` as job `job`'s output; returns its length.
	pub fn put(&self, job: u64, bytes: &[u8]) -> Result<u64> {
		let tmp = self.dir.join(format!("{job}.tmp"));
		let write = || -> std::io::Result<()> {
			let mut file = File::create(&tmp)?;
			file.write_all(bytes)?;
			file.sync_all()?;
			fs::rename(&tmp, self.path(job))?;
			File::open(&self.dir)?.sync_all()
		};
		write().with_context(|| format!("cannot store the output of job {job}"))?;
		Ok(bytes.len() as u64)
	}

	/// The output, if stored.
	pub fn get(&self, job: u64) -> Result<Option<Vec<u8>>> {
		match fs::read(self.path(job)) {
			Ok(bytes) => Ok(Some(bytes)),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(e).with_context(|| format!("cannot read the output of job {job}")),
		}
	}

	pub fn remove(&self, job: u64) -> Result<()> {
		match fs::remove_file(self.path(job)) {
			Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
				Err(e).with_context(|| format!("cannot remove the output of job {job}"))
			},
			_ => Ok(()),
		}
	}
}
