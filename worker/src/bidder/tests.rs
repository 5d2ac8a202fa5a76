use super::{price::FloorAndMarkup, *};
use kiln_primitives::{job::ContentRef, Backends, GpuSpec, Region, Requirements};

const KILN: u128 = 1_000_000_000_000;

fn content(len: u64) -> ContentRef {
	ContentRef { hash: [1; 32], len, uri: b"https://example.org/x".to_vec().try_into().unwrap() }
}

fn wasm_job(fuel: u64, max_price: u128) -> OpenJob {
	OpenJob {
		id: 1,
		spec: JobSpec {
			workload: Workload::Wasm { module: content(1000), input: content(100), fuel },
			requirements: Requirements::any_cpu(),
			max_price,
			bidding_blocks: 5,
			execution_blocks: 10,
		},
		our_bid: None,
	}
}

fn gpu_job() -> OpenJob {
	let mut job = wasm_job(1000, KILN);
	job.spec.requirements = Requirements {
		min_vram_mib: 16_000,
		min_compute_capability: 80,
		gpu_count: 1,
		backend: Backend::Cuda,
		..Requirements::any_cpu()
	};
	job.spec.workload = Workload::Gemm { m: 64, n: 64, k: 64, seed: [0; 32] };
	job
}

fn cpu_only() -> Capacity {
	Capacity {
		profile: HardwareProfile {
			gpus: Default::default(),
			cpu_cores: 2,
			ram_mib: 4096,
			region: Region(*b"DE"),
			backends: Backends { cuda: false, cpu: true },
		},
		cuda_usable: false,
		max_content_bytes: 1 << 20,
		free_collateral: 100 * KILN,
		in_flight: 0,
		max_concurrent_jobs: 2,
	}
}

fn with_gpu(cuda_usable: bool) -> Capacity {
	let mut capacity = cpu_only();
	capacity.profile.gpus = vec![GpuSpec {
		model: b"H200".to_vec().try_into().unwrap(),
		vram_mib: 143_771,
		compute_capability: 90,
		count: 1,
	}]
	.try_into()
	.unwrap();
	capacity.profile.backends.cuda = true;
	capacity.cuda_usable = cuda_usable;
	capacity
}

fn terms() -> Terms {
	Terms {
		collateral_fixed: KILN,
		collateral_percent: 500,
		bid_deposit: KILN / 10,
		block_seconds: 6,
	}
}

/// 1 KILN per 10⁹ fuel, at least 0.01 KILN a job, 25 % markup.
fn policy() -> FloorAndMarkup {
	FloorAndMarkup {
		wasm_per_gigafuel: KILN,
		gemm_per_gmac: KILN / 100,
		cuda_per_gpu_second: KILN / 1000,
		min_job_price: KILN / 100,
		markup_percent: 25,
	}
}

#[test]
fn bids_the_floor_plus_markup_on_a_job_it_can_run() {
	let price = decide(&wasm_job(2_000_000_000, 10 * KILN), &cpu_only(), &terms(), &policy());
	assert_eq!(price, Ok(2 * KILN + KILN / 2));
}

#[test]
fn never_above_max_price_never_below_the_floor() {
	// Floor 2 KILN, ask 2.5 KILN, the client pays at most 2.2: bid 2.2.
	let job = wasm_job(2_000_000_000, 2_200_000_000_000);
	assert_eq!(decide(&job, &cpu_only(), &terms(), &policy()), Ok(2_200_000_000_000));
	// The client pays less than the floor: no bid.
	let job = wasm_job(2_000_000_000, 2 * KILN - 1);
	assert_eq!(
		decide(&job, &cpu_only(), &terms(), &policy()),
		Err(Skip::BelowFloor { floor: 2 * KILN, max_price: 2 * KILN - 1 })
	);
	// Every price it returns lies in [floor, max_price].
	for fuel in [1, 1_000, 10_000_000, 1_999_999_999, 3_000_000_000] {
		for max_price in [1, KILN / 100, KILN, 3 * KILN, 100 * KILN] {
			let job = wasm_job(fuel, max_price);
			let floor = policy().floor(&job.spec.workload, 60).unwrap();
			if let Ok(price) = decide(&job, &cpu_only(), &terms(), &policy()) {
				assert!(price >= floor && price <= max_price, "{fuel} {max_price}: {price}");
			} else {
				assert!(floor > max_price || terms().collateral(max_price).unwrap() > 100 * KILN);
			}
		}
	}
}

