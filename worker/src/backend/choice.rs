//! Which backend runs PoC-GEMM: `--backend auto|cpu|cuda`.

use super::{cpu::Cpu, cuda::Cuda, GemmBackend};
use anyhow::{Context, Result};

/// Which backend to run PoC-GEMM on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
	/// CUDA if a usable GPU, driver and NVRTC are present, else the CPU (saying why).
	Auto,
	Cpu,
	/// CUDA or an error.
	Cuda,
}

/// The backend for `choice`. `Auto` falls back to the CPU with a line on stderr that says why
/// CUDA is not usable; `Cuda` without a usable GPU is an error (never a panic).
pub fn select(choice: BackendChoice, threads: Option<usize>) -> Result<Box<dyn GemmBackend>> {
	match choice {
		BackendChoice::Cpu => Ok(Box::new(Cpu::new(threads))),
		BackendChoice::Cuda => {
			Ok(Box::new(Cuda::probe().context("the CUDA backend (--backend cuda) is not usable")?))
		},
		BackendChoice::Auto => match Cuda::probe() {
			Ok(cuda) => Ok(Box::new(cuda)),
			Err(error) => {
				eprintln!("backend: CUDA not usable ({error:#}); falling back to the CPU");
				Ok(Box::new(Cpu::new(threads)))
			},
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn backend_selection_never_panics() {
		assert!(select(BackendChoice::Cpu, Some(1)).unwrap().name().starts_with("cpu"));
		// Auto always gives a backend: CUDA where it works, else the CPU.
		let auto = select(BackendChoice::Auto, Some(1)).unwrap();
		match Cuda::probe() {
			Ok(_) => assert!(auto.name().starts_with("cuda"), "{}", auto.name()),
			Err(_) => {
				assert!(auto.name().starts_with("cpu"), "{}", auto.name());
				let error = select(BackendChoice::Cuda, None).err().expect("CUDA without a GPU");
				assert!(format!("{error:#}").contains("--backend cuda"), "{error:#}");
			},
		}
	}
}
