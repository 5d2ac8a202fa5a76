//! Job content (Wasm modules and inputs) cached on disk by its blake2-256: `content/<hash>` in
//! the data directory. The daemon fetches a job's content when it decides to bid, before it
//! bids: a job whose content is missing, altered or unusable is not bid on, and a client who
//! takes the content away after the award cannot make the worker fail (and lose its
//! collateral), since it already holds what it needs. Entries no live job refers to are
//! removed ([`ContentCache::retain`]).

use super::fetch::{fetch, FetchError, FetchPolicy};
use anyhow::{Context, Result};
use kiln_primitives::job::ContentRef;
use std::{
	collections::HashSet,
	fs::{self, File},
	io::Write,
	path::PathBuf,
};

pub struct ContentCache {
	dir: PathBuf,
	policy: FetchPolicy,
}

impl ContentCache {
	pub fn open(dir: PathBuf, policy: FetchPolicy) -> Result<Self> {
		fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
		Ok(Self { dir, policy })
	}

	pub fn policy(&self) -> &FetchPolicy {
		&self.policy
	}

	fn path(&self, hash: &[u8; 32]) -> PathBuf {
		self.dir.join(hex::encode(hash))
	}

	/// The content's bytes: from the cache when held there and still matching its hash and
	/// length, else fetched (and checked) and cached.
	pub async fn get(&self, content: &ContentRef) -> Result<Vec<u8>, FetchError> {
		let path = self.path(&content.hash);
		if let Ok(bytes) = fs::read(&path) {
			if content.verify(&bytes).is_ok() {
				return Ok(bytes);
			}
		}
		let bytes = fetch(content, &self.policy).await?;
		let tmp = path.with_extension("tmp");
		let write = || -> std::io::Result<()> {
			let mut file = File::create(&tmp)?;
			file.write_all(&bytes)?;
			file.sync_all()?;
			fs::rename(&tmp, &path)
		};
		if let Err(e) = write() {
			// The bytes are good; only the cache missed them.
			tracing::warn!("cannot cache {}: {e}", path.display());
		}
		Ok(bytes)
	}

	/// Puts `bytes` in the cache (tests stand in for a fetch with it); returns their hash.
	#[cfg(test)]
	pub fn insert(&self, bytes: &[u8]) -> [u8; 32] {
		let hash = sp_crypto_hashing::blake2_256(bytes);
		fs::write(self.path(&hash), bytes).expect("writing the cache");
		hash
	}

	/// Whether the content is cached.
	pub fn holds(&self, hash: &[u8; 32]) -> bool {
		self.path(hash).exists()
	}

	/// Removes every entry whose hash is not in `keep`; returns how many.
	pub fn retain(&self, keep: &HashSet<[u8; 32]>) -> Result<usize> {
		let keep: HashSet<String> = keep.iter().map(hex::encode).collect();
		let mut removed = 0;
		for entry in fs::read_dir(&self.dir)? {
			let entry = entry?;
			let name = entry.file_name().to_string_lossy().into_owned();
			if !keep.contains(&name) {
				fs::remove_file(entry.path())?;
				removed += 1;
			}
		}
		Ok(removed)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::{
		io::{Read, Write},
		net::TcpListener,
		sync::{
			atomic::{AtomicU32, Ordering},
			Arc,
		},
		time::Duration,
	};

	/// An HTTP server on 127.0.0.1 that serves `body` to every request until `limit` requests,
	/// then 404; counts the requests.
	fn server(body: &'static [u8], limit: u32) -> (String, Arc<AtomicU32>) {
		let listener = TcpListener::bind("127.0.0.1:0").unwrap();
		let url = format!("http://{}/content", listener.local_addr().unwrap());
		let hits = Arc::new(AtomicU32::new(0));
		let counted = hits.clone();
		std::thread::spawn(move || {
			for stream in listener.incoming() {
				let mut stream = stream.unwrap();
				let mut buf = [0u8; 1024];
				let _ = stream.read(&mut buf);
				let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
				let response = if n <= limit {
					let mut r =
						format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
							.into_bytes();
					r.extend_from_slice(body);
					r
				} else {
					b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
				};
				let _ = stream.write_all(&response);
			}
		});
		(url, hits)
	}

	fn content(bytes: &[u8], url: &str) -> ContentRef {
		ContentRef {
			hash: sp_crypto_hashing::blake2_256(bytes),
			len: bytes.len() as u64,
			uri: url.as_bytes().to_vec().try_into().unwrap(),
		}
	}

	fn policy() -> FetchPolicy {
		FetchPolicy { max_bytes: 1 << 20, timeout: Duration::from_secs(5), allow_private: true }
	}

	#[tokio::test]
	async fn content_is_fetched_once_and_survives_the_server_going_away() {
		let dir = tempfile::tempdir().unwrap();
		let cache = ContentCache::open(dir.path().join("content"), policy()).unwrap();
		let (url, hits) = server(b"the module", 1);
		let module = content(b"the module", &url);
		assert_eq!(cache.get(&module).await.unwrap(), b"the module");
		assert!(cache.holds(&module.hash));
		// The server now answers 404: the cached copy is used.
		assert_eq!(cache.get(&module).await.unwrap(), b"the module");
		assert_eq!(hits.load(Ordering::SeqCst), 1);
		// A cached copy that no longer matches is fetched again (and the 404 reported).
		fs::write(cache.path(&module.hash), b"the modulX").unwrap();
		assert_eq!(cache.get(&module).await.unwrap_err(), FetchError::Status(404));
		// Entries no job refers to are removed.
		fs::write(cache.path(&module.hash), b"the module").unwrap();
		assert_eq!(cache.retain(&HashSet::from([module.hash])).unwrap(), 0);
		assert_eq!(cache.retain(&HashSet::new()).unwrap(), 1);
		assert!(!cache.holds(&module.hash));
	}

	#[tokio::test]
	async fn wrong_content_is_not_cached() {
		let dir = tempfile::tempdir().unwrap();
		let cache = ContentCache::open(dir.path().join("content"), policy()).unwrap();
		let (url, _) = server(b"the input?", 10);
		let claimed = content(b"the input!", &url);
		assert!(matches!(cache.get(&claimed).await, Err(FetchError::Content(_))));
		assert!(!cache.holds(&claimed.hash));
	}
}
