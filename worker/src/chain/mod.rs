//! Talking to a Kiln node: the only module that uses subxt. The typed API generated from the
//! runtime's metadata, the connection ([`connect`]), typed reads at a block ([`query::At`],
//! returning [`view`]'s plain types), following blocks ([`follow`]) and the one signer
//! ([`submit::Submitter`], sending [`tx::Tx`]).

use anyhow::{Context, Result};
use std::fmt;

pub mod follow;
pub mod market;
pub mod query;
pub mod submit;
pub mod tx;
pub mod view;

pub use query::At;
pub use submit::{Submitter, Wait};
pub use tx::{LeafOpening, Tx};

/// An account on the chain (SS58 in text).
pub type AccountId = subxt::utils::AccountId32;
use subxt::{
	config::RpcConfigFor,
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	OnlineClient, PolkadotConfig,
};

/// The typed API of the Kiln runtime, generated at compile time from
/// `artifacts/kiln-metadata.scale` (regenerate with `scripts/update-metadata.sh`; a runtime
/// test fails when the file is stale).
#[subxt::subxt(runtime_metadata_path = "artifacts/kiln-metadata.scale")]
pub mod kiln {}

/// Kiln uses Substrate's default account, signature and extension types.
pub type KilnConfig = PolkadotConfig;

/// A connection to a node: the subxt client and the raw RPC methods beside it.
pub struct Connection {
	pub api: OnlineClient<KilnConfig>,
	pub rpc: LegacyRpcMethods<RpcConfigFor<KilnConfig>>,
	/// For the node's own methods (`market_*`).
	pub raw: RpcClient,
}

/// The signer of a secret URI ("//Alice", a mnemonic, a 0x seed, with derivations): an
/// sr25519 key.
pub fn signer(suri: &str) -> Result<Submitter> {
	let uri: subxt_signer::SecretUri =
		suri.parse().map_err(|e| anyhow::anyhow!("the secret URI is malformed: {e}"))?;
	let key = subxt_signer::sr25519::Keypair::from_uri(&uri)
		.map_err(|e| anyhow::anyhow!("cannot derive a key from the secret URI: {e}"))?;
	Ok(Submitter::new(key))
}

/// An SS58 address.
pub fn parse_account(text: &str) -> Result<AccountId> {
	text.parse().map_err(|e| anyhow::anyhow!("{text:?} is not an SS58 address: {e}"))
}

/// Connects to a node's WebSocket JSON-RPC endpoint.
pub async fn connect(url: &str) -> Result<Connection> {
	let client = RpcClient::from_insecure_url(url)
		.await
		.with_context(|| format!("cannot connect to a node at {url}"))?;
	let api = OnlineClient::<KilnConfig>::from_rpc_client(client.clone())
		.await
		.with_context(|| format!("{url} answered, but not as a Substrate node"))?;
	Ok(Connection { api, rpc: LegacyRpcMethods::new(client.clone()), raw: client })
}

impl Connection {
	/// The number of the node's best block now.
	pub async fn best_number(&self) -> Result<u64> {
		self.header_number(None).await
	}

	/// The number of the latest finalized block.
	pub async fn finalized_number(&self) -> Result<u64> {
		let hash = self.rpc.chain_get_finalized_head().await.context("chain_getFinalizedHead")?;
		self.header_number(Some(hash)).await
	}

	/// The number of the block with this hash.
	pub async fn block_number(&self, hash: subxt::utils::H256) -> Result<u64> {
		self.header_number(Some(hash)).await
	}

	/// The number of the block with this hash, or of the best block.
	async fn header_number(&self, hash: Option<subxt::utils::H256>) -> Result<u64> {
		let which = hash.map_or("the best block".to_string(), |h| format!("block {h:?}"));
		let header = self
			.rpc
			.chain_get_header(hash)
			.await
			.with_context(|| format!("chain_getHeader for {which}"))?
			.with_context(|| format!("the node does not know {which}"))?;
		Ok(header.number)
	}
}

