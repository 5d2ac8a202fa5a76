//! `job submit --serve DIR`: a small HTTP server for clients without a web host. It serves
//! exactly the job's content files (by the names the spec's URIs give them) and nothing else,
//! counts complete downloads, and runs until the job has ended (verifiers may fetch the
//! inputs again to re-execute the job while it is checked).

use super::spec::Served;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::{
	collections::BTreeMap,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
};
use tokio::net::TcpListener;

/// The served files and how often each was downloaded.
pub struct Files {
	files: BTreeMap<String, (Bytes, AtomicU64)>,
}

impl Files {
	/// Reads every file now: what is served is what was hashed.
	pub fn load(served: &[Served]) -> anyhow::Result<Self> {
		let mut files = BTreeMap::new();
		for s in served {
			let bytes = if s.content.len == 0 { Vec::new() } else { std::fs::read(&s.path)? };
			if s.content.verify(&bytes).is_err() {
				anyhow::bail!("{} changed since it was hashed", s.path.display());
			}
			files.insert(s.name.clone(), (Bytes::from(bytes), AtomicU64::new(0)));
		}
		Ok(Self { files })
	}

	/// `(name, downloads)` of each file.
	pub fn downloads(&self) -> Vec<(String, u64)> {
		self.files.iter().map(|(n, (_, c))| (n.clone(), c.load(Ordering::Relaxed))).collect()
	}

	fn answer(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
		let reply = |status, body: Bytes| {
			let mut response = Response::new(Full::new(body));
			*response.status_mut() = status;
			response
		};
		if request.method() != Method::GET {
			return reply(StatusCode::METHOD_NOT_ALLOWED, Bytes::from_static(b"only GET\n"));
		}
		let name = request.uri().path().trim_start_matches('/');
		match self.files.get(name) {
			Some((bytes, count)) => {
				count.fetch_add(1, Ordering::Relaxed);
				reply(StatusCode::OK, bytes.clone())
			},
			None => reply(StatusCode::NOT_FOUND, Bytes::from_static(b"not served\n")),
		}
	}
}

/// Serves `files` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, files: Arc<Files>) {
	loop {
		let Ok((stream, _)) = listener.accept().await else { continue };
		let files = files.clone();
		tokio::spawn(async move {
			let service = hyper::service::service_fn(move |request| {
				let files = files.clone();
				async move { Ok::<_, std::convert::Infallible>(files.answer(&request)) }
			});
			let _ = hyper::server::conn::http1::Builder::new()
				.serve_connection(TokioIo::new(stream), service)
				.await;
		});
	}
}
