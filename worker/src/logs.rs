//! The worker's logs: `tracing` events on stdout, one line each with the time, the level, the
//! module and the message, then the event's fields (`block=…`, `job=…` on every line about a
//! block or a job, so a log can be filtered by job without parsing the text). `KILN_LOG` sets
//! the filter in `RUST_LOG` syntax (default `info`; e.g. `KILN_LOG=warn` or
//! `KILN_LOG=kiln_worker::daemon=debug,info`); `KILN_LOG_ANSI=0` turns colours off.

use tracing_subscriber::EnvFilter;

/// The environment variable holding the filter.
pub const FILTER_ENV: &str = "KILN_LOG";

/// Installs the subscriber (once; later calls do nothing).
pub fn init() {
	let filter = EnvFilter::try_from_env(FILTER_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
	let ansi = std::env::var("KILN_LOG_ANSI")
		.map_or_else(|_| std::io::IsTerminal::is_terminal(&std::io::stdout()), |v| v != "0");
	let _ = tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_ansi(ansi)
		.with_writer(std::io::stdout)
		.try_init();
}
