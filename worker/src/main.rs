//! `kiln-worker`: the provider daemon and client commands of Kiln (SPEC §6).
//!
//! Today it has `chain-info`; the daemon (`run`), onboarding (`register`, `bond`,
//! `unbond`), `bench` and the client `job` commands come with the market issues.

use clap::Parser;

mod chain;

#[derive(Debug, Parser)]
#[command(name = "kiln-worker", version, about = "Kiln provider daemon and client commands")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
	/// Connect to a node and print the chain name, best and finalized block.
	ChainInfo {
		/// WebSocket JSON-RPC endpoint of a Kiln node.
		#[arg(long, default_value = "ws://127.0.0.1:9944")]
		url: String,
	},
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
	let cli = Cli::parse();
	let outcome = match cli.command {
		Command::ChainInfo { url } => chain::chain_info(&url).await.map(|info| print!("{info}")),
	};
	match outcome {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("error: {error:#}");
			std::process::ExitCode::FAILURE
		},
	}
}
