//! The worker's journal: what it has done for each job, challenge and spot-check, written
//! before the transaction that depends on it is sent, so a worker killed at any point resumes
//! from it. An embedded redb database (`journal.redb` in the data directory): each write is
//! one transaction, durable when [`Journal::put`] returns.
//!
//! Records are JSON (readable with any redb tool, and their layout can grow fields with
//! serde defaults), keyed by the chain's id in one table per kind.

use anyhow::{Context, Result};
use redb::{Database, ReadableTable, TableDefinition};
use serde::{de::DeserializeOwned, Serialize};
use std::{path::Path, sync::Arc};

/// What a record is about: one table each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
	/// Jobs this worker was awarded (`executor::JobStep`).
	Job,
	/// Hardware challenges.
	Challenge,
	/// Spot-checks this worker was drawn for.
	Check,
}

const JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("jobs");
const CHALLENGES: TableDefinition<u64, &[u8]> = TableDefinition::new("challenges");
const CHECKS: TableDefinition<u64, &[u8]> = TableDefinition::new("checks");

fn table(kind: Kind) -> TableDefinition<'static, u64, &'static [u8]> {
	match kind {
		Kind::Job => JOBS,
		Kind::Challenge => CHALLENGES,
		Kind::Check => CHECKS,
	}
}

/// A handle on the journal (cloned handles share the database).
#[derive(Clone)]
pub struct Journal {
	db: Arc<Database>,
}

impl Journal {
	/// Opens (or creates) `dir/journal.redb`.
	pub fn open(dir: &Path) -> Result<Self> {
		std::fs::create_dir_all(dir)
			.with_context(|| format!("cannot create the data directory {}", dir.display()))?;
		let path = dir.join("journal.redb");
		let db = Database::create(&path)
			.with_context(|| format!("cannot open the journal {}", path.display()))?;
		let tx = db.begin_write()?;
		for kind in [Kind::Job, Kind::Challenge, Kind::Check] {
			tx.open_table(table(kind))?;
		}
		tx.commit()?;
		Ok(Self { db: Arc::new(db) })
	}

	/// Records `value` for `id`, replacing what was there; on disk when it returns.
	pub fn put<T: Serialize>(&self, kind: Kind, id: u64, value: &T) -> Result<()> {
		let bytes = serde_json::to_vec(value)?;
		let tx = self.db.begin_write()?;
		tx.open_table(table(kind))?.insert(id, bytes.as_slice())?;
		tx.commit().with_context(|| format!("cannot write {kind:?} {id} to the journal"))?;
		Ok(())
	}

	pub fn get<T: DeserializeOwned>(&self, kind: Kind, id: u64) -> Result<Option<T>> {
		let tx = self.db.begin_read()?;
		let table = tx.open_table(table(kind))?;
		let Some(bytes) = table.get(id)? else { return Ok(None) };
		let value = serde_json::from_slice(bytes.value())
			.with_context(|| format!("{kind:?} {id}: a journal record this worker cannot read"))?;
		Ok(Some(value))
	}

	/// Every record of a kind, by id.
	pub fn all<T: DeserializeOwned>(&self, kind: Kind) -> Result<Vec<(u64, T)>> {
		let tx = self.db.begin_read()?;
		let table = tx.open_table(table(kind))?;
		let mut records = Vec::new();
		for entry in table.iter()? {
			let (id, bytes) = entry?;
			let value = serde_json::from_slice(bytes.value()).with_context(|| {
				format!("{kind:?} {}: a journal record this worker cannot read", id.value())
			})?;
			records.push((id.value(), value));
		}
		Ok(records)
	}

	pub fn remove(&self, kind: Kind, id: u64) -> Result<()> {
		let tx = self.db.begin_write()?;
		tx.open_table(table(kind))?.remove(id)?;
		tx.commit()?;
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn records_survive_reopening_and_kinds_are_apart() {
		let dir = tempfile::tempdir().unwrap();
		{
			let journal = Journal::open(dir.path()).unwrap();
			journal.put(Kind::Job, 7, &"computed").unwrap();
			journal.put(Kind::Job, 7, &"committing").unwrap();
			journal.put(Kind::Job, 3, &"done").unwrap();
			journal.put(Kind::Challenge, 7, &"other").unwrap();
		}
		let journal = Journal::open(dir.path()).unwrap();
		assert_eq!(journal.get::<String>(Kind::Job, 7).unwrap().as_deref(), Some("committing"));
		assert_eq!(journal.get::<String>(Kind::Challenge, 7).unwrap().as_deref(), Some("other"));
		assert_eq!(journal.get::<String>(Kind::Check, 7).unwrap(), None);
		let all: Vec<(u64, String)> = journal.all(Kind::Job).unwrap();
		assert_eq!(all, vec![(3, "done".into()), (7, "committing".into())]);
		journal.remove(Kind::Job, 3).unwrap();
		assert_eq!(journal.all::<String>(Kind::Job).unwrap().len(), 1);
		// A record of another shape is an error, not a panic.
		assert!(journal.get::<u64>(Kind::Job, 7).is_err());
	}
}
