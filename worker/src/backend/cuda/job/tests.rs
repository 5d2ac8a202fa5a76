//! Compiling jobs with NVRTC (no GPU needed), the child-process protocol with stand-in
//! children, and the example job on a real GPU (skipped without one).

use super::*;
use crate::backend::cuda::tests::nvrtc_or_fail;
use std::os::unix::fs::PermissionsExt;

const HISTOGRAM: &str = include_str!("../../../../../examples/cuda-jobs/histogram.cu");

fn histogram_launch() -> Launch {
	Launch { entry: "histogram".into(), grid: [8, 1, 1], block: [128, 1, 1], output_len: 1024 }
}

/// The example's output, computed on the CPU.
fn histogram(input: &[u8]) -> Vec<u8> {
	let mut counts = [0u32; 256];
	for b in input {
		counts[*b as usize] += 1;
	}
	counts.iter().flat_map(|c| c.to_le_bytes()).collect()
}

#[test]
fn nvrtc_compiles_the_example_and_refuses_bad_sources() {
	if !nvrtc_or_fail() {
		return;
	}
	for arch in ["sm_61", "sm_80", "sm_90"] {
		let cubin = check(HISTOGRAM.as_bytes(), "histogram", arch).unwrap();
		assert!(cubin.starts_with(b"\x7fELF"), "{arch}");
	}
	let missing = check(HISTOGRAM.as_bytes(), "histo", "sm_80").unwrap_err();
	assert!(format!("{missing:#}").contains("no kernel `histo`"), "{missing:#}");
	let mangled = HISTOGRAM.replace("extern \"C\" ", "");
	assert!(check(mangled.as_bytes(), "histogram", "sm_80").is_err(), "a C++-mangled kernel");
	let broken = check(b"__global__ void k( {", "k", "sm_80").unwrap_err();
	assert!(format!("{broken:#}").contains("job.cu"), "{broken:#}");
	assert!(check(HISTOGRAM.as_bytes(), "a;b", "sm_80").is_err());
	assert!(check(&[0xff, 0xfe], "histogram", "sm_80").is_err());
}

/// A stand-in for `kiln-worker` whose `cuda-job DIR` runs `body` (a shell script).
fn child(dir: &Path, body: &str) -> std::path::PathBuf {
	let exe = dir.join("fake-worker");
	std::fs::write(&exe, format!("#!/bin/sh\n# $1 = cuda-job, $2 = DIR\n{body}\n")).unwrap();
	std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
	exe
}

#[tokio::test]
async fn the_child_process_gives_the_output_a_time_limit_or_its_error() {
	let tmp = tempfile::tempdir().unwrap();
	let launch = histogram_launch();
	let run = |exe: std::path::PathBuf, limit| {
		let dir = tmp.path().join("job");
		let launch = launch.clone();
		async move { run_in_child(&exe, &dir, b"src", b"in", &launch, limit).await }
	};
	// The child reads what the parent wrote and answers with DIR/output.
	let echo = child(tmp.path(), r#"cat "$2/launch.json" "$2/input" > "$2/output""#);
	let output = run(echo, Duration::from_secs(10)).await.unwrap();
	assert!(
		output.starts_with(b"{\"entry\":\"histogram\""),
		"{}",
		String::from_utf8_lossy(&output)
	);
	assert!(output.ends_with(b"in"));
	let hang = child(tmp.path(), "sleep 30");
	let started = std::time::Instant::now();
	assert_eq!(run(hang, Duration::from_millis(300)).await.unwrap(), failed("time limit"));
	assert!(started.elapsed() < Duration::from_secs(5), "the child was not killed at the limit");
	let broken = child(tmp.path(), "echo 'no CUDA driver' >&2; exit 1");
	let error = run(broken, Duration::from_secs(10)).await.unwrap_err();
	assert!(format!("{error:#}").contains("no CUDA driver"), "{error:#}");
	let silent = child(tmp.path(), "exit 0");
	assert!(run(silent, Duration::from_secs(10)).await.is_err());
}

#[test]
fn without_a_driver_a_job_is_an_error_of_the_machine_not_a_result() {
	// SAFETY: only tries to dlopen the candidate names.
	if unsafe { cudarc::driver::sys::is_culib_present() } {
		eprintln!("SKIPPED: a CUDA driver is present");
		return;
	}
	let error = run_here(0, HISTOGRAM.as_bytes(), b"abc", &histogram_launch()).unwrap_err();
	assert!(format!("{error:#}").contains("no CUDA driver"), "{error:#}");
}

#[test]
fn gpu_cuda_jobs_run_and_device_failures_are_results() {
	match super::super::devices() {
		Ok(devices) if !devices.is_empty() => eprintln!("running on {}", devices[0].name),
		other if std::env::var("KILN_REQUIRE_GPU").as_deref() != Ok("1") => {
			eprintln!("SKIPPED: no CUDA device present ({other:?}); no Cuda job ran");
			return;
		},
		other => panic!("KILN_REQUIRE_GPU=1 but {other:?}"),
	}
	let input: Vec<u8> =
		(0..1_000_003u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
	let output = run_here(0, HISTOGRAM.as_bytes(), &input, &histogram_launch()).unwrap();
	assert_eq!(output, histogram(&input), "the GPU histogram");
	// Again with another grid: the same bytes.
	let other = Launch { grid: [1, 1, 1], block: [32, 1, 1], ..histogram_launch() };
	assert_eq!(run_here(0, HISTOGRAM.as_bytes(), &input, &other).unwrap(), histogram(&input));
	// An empty input: all zeros.
	assert_eq!(run_here(0, HISTOGRAM.as_bytes(), b"", &histogram_launch()).unwrap(), vec![0; 1024]);
	// A kernel that writes far out of bounds fails on the device: the defined bytes.
	let wild = r#"extern "C" __global__ void wild(const unsigned char *i, unsigned long long n,
		unsigned char *o, unsigned long long m) { o[m + (1ull << 40)] = 1; }"#;
	let launch = Launch { entry: "wild".into(), output_len: 16, ..histogram_launch() };
	let output = run_here(0, wild.as_bytes(), b"x", &launch).unwrap();
	assert!(
		output.starts_with(b"kiln/cuda/failed CUDA_ERROR_"),
		"{}",
		String::from_utf8_lossy(&output)
	);
	eprintln!("a wild write gives {:?}", String::from_utf8_lossy(&output));
}
