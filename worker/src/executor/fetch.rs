//! Fetching a job's content (`http`/`https`): one request to an address checked before the
//! connection, a size limit, a time limit, and the bytes checked against the job's
//! blake2-256 and length. Loopback, private, link-local and other non-public addresses are
//! refused unless the config allows them, so a client cannot make a worker probe the network
//! it runs in; the host is resolved once and the checked address is the one connected to (a
//! second lookup could answer differently). Redirects are not followed.

use http_body_util::BodyExt;
use hyper::{body::Incoming, Request, Response};
use hyper_util::rt::TokioIo;
use kiln_primitives::job::{ContentError, ContentRef};
use std::{
	net::{IpAddr, Ipv4Addr, SocketAddr},
	sync::Arc,
	time::Duration,
};
use tokio::net::TcpStream;

/// What the worker accepts (`[limits]` in worker.toml).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchPolicy {
	pub max_bytes: u64,
	pub timeout: Duration,
	/// Allow loopback, private and link-local addresses (a test net, a LAN deployment).
	pub allow_private: bool,
}

/// Why content could not be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
	BadUri(String),
	/// The host resolves to an address the policy refuses.
	Forbidden(IpAddr),
	Resolve(String),
	Connect(String),
	Status(u16),
	TooLarge {
		limit: u64,
	},
	Content(ContentError),
	Timeout(Duration),
}

impl std::fmt::Display for FetchError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			FetchError::BadUri(why) => write!(f, "unusable URI: {why}"),
			FetchError::Forbidden(ip) => write!(
				f,
				"the host resolves to {ip}, a non-public address (allow_private_addresses is off)"
			),
			FetchError::Resolve(why) => write!(f, "cannot resolve the host: {why}"),
			FetchError::Connect(why) => write!(f, "cannot fetch: {why}"),
			FetchError::Status(code) => write!(f, "the server answered HTTP {code}"),
			FetchError::TooLarge { limit } => write!(f, "the body is larger than {limit} bytes"),
			FetchError::Content(ContentError::WrongLength { expected, got }) => {
				write!(f, "{got} bytes where the job says {expected}")
			},
			FetchError::Content(ContentError::WrongHash) => {
				write!(f, "the bytes do not have the job's blake2-256")
			},
			FetchError::Timeout(limit) => write!(f, "no complete answer within {limit:?}"),
		}
	}
}

