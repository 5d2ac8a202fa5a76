fn main() {
	#[cfg(feature = "std")]
	{
		// The target directory lives outside the checkout (~/.cache/kiln-target), so the Wasm
		// builder cannot find the workspace's Cargo.lock by walking up from OUT_DIR: point it
		// there. Set here rather than in .cargo/config.toml so that it does not apply to other
		// crates' runtimes (frame-benchmarking-cli builds a test runtime of its own).
		std::env::set_var(
			"WASM_BUILD_WORKSPACE_HINT",
			std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
		);
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
