//! The node's JSON-RPC extensions on top of Substrate's standard methods:
//! `system_accountNextIndex` (nonces), `payment_queryInfo`/`payment_queryFeeDetails` and
//! `babe_epochAuthorship`, and the market's `market_*` methods (SPEC §5, [`market`]).

mod json;
pub mod market;

use std::sync::Arc;

use jsonrpsee::RpcModule;
use kiln_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the BABE RPC needs.
pub struct BabeDeps {
	/// Talks to the BABE worker (epoch data).
	pub worker_handle: sc_consensus_babe::BabeWorkerHandle<Block>,
	/// Where this node's BABE keys are.
	pub keystore: sp_keystore::KeystorePtr,
}

/// What the RPC extensions need from the node.
pub struct FullDeps<C, P, SC> {
	pub client: Arc<C>,
	pub pool: Arc<P>,
	pub select_chain: SC,
	pub babe: BabeDeps,
}

/// Builds the RPC extensions.
pub fn create_full<C, P, SC>(
	deps: FullDeps<C, P, SC>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	C::Api: sp_consensus_babe::BabeApi<Block>,
	C::Api: kiln_market_runtime_api::KilnMarketApi<Block, AccountId, Balance, BlockNumber>,
	P: TransactionPool + 'static,
	SC: sp_consensus::SelectChain<Block> + 'static,
{
	use market::{Market, MarketApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use sc_consensus_babe_rpc::{Babe, BabeApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, select_chain, babe } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(Market::new(client.clone()).into_rpc())?;
	module.merge(Babe::new(client, babe.worker_handle, babe.keystore, select_chain).into_rpc())?;

	Ok(module)
}