/// Whether `ip` is an address on the public Internet.
pub fn is_public(ip: IpAddr) -> bool {
	match ip {
		IpAddr::V4(v4) => is_public_v4(v4),
		IpAddr::V6(v6) => {
			if let Some(v4) = v6.to_ipv4_mapped() {
				return is_public_v4(v4);
			}
			let first = v6.segments()[0];
			!(v6.is_loopback()
				|| v6.is_unspecified()
				|| v6.is_multicast()
				|| (first & 0xfe00) == 0xfc00 // unique local fc00::/7
				|| (first & 0xffc0) == 0xfe80 // link-local fe80::/10
				|| (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
				|| (first == 0x0064 && v6.segments()[1] == 0xff9b)) // NAT64 (wraps any IPv4)
		},
	}
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
	let [a, b, ..] = ip.octets();
	!(ip.is_loopback()
		|| ip.is_private()
		|| ip.is_link_local()
		|| ip.is_unspecified()
		|| ip.is_broadcast()
		|| ip.is_multicast()
		|| ip.is_documentation()
		|| a == 0 // "this network"
		|| (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
		|| (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
		|| (a == 198 && (b == 18 || b == 19)) // benchmarking
		|| a >= 240) // reserved
}

/// Fetches `content` and checks it is what the job pins.
pub async fn fetch(content: &ContentRef, policy: &FetchPolicy) -> Result<Vec<u8>, FetchError> {
	let bytes = fetch_unchecked(content, policy, None).await?;
	content.verify(&bytes).map_err(FetchError::Content)?;
	Ok(bytes)
}

/// Fetches `content`'s bytes with an optional `Authorization` header (a client fetching its
/// job's output), checking only the length: the caller checks the bytes (a `Gemm` output's
/// hash is the Merkle root of C, not the blake2-256 of its bytes).
pub async fn fetch_unchecked(
	content: &ContentRef,
	policy: &FetchPolicy,
	authorization: Option<&str>,
) -> Result<Vec<u8>, FetchError> {
	if content.len > policy.max_bytes {
		return Err(FetchError::TooLarge { limit: policy.max_bytes });
	}
	let request = get(&content.uri, content.len, policy, authorization);
	let bytes = tokio::time::timeout(policy.timeout, request)
		.await
		.map_err(|_| FetchError::Timeout(policy.timeout))??;
	if bytes.len() as u64 != content.len {
		return Err(FetchError::Content(ContentError::WrongLength {
			expected: content.len,
			got: bytes.len() as u64,
		}));
	}
	Ok(bytes)
}

/// GET `uri`, reading at most `expected` bytes (one more shows the body is too long).
async fn get(
	uri: &[u8],
	expected: u64,
	policy: &FetchPolicy,
	authorization: Option<&str>,
) -> Result<Vec<u8>, FetchError> {
	let text = std::str::from_utf8(uri).map_err(|_| FetchError::BadUri("not UTF-8".into()))?;
	let uri: hyper::Uri = text.parse().map_err(|e| FetchError::BadUri(format!("{e}")))?;
	let https = match uri.scheme_str() {
		Some("http") => false,
		Some("https") => true,
		_ => return Err(FetchError::BadUri("only http:// and https:// are fetched".into())),
	};
	let host = uri.host().ok_or_else(|| FetchError::BadUri("no host".into()))?.to_string();
	let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
	let bare_host = host.trim_start_matches('[').trim_end_matches(']').to_string();
	let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare_host.as_str(), port))
		.await
		.map_err(|e| FetchError::Resolve(e.to_string()))?
		.collect();
	let addr = *addrs.first().ok_or_else(|| FetchError::Resolve("no address".into()))?;
	if !policy.allow_private {
		if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
			return Err(FetchError::Forbidden(bad.ip()));
		}
	}
	let tcp = TcpStream::connect(addr).await.map_err(|e| FetchError::Connect(e.to_string()))?;
	let path = uri.path_and_query().map_or("/", |p| p.as_str());
	let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
	let mut request = Request::get(path)
		.header(hyper::header::HOST, authority)
		.header(hyper::header::USER_AGENT, concat!("kiln-worker/", env!("CARGO_PKG_VERSION")));
	if let Some(value) = authorization {
		request = request.header(hyper::header::AUTHORIZATION, value);
	}
	let request = request
		.body(http_body_util::Empty::<bytes::Bytes>::new())
		.map_err(|e| FetchError::BadUri(e.to_string()))?;
	let response = if https {
		let tls = tls_connector().map_err(FetchError::Connect)?;
		let name = rustls::pki_types::ServerName::try_from(bare_host)
			.map_err(|e| FetchError::BadUri(e.to_string()))?;
		let stream =
			tls.connect(name, tcp).await.map_err(|e| FetchError::Connect(format!("TLS: {e}")))?;
		send(stream, request).await?
	} else {
		send(tcp, request).await?
	};
	let status = response.status();
	if !status.is_success() {
		return Err(FetchError::Status(status.as_u16()));
	}
	let limit = expected.min(policy.max_bytes);
	let mut body = response.into_body();
	let mut bytes = Vec::new();
	while let Some(frame) = body.frame().await {
		let frame = frame.map_err(|e| FetchError::Connect(e.to_string()))?;
		if let Some(data) = frame.data_ref() {
			if bytes.len() as u64 + data.len() as u64 > limit {
				return Err(if limit < policy.max_bytes {
					FetchError::Content(ContentError::WrongLength {
						expected,
						got: bytes.len() as u64 + data.len() as u64,
					})
				} else {
					FetchError::TooLarge { limit }
				});
			}
			bytes.extend_from_slice(data);
		}
	}
	Ok(bytes)
}

async fn send<S>(
	stream: S,
	request: Request<http_body_util::Empty<bytes::Bytes>>,
) -> Result<Response<Incoming>, FetchError>
where
	S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
	let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
		.await
		.map_err(|e| FetchError::Connect(e.to_string()))?;
	tokio::spawn(connection);
	sender.send_request(request).await.map_err(|e| FetchError::Connect(e.to_string()))
}

/// TLS with the system's root certificates (loaded once).
fn tls_connector() -> Result<tokio_rustls::TlsConnector, String> {
	static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> =
		std::sync::OnceLock::new();
	CONFIG
		.get_or_init(|| {
			let mut roots = rustls::RootCertStore::empty();
			for cert in rustls_native_certs::load_native_certs().certs {
				let _ = roots.add(cert);
			}
			if roots.is_empty() {
				return Err("no root certificates found on this system".into());
			}
			let provider = Arc::new(rustls::crypto::ring::default_provider());
			let config = rustls::ClientConfig::builder_with_provider(provider)
				.with_safe_default_protocol_versions()
				.map_err(|e| e.to_string())?
				.with_root_certificates(roots)
				.with_no_client_auth();
			Ok(Arc::new(config))
		})
		.clone()
		.map(tokio_rustls::TlsConnector::from)
}

#[cfg(test)]
mod tests {
	use super::*;
	use tokio::{
		io::{AsyncReadExt, AsyncWriteExt},
		net::TcpListener,
	};

	/// A one-response HTTP server on 127.0.0.1; `None` never answers (a stalled server).
	async fn serve(response: Option<Vec<u8>>) -> String {
		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let addr = listener.local_addr().unwrap();
		tokio::spawn(async move {
			while let Ok((mut socket, _)) = listener.accept().await {
				let response = response.clone();
				tokio::spawn(async move {
					let mut buf = [0u8; 4096];
					let _ = socket.read(&mut buf).await;
					match response {
						Some(bytes) => {
							let _ = socket.write_all(&bytes).await;
						},
						None => tokio::time::sleep(Duration::from_secs(60)).await,
					}
				});
			}
		});
		format!("http://{addr}/content")
	}

