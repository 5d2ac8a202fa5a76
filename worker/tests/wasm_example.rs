//! The example Wasm job (`examples/wasm-jobs`, a Rust program built for `wasm32-wasip1`) in
//! the worker's sandbox: a real compiler's output, not hand-written WAT. `scripts/test.sh`
//! builds it and sets `KILN_WASM_EXAMPLE`; without it the test says it did not run.

use kiln_worker::backend::wasm::{Exit, Limits, Sandbox};

#[test]
fn the_rust_example_runs_the_same_everywhere_and_fails_cleanly() {
	let Some(path) = std::env::var_os("KILN_WASM_EXAMPLE") else {
		eprintln!("SKIPPED: KILN_WASM_EXAMPLE is not set (scripts/test.sh builds the example)");
		return;
	};
	let module = std::fs::read(&path).expect("the example module");
	let sandbox = Sandbox::new(Limits::default()).unwrap();
	let input = b"to be\nor not to be\n";
	let run = sandbox.run_bytes(&module, input, 1_000_000_000).unwrap();
	assert_eq!(run.exit, Exit::Success);
	assert_eq!(run.output, b"2 TO BE\n4 OR NOT TO BE\nlines=2 words=6 bytes=19\n");
	// The same bytes and fuel on another engine and another thread.
	let again = std::thread::spawn(move || {
		Sandbox::new(Limits::default()).unwrap().run_bytes(&module, input, 1_000_000_000).unwrap()
	})
	.join()
	.unwrap();
	assert_eq!(again, run);
	// Not UTF-8: the program exits with 2, a result with defined bytes.
	let module = std::fs::read(&path).unwrap();
	let bad = sandbox.run_bytes(&module, &[0xff, 0xfe], 1_000_000_000).unwrap();
	assert_eq!(bad.output, b"kiln/wasm/failed exit:2");
	// Too little fuel.
	let starved = sandbox.run_bytes(&module, input, 1_000).unwrap();
	assert_eq!(
		(starved.exit, starved.output),
		(Exit::OutOfFuel, b"kiln/wasm/failed out-of-fuel".to_vec())
	);
}
