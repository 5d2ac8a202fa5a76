//! Following the chain block by block.

use super::{query::At, Connection};
use anyhow::{Context, Result};
use subxt::client::Blocks;

/// The node's best blocks, each opened for reading.
pub struct BestBlocks {
	blocks: Blocks<super::KilnConfig>,
}

impl Connection {
	/// Follows the best blocks from now on.
	pub async fn follow_best(&self) -> Result<BestBlocks> {
		let blocks =
			self.api.stream_best_blocks().await.context("cannot follow the best blocks")?;
		Ok(BestBlocks { blocks })
	}
}

impl BestBlocks {
	/// The next best block, `None` when the node ended the stream.
	pub async fn next(&mut self) -> Option<Result<At>> {
		let block = self.blocks.next().await?;
		Some(
			async {
				let block = block.context("the block stream failed")?;
				Ok(At::new(block.at().await.context("cannot read the block")?))
			}
			.await,
		)
	}
}