/// What `kiln-worker chain-info` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainInfo {
	pub chain: String,
	pub node: String,
	pub spec_name: String,
	pub spec_version: u32,
	pub best: (u64, String),
	pub finalized: (u64, String),
	pub existential_deposit: u128,
}

impl fmt::Display for ChainInfo {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(f, "chain: {}", self.chain)?;
		writeln!(f, "node: {}", self.node)?;
		writeln!(f, "runtime: {} v{}", self.spec_name, self.spec_version)?;
		writeln!(f, "best: #{} {}", self.best.0, self.best.1)?;
		writeln!(f, "finalized: #{} {}", self.finalized.0, self.finalized.1)?;
		writeln!(f, "existential deposit: {}", format_kiln(self.existential_deposit))
	}
}

/// Plancks (10^-12 KILN) as a decimal KILN amount, without trailing zeros.
pub fn format_kiln(plancks: u128) -> String {
	kiln_primitives::currency::DisplayKiln(plancks).to_string()
}

/// Reads the chain name, node version, runtime version, best and finalized block.
pub async fn chain_info(url: &str) -> Result<ChainInfo> {
	let conn = connect(url).await?;
	let chain = conn.rpc.system_chain().await.context("system_chain")?;
	let node = format!(
		"{} {}",
		conn.rpc.system_name().await.context("system_name")?,
		conn.rpc.system_version().await.context("system_version")?
	);
	let best_hash = conn
		.rpc
		.chain_get_block_hash(None)
		.await
		.context("chain_getBlockHash")?
		.context("the node has no best block")?;
	let finalized_hash =
		conn.rpc.chain_get_finalized_head().await.context("chain_getFinalizedHead")?;
	let best = conn.block_number(best_hash).await?;
	let finalized = conn.block_number(finalized_hash).await?;
	let version =
		conn.rpc.state_get_runtime_version(None).await.context("state_getRuntimeVersion")?;

	// Typed access through the generated API; subxt refuses it if the node's runtime does
	// not match the metadata this binary was built with.
	let at = conn.api.at_block(finalized_hash).await.context("open the finalized block")?;
	let existential_deposit = at
		.constants()
		.entry(kiln::constants().balances().existential_deposit())
		.context("Balances::ExistentialDeposit (is this a Kiln node of the same runtime?)")?;

	let spec_name =
		version.other.get("specName").and_then(|v| v.as_str()).unwrap_or("unknown").to_string();
	Ok(ChainInfo {
		chain,
		node,
		spec_name,
		spec_version: version.spec_version,
		best: (best, format!("{best_hash:?}")),
		finalized: (finalized, format!("{finalized_hash:?}")),
		existential_deposit,
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn formats_kiln_amounts() {
		assert_eq!(format_kiln(0), "0 KILN");
		assert_eq!(format_kiln(1_000_000_000), "0.001 KILN");
		assert_eq!(format_kiln(1_500_000_000_000), "1.5 KILN");
		assert_eq!(format_kiln(1), "0.000000000001 KILN");
		assert_eq!(format_kiln(7_000_000_000_000), "7 KILN");
	}

	#[test]
	fn prints_one_field_per_line() {
		let info = ChainInfo {
			chain: "Kiln Development".into(),
			node: "Kiln Node 0.1.0".into(),
			spec_name: "kiln".into(),
			spec_version: 100,
			best: (12, "0xaa".into()),
			finalized: (10, "0xbb".into()),
			existential_deposit: 1_000_000_000,
		};
		let text = info.to_string();
		assert!(text.contains("chain: Kiln Development\n"));
		assert!(text.contains("best: #12 0xaa\n"));
		assert!(text.contains("finalized: #10 0xbb\n"));
		assert!(text.contains("existential deposit: 0.001 KILN\n"));
	}

	#[tokio::test]
	async fn unreachable_node_is_a_clear_error() {
		// Port 9 (discard) on loopback: nothing listens there.
		let error = chain_info("ws://127.0.0.1:9").await.err().expect("connection must fail");
		assert!(format!("{error:#}").contains("cannot connect to a node at ws://127.0.0.1:9"));
	}
}
