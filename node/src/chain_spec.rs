//! The chain specs this binary knows by name: `dev` and `local`. Any other `--chain` value is
//! read as a path to a JSON chain spec (e.g. `chain-specs/local-testnet.json`).

use kiln_runtime::{currency, WASM_BINARY};
use sc_service::{ChainType, Properties};

/// A chain spec with no extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), currency::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), currency::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), currency::SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| "The runtime Wasm binary is not available (built with SKIP_WASM_BUILD?)".to_string())
}

/// `--dev`: one validator (Alice), the dev accounts funded.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Kiln Development")
		.with_id("kiln_dev")
		.with_protocol_id("kiln")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: Alice, Bob, Charlie and Dave validate.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Kiln Local Testnet")
		.with_id("kiln_local_testnet")
		.with_protocol_id("kiln")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
