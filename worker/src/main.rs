//! The `kiln-worker` binary: parses the command line and runs it ([`kiln_worker::cli`]).

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
	kiln_worker::logs::init();
	match kiln_worker::cli::run(kiln_worker::cli::Cli::parse().command).await {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("error: {error:#}");
			std::process::ExitCode::FAILURE
		},
	}
}
