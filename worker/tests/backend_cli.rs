//! `kiln-worker bench --backend …` as a user runs it: on a machine without a usable GPU the
//! CUDA backend is a clear error (exit status 1, no panic) and `auto` falls back to the CPU,
//! saying why. Stub driver libraries (built here with `cc`) stand in for a driver that has no
//! device and for one that lacks the symbols cudarc calls.

use std::{
	path::{Path, PathBuf},
	process::{Command, Output},
};

const BIN: &str = env!("CARGO_BIN_EXE_kiln-worker");

fn has_real_driver() -> bool {
	["libcuda.so.1", "libcuda.so"].iter().any(|name| {
		// SAFETY: loading the driver runs no code with preconditions.
		unsafe { libloading::Library::new(*name) }.is_ok()
	})
}

fn bench(backend: &str, ld_library_path: Option<&Path>) -> Output {
	let mut cmd = Command::new(BIN);
	cmd.args(["bench", "--backend", backend, "--m", "33", "--n", "17", "--k", "70"]);
	if let Some(dir) = ld_library_path {
		cmd.env("LD_LIBRARY_PATH", dir);
	}
	cmd.output().expect("run kiln-worker")
}

fn text(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

fn assert_clean_failure(out: &Output, expected: &str) {
	let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
	assert_eq!(out.status.code(), Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
	assert!(stderr.contains(expected), "stderr lacks {expected:?}:\n{stderr}");
	assert!(stderr.contains("--backend cuda"), "{stderr}");
}

/// A libcuda.so.1 whose cuInit answers `init` and which reports one device; it exports
/// nothing else.
fn stub_driver(name: &str, init: u32) -> PathBuf {
	let dir = std::env::temp_dir().join(format!("kiln-stub-cuda-{}-{name}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let source = dir.join("stub.c");
	std::fs::write(
		&source,
		format!(
			"int cuInit(unsigned int flags) {{ (void)flags; return {init}; }}\n\
			 int cuDeviceGetCount(int* count) {{ *count = 1; return 0; }}\n"
		),
	)
	.unwrap();
	// $CC, else the first C compiler on the PATH (setup.sh installs clang).
	let cc = std::env::var("CC").ok().filter(|c| !c.is_empty()).unwrap_or_else(|| {
		let on_path = |name: &&str| {
			Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success())
		};
		["cc", "clang", "gcc"].into_iter().find(on_path).unwrap_or("cc").into()
	});
	let status = Command::new(&cc)
		.args(["-shared", "-fPIC", "-Wl,-soname,libcuda.so.1", "-o"])
		.arg(dir.join("libcuda.so.1"))
		.arg(&source)
		.status()
		.unwrap_or_else(|e| panic!("cannot run the C compiler {cc:?}: {e}"));
	assert!(status.success(), "{cc} could not build the stub driver");
	dir
}

#[test]
fn backend_cuda_without_a_driver_is_a_clear_error() {
	if has_real_driver() {
		eprintln!("SKIPPED: this machine has a CUDA driver");
		return;
	}
	assert_clean_failure(&bench("cuda", None), "no CUDA driver (libcuda.so.1) found");
}

#[test]
fn backend_auto_falls_back_to_the_cpu_and_says_why() {
	let out = bench("auto", None);
	let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
	assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
	assert!(stdout.contains("checked: 32 entries"), "{stdout}");
	if has_real_driver() {
		eprintln!("this machine has a CUDA driver; auto chose: {stdout}");
	} else {
		assert!(stdout.contains("backend: cpu"), "{stdout}");
		assert!(
			stderr.contains("CUDA not usable (no CUDA driver (libcuda.so.1) found); falling back"),
			"{stderr}"
		);
	}
}

#[test]
fn backend_cpu_runs_everywhere() {
	let out = bench("cpu", None);
	assert!(out.status.success(), "{}", text(&out.stderr));
	assert!(text(&out.stdout).contains("backend: cpu"));
	assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
}

#[test]
fn a_driver_without_a_device_is_a_clear_error() {
	// CUDA_ERROR_NO_DEVICE = 100.
	let dir = stub_driver("no-device", 100);
	let (cuda, auto) = (bench("cuda", Some(&dir)), bench("auto", Some(&dir)));
	std::fs::remove_dir_all(&dir).unwrap();
	assert_clean_failure(&cuda, "CUDA_ERROR_NO_DEVICE");
	assert!(auto.status.success(), "{}", text(&auto.stderr));
	assert!(text(&auto.stderr).contains("CUDA_ERROR_NO_DEVICE); falling back to the CPU"));
}

#[test]
fn a_driver_missing_symbols_is_an_error_not_a_crash() {
	// cuInit and cuDeviceGetCount succeed, then cudarc needs cuDeviceGet, which the stub lacks:
	// cudarc panics and the backend turns the panic into an error.
	let dir = stub_driver("missing-symbols", 0);
	let (cuda, auto) = (bench("cuda", Some(&dir)), bench("auto", Some(&dir)));
	std::fs::remove_dir_all(&dir).unwrap();
	assert_clean_failure(&cuda, "Missing symbol cuDeviceGet");
	// The error carries the message; no panic report.
	assert!(!text(&cuda.stderr).contains("panicked at"), "{}", text(&cuda.stderr));
	assert!(auto.status.success(), "{}", text(&auto.stderr));
	assert!(text(&auto.stdout).contains("backend: cpu"));
}
