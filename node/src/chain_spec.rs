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
	WASM_BINARY.ok_or_else(|| {
		"The runtime Wasm binary is not available (built with SKIP_WASM_BUILD?)".to_string()
	})
}

fn chain_spec(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name(name)
		.with_id(id)
		.with_protocol_id("kiln")
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `--dev`: one validator (Alice), the dev accounts funded.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	chain_spec(
		"Kiln Development",
		"kiln_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// `--chain local`: Alice, Bob, Charlie and Dave validate.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	chain_spec(
		"Kiln Local Testnet",
		"kiln_local_testnet",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}
