//! The worker's HTTP gateway, at the endpoint the provider registered:
//!
//! - `GET /jobs/{id}/output`: a job's output: to the job's client, with a signed request
//!   ([`auth`]), as soon as this worker has committed to the result; to anyone once the job
//!   has settled;
//! - `GET /metrics`: Prometheus metrics;
//! - `GET /health`: 200 while the worker follows a node, else 503, with a JSON status.

pub mod auth;

use crate::{chain::AccountId, metrics::Metrics};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::{
	collections::{HashMap, HashSet},
	path::PathBuf,
	sync::{Arc, Mutex},
};
use tokio::net::TcpListener;

/// What the daemon tells the gateway.
#[derive(Default)]
pub struct Status {
	pub connected: bool,
	pub best: u64,
	pub node: String,
	/// Jobs whose outputs anyone may fetch.
	pub settled: HashSet<u64>,
	/// Jobs whose result this worker committed to, with their clients (who may fetch the
	/// output with a signed request).
	pub clients: HashMap<u64, AccountId>,
}

pub struct Shared {
	pub outputs: PathBuf,
	pub metrics: Arc<Metrics>,
	pub status: Mutex<Status>,
}

/// Serves until the process ends.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
	loop {
		let Ok((stream, _)) = listener.accept().await else { continue };
		let shared = shared.clone();
		tokio::spawn(async move {
			let service = hyper::service::service_fn(move |request| {
				let shared = shared.clone();
				async move { Ok::<_, std::convert::Infallible>(handle(&shared, request).await) }
			});
			let _ = hyper::server::conn::http1::Builder::new()
				.serve_connection(TokioIo::new(stream), service)
				.await;
		});
	}
}

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
	let mut response = Response::new(Full::new(body.into()));
	*response.status_mut() = status;
	if let Ok(value) = content_type.parse() {
		response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
	}
	response
}

async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
	if request.method() != Method::GET {
		return reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "only GET\n");
	}
	let path = request.uri().path().to_string();
	match path.as_str() {
		"/metrics" => reply(StatusCode::OK, "text/plain; version=0.0.4", shared.metrics.render()),
		"/health" => {
			let (connected, body) = {
				let status = shared.status.lock().unwrap_or_else(|e| e.into_inner());
				let body = format!(
					"{{\"connected\":{},\"best\":{},\"node\":\"{}\"}}\n",
					status.connected,
					status.best,
					status.node.replace('"', "")
				);
				(status.connected, body)
			};
			let code = if connected { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
			reply(code, "application/json", body)
		},
		_ => {
			let auth = request.headers().get(hyper::header::AUTHORIZATION);
			output(shared, &path, auth.and_then(|v| v.to_str().ok())).await
		},
	}
}

async fn output(shared: &Shared, path: &str, auth: Option<&str>) -> Response<Full<Bytes>> {
	let id = path
		.strip_prefix("/jobs/")
		.and_then(|rest| rest.strip_suffix("/output"))
		.and_then(|id| id.parse::<u64>().ok());
	let Some(id) = id else {
		return reply(StatusCode::NOT_FOUND, "text/plain", "not found\n");
	};
	let file = shared.outputs.join(id.to_string());
	let (settled, client) = {
		let status = shared.status.lock().unwrap_or_else(|e| e.into_inner());
		(status.settled.contains(&id), status.clients.get(&id).cloned())
	};
	let now = crate::executor::unix_now();
	let allowed = match (settled, auth, &client) {
		(true, _, _) => Ok(()),
		(false, Some(header), Some(client)) => auth::check(header, id, client, now),
		(false, Some(_), None) => Err(format!("job {id}'s result is not committed yet")),
		(false, None, _) => Err(format!(
			"job {id} has not settled: its output is served to anyone once it has, and before \
			 to its client with a signed request (Authorization: Kiln <account> <unix \
			 seconds> <signature of \"kiln/output/{id}/<unix seconds>\">)"
		)),
	};
	match tokio::fs::read(&file).await {
		Ok(bytes) if allowed.is_ok() => reply(StatusCode::OK, "application/octet-stream", bytes),
		Ok(_) => reply(
			StatusCode::FORBIDDEN,
			"text/plain",
			format!("{}\n", allowed.err().unwrap_or_default()),
		),
		Err(_) => {
			reply(StatusCode::NOT_FOUND, "text/plain", format!("no output of job {id} here\n"))
		},
	}
}
