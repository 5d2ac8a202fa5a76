//! A CPU-bound Kiln Wasm job, the module `scripts/bench.sh` measures Wasm jobs with: an N-body
//! simulation in f64 (five bodies, as in the Benchmarks Game) and a sort of pseudo-random
//! integers, their sizes read from stdin as `<steps> <integers>`. The output is the final
//! energy and a checksum of the sorted integers, the same on every machine.
//!
//! Input `1000 1000` gives `energy=-0.169087605 sorted=1000 checksum=…`.

use std::io::{self, Read, Write};

const PI: f64 = std::f64::consts::PI;
const SOLAR_MASS: f64 = 4.0 * PI * PI;
const DAYS: f64 = 365.24;

#[derive(Clone, Copy)]
struct Body {
	pos: [f64; 3],
	vel: [f64; 3],
	mass: f64,
}

fn bodies() -> [Body; 5] {
	let body = |pos: [f64; 3], vel: [f64; 3], mass: f64| Body {
		pos,
		vel: vel.map(|v| v * DAYS),
		mass: mass * SOLAR_MASS,
	};
	let mut all = [
		body([0.0; 3], [0.0; 3], 1.0),
		body(
			[4.841_431_442_464_72, -1.160_320_044_027_428_4, -0.103_622_044_471_123_1],
			[1.660_076_642_744_037e-3, 7.699_011_184_197_404e-3, -6.904_600_169_720_63e-5],
			9.547_919_384_243_266e-4,
		),
		body(
			[8.343_366_718_244_58, 4.124_798_564_124_305, -4.035_234_171_143_214e-1],
			[-2.767_425_107_268_624e-3, 4.998_528_012_349_172e-3, 2.304_172_975_737_639_3e-5],
			2.858_859_806_661_308e-4,
		),
		body(
			[1.289_436_956_213_913_1e1, -1.511_115_140_169_863_1e1, -2.233_075_788_926_557_3e-1],
			[2.964_601_375_647_616e-3, 2.378_471_739_594_809_5e-3, -2.965_895_685_402_375_6e-5],
			4.366_244_043_351_563e-5,
		),
		body(
			[1.537_969_711_485_091_1e1, -2.591_931_460_998_796_4e1, 1.792_587_729_503_711_8e-1],
			[2.680_677_724_903_893_2e-3, 1.628_241_700_382_423e-3, -9.515_922_545_197_159e-5],
			5.151_389_020_466_114_5e-5,
		),
	];
	let mut momentum = [0.0; 3];
	for b in &all {
		for d in 0..3 {
			momentum[d] += b.vel[d] * b.mass;
		}
	}
	for d in 0..3 {
		all[0].vel[d] = -momentum[d] / SOLAR_MASS;
	}
	all
}

fn advance(bodies: &mut [Body; 5], dt: f64) {
	for i in 0..5 {
		for j in i + 1..5 {
			let delta: [f64; 3] = std::array::from_fn(|d| bodies[i].pos[d] - bodies[j].pos[d]);
			let distance2: f64 = delta.iter().map(|x| x * x).sum();
			let magnitude = dt / (distance2 * distance2.sqrt());
			let (mi, mj) = (bodies[i].mass, bodies[j].mass);
			for d in 0..3 {
				bodies[i].vel[d] -= delta[d] * mj * magnitude;
				bodies[j].vel[d] += delta[d] * mi * magnitude;
			}
		}
	}
	for b in bodies.iter_mut() {
		for d in 0..3 {
			b.pos[d] += dt * b.vel[d];
		}
	}
}

fn energy(bodies: &[Body; 5]) -> f64 {
	let mut e = 0.0;
	for (i, b) in bodies.iter().enumerate() {
		e += 0.5 * b.mass * b.vel.iter().map(|v| v * v).sum::<f64>();
		for other in &bodies[i + 1..] {
			let d2: f64 = (0..3).map(|d| (b.pos[d] - other.pos[d]).powi(2)).sum();
			e -= b.mass * other.mass / d2.sqrt();
		}
	}
	e
}

fn main() {
	let mut input = String::new();
	let _ = io::stdin().read_to_string(&mut input);
	let mut numbers = input.split_whitespace().map(|w| w.parse::<u64>());
	let (Some(Ok(steps)), Some(Ok(count))) = (numbers.next(), numbers.next()) else {
		eprintln!("the input must be `<steps> <integers>`");
		std::process::exit(2);
	};
	let mut system = bodies();
	for _ in 0..steps {
		advance(&mut system, 0.01);
	}
	// xorshift64*, then a sort and a position-weighted checksum.
	let mut state = 0x9E37_79B9_7F4A_7C15u64;
	let mut values: Vec<u64> = (0..count)
		.map(|_| {
			state ^= state >> 12;
			state ^= state << 25;
			state ^= state >> 27;
			state.wrapping_mul(0x2545_F491_4F6C_DD1D)
		})
		.collect();
	values.sort_unstable();
	let checksum = values
		.iter()
		.enumerate()
		.fold(0u64, |acc, (i, v)| acc.rotate_left(5) ^ v.wrapping_mul(i as u64 + 1));
	let _ = writeln!(
		io::stdout(),
		"energy={:.9} sorted={count} checksum={checksum:016x}",
		energy(&system)
	);
}