#[test]
fn never_on_what_it_cannot_run() {
	// GPU jobs on a CPU-only machine: the market's own eligibility check says no.
	assert_eq!(
		decide(&gpu_job(), &cpu_only(), &terms(), &policy()),
		Err(Skip::Requirements(Ineligibility::Backend))
	);
	// A GPU in the profile but no usable CUDA here (driver gone): no bid.
	assert_eq!(decide(&gpu_job(), &with_gpu(false), &terms(), &policy()), Err(Skip::NoCuda));
	assert!(decide(&gpu_job(), &with_gpu(true), &terms(), &policy()).is_ok());
	// A region elsewhere.
	let mut job = wasm_job(1000, KILN);
	job.spec.requirements.region = Some(Region(*b"FR"));
	assert_eq!(
		decide(&job, &cpu_only(), &terms(), &policy()),
		Err(Skip::Requirements(Ineligibility::Region))
	);
	// Content above the limit.
	let mut job = wasm_job(1000, KILN);
	job.spec.workload = Workload::Wasm { module: content(1000), input: content(2 << 20), fuel: 1 };
	assert!(matches!(
		decide(&job, &cpu_only(), &terms(), &policy()),
		Err(Skip::TooLarge { what: "input", .. })
	));
	// A GEMM whose matrices do not fit.
	let mut job = wasm_job(1000, KILN);
	job.spec.workload = Workload::Gemm { m: 4096, n: 4096, k: 4096, seed: [0; 32] };
	assert!(matches!(decide(&job, &cpu_only(), &terms(), &policy()), Err(Skip::TooLarge { .. })));
}

#[test]
fn never_beyond_its_means_or_its_concurrency() {
	let job = wasm_job(2_000_000_000, 10 * KILN);
	// 2.5 KILN at 500 % + 1 KILN = 13.5 KILN of collateral.
	let poor = Capacity { free_collateral: 13 * KILN, ..cpu_only() };
	assert_eq!(
		decide(&job, &poor, &terms(), &policy()),
		Err(Skip::Collateral { needed: 13 * KILN + KILN / 2, free: 13 * KILN })
	);
	// A deposit above the job collateral must be free too.
	let dear_deposit = Terms { bid_deposit: 20 * KILN, ..terms() };
	let enough_for_the_job = Capacity { free_collateral: 15 * KILN, ..cpu_only() };
	assert_eq!(
		decide(&job, &enough_for_the_job, &dear_deposit, &policy()),
		Err(Skip::BidDeposit { needed: 20 * KILN, free: 15 * KILN })
	);
	let busy = Capacity { in_flight: 2, ..cpu_only() };
	assert_eq!(decide(&job, &busy, &terms(), &policy()), Err(Skip::Busy { in_flight: 2, max: 2 }));
	let mut bid = job.clone();
	bid.our_bid = Some(KILN);
	assert_eq!(decide(&bid, &cpu_only(), &terms(), &policy()), Err(Skip::AlreadyBid(KILN)));
}

#[test]
fn collateral_matches_the_market_rule() {
	let t = terms();
	assert_eq!(t.collateral(0), Some(KILN));
	assert_eq!(t.collateral(2 * KILN), Some(11 * KILN));
	let t = Terms { collateral_percent: 150, ..t };
	assert_eq!(t.collateral(10), Some(KILN + 15));
	assert_eq!(t.collateral(u128::MAX), None);
}

#[test]
fn skip_reasons_read_as_sentences() {
	let text = Skip::BelowFloor { floor: 2 * KILN, max_price: KILN }.to_string();
	assert_eq!(text, "it pays at most 1 KILN, below the floor of 2 KILN");
}
