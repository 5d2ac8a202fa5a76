fn main() {
	// The typed API is generated from this file at compile time: rebuild when it changes.
	println!("cargo:rerun-if-changed=artifacts/kiln-metadata.scale");
}