	fn ok(body: &[u8]) -> Option<Vec<u8>> {
		let mut r = format!(
			"HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
			body.len()
		)
		.into_bytes();
		r.extend_from_slice(body);
		Some(r)
	}

	fn reference(uri: &str, body: &[u8]) -> ContentRef {
		ContentRef {
			hash: sp_crypto_hashing::blake2_256(body),
			len: body.len() as u64,
			uri: uri.as_bytes().to_vec().try_into().unwrap(),
		}
	}

	fn policy(allow_private: bool) -> FetchPolicy {
		FetchPolicy { max_bytes: 1 << 20, timeout: Duration::from_secs(2), allow_private }
	}

	#[tokio::test]
	async fn fetches_content_that_matches_its_hash_and_length() {
		let body = b"the job's input".to_vec();
		let uri = serve(ok(&body)).await;
		assert_eq!(fetch(&reference(&uri, &body), &policy(true)).await, Ok(body));
	}

	#[tokio::test]
	async fn refuses_a_wrong_hash_a_wrong_length_and_a_404() {
		let uri = serve(ok(b"other bytes, same len")).await;
		let wanted = reference(&uri, b"the bytes the job pins");
		let same_len = ContentRef { len: 21, ..wanted.clone() };
		assert_eq!(
			fetch(&same_len, &policy(true)).await,
			Err(FetchError::Content(ContentError::WrongHash))
		);
		// The server sends 21 bytes where the job says 22.
		assert_eq!(
			fetch(&wanted, &policy(true)).await,
			Err(FetchError::Content(ContentError::WrongLength { expected: 22, got: 21 }))
		);
		// Longer than the job says: refused while reading, not after.
		let long = serve(ok(&[7u8; 5000])).await;
		let short = ContentRef { len: 100, ..reference(&long, b"") };
		assert!(matches!(
			fetch(&short, &policy(true)).await,
			Err(FetchError::Content(ContentError::WrongLength { expected: 100, .. }))
		));
		let missing =
			serve(Some(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec())).await;
		assert_eq!(
			fetch(&reference(&missing, b"x"), &policy(true)).await,
			Err(FetchError::Status(404))
		);
	}

	#[tokio::test]
	async fn refuses_an_oversized_body_and_a_stalled_server() {
		let big = vec![1u8; 3 << 20];
		let uri = serve(ok(&big)).await;
		let small_limit = FetchPolicy { max_bytes: 1 << 20, ..policy(true) };
		// The job says 3 MiB: above the limit before anything is fetched.
		assert_eq!(
			fetch(&reference(&uri, &big), &small_limit).await,
			Err(FetchError::TooLarge { limit: 1 << 20 })
		);
		let stalled = serve(None).await;
		let quick = FetchPolicy { timeout: Duration::from_millis(300), ..policy(true) };
		let started = std::time::Instant::now();
		assert_eq!(
			fetch(&reference(&stalled, b"x"), &quick).await,
			Err(FetchError::Timeout(Duration::from_millis(300)))
		);
		assert!(started.elapsed() < Duration::from_secs(2));
	}

	#[tokio::test]
	async fn refuses_non_public_addresses_unless_allowed() {
		let uri = serve(ok(b"secret")).await;
		assert_eq!(
			fetch(&reference(&uri, b"secret"), &policy(false)).await,
			Err(FetchError::Forbidden("127.0.0.1".parse().unwrap()))
		);
		for uri in [
			"http://[::1]:9/x",
			"http://10.1.2.3/x",
			"http://169.254.169.254/latest",
			"http://localhost:9/x",
		] {
			let result = fetch(&reference(uri, b"x"), &policy(false)).await;
			assert!(matches!(result, Err(FetchError::Forbidden(_))), "{uri}: {result:?}");
		}
		for uri in ["ftp://example.org/x", "file:///etc/passwd", "http:///x"] {
			let result = fetch(&reference(uri, b"x"), &policy(true)).await;
			assert!(matches!(result, Err(FetchError::BadUri(_))), "{uri}: {result:?}");
		}
	}

	#[test]
	fn address_classes() {
		for ip in [
			"127.0.0.1",
			"10.0.0.1",
			"172.16.5.4",
			"192.168.1.1",
			"169.254.169.254",
			"0.0.0.0",
			"100.64.0.1",
			"224.0.0.1",
			"255.255.255.255",
			"::1",
			"fe80::1",
			"fd00::1",
			"::ffff:10.0.0.1",
			"64:ff9b::a00:1",
			"198.18.0.1",
		] {
			assert!(!is_public(ip.parse().unwrap()), "{ip} is not public");
		}
		for ip in ["1.1.1.1", "8.8.8.8", "2a00:1450:4001::1", "::ffff:1.1.1.1", "100.128.0.1"] {
			assert!(is_public(ip.parse().unwrap()), "{ip} is public");
		}
	}
}
