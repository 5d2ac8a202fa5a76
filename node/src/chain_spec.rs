//! The chain specs this binary knows by name: `dev`, `local` and `public-template`. Any other
//! `--chain` value is read as a path to a JSON chain spec (e.g. `chain-specs/local-testnet.json`).

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

/// `--chain public-template`: the starting point of a public network's spec. No sudo key;
/// its validators, Council and balances are placeholders that operators replace in the plain
/// export before converting it to raw (docs/governance.md).
pub fn public_template_chain_spec() -> Result<ChainSpec, String> {
	chain_spec(
		"Kiln Public Testnet",
		"kiln_public_testnet",
		ChainType::Live,
		kiln_runtime::genesis_config_presets::PUBLIC_TESTNET_PRESET,
	)
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::BuildStorage;

	/// `twox128(pallet) ++ twox128(item)`: where a plain storage value lives.
	fn value_key(pallet: &str, item: &str) -> Vec<u8> {
		[sp_io::hashing::twox_128(pallet.as_bytes()), sp_io::hashing::twox_128(item.as_bytes())]
			.concat()
	}

	#[test]
	fn a_public_network_spec_has_no_sudo_key_and_a_council() {
		let sudo_key = value_key("Sudo", "Key");
		let council = value_key("Council", "Members");
		let public = public_template_chain_spec().unwrap().build_storage().unwrap();
		assert!(!public.top.contains_key(&sudo_key), "a public spec must not hold a sudo key");
		assert!(public.top.contains_key(&council));
		let dev = development_chain_spec().unwrap().build_storage().unwrap();
		assert!(dev.top.contains_key(&sudo_key), "the dev chain keeps sudo");
	}
}
