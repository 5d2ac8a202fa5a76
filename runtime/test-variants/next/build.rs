fn main() {
	#[cfg(feature = "std")]
	{
		// As in runtime/build.rs: the target directory is outside the checkout.
		std::env::set_var(
			"WASM_BUILD_WORKSPACE_HINT",
			std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.."),
		);
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
