//! A Kiln Wasm job: reads its input from stdin and writes, for each line, the line in capitals
//! and its word count, then a total. Plain Rust with std: any language that targets
//! `wasm32-wasip1` can write a job the same way.
//!
//! Input `to be\nor not to be\n` gives:
//! ```text
//! 2 TO BE
//! 4 OR NOT TO BE
//! lines=2 words=6 bytes=19
//! ```

use std::io::{self, Read, Write};

fn main() {
	let mut input = String::new();
	if io::stdin().read_to_string(&mut input).is_err() {
		eprintln!("the input is not UTF-8");
		std::process::exit(2);
	}
	let mut out = io::stdout().lock();
	let (mut lines, mut words) = (0usize, 0usize);
	for line in input.lines() {
		let count = line.split_whitespace().count();
		lines += 1;
		words += count;
		let _ = writeln!(out, "{count} {}", line.to_uppercase());
	}
	let _ = writeln!(out, "lines={lines} words={words} bytes={}", input.len());
}
