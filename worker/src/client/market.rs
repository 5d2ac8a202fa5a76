//! The node's `market_*` JSON-RPC methods as the client commands call them; a JSON-RPC error
//! comes back as an error carrying the node's message.

use crate::chain::Connection;
use anyhow::{anyhow, Result};
use serde_json::Value;
use subxt::rpcs::{client::RpcParams, rpc_params};

async fn call(conn: &Connection, method: &str, params: RpcParams) -> Result<Value> {
	conn.raw.request::<Value>(method, params).await.map_err(|e| match e {
		subxt::rpcs::Error::User(user) => {
			anyhow!("{method}: {} (code {})", user.message, user.code)
		},
		other => anyhow!("{method}: {other}"),
	})
}

pub async fn job(conn: &Connection, id: u64) -> Result<Value> {
	call(conn, "market_job", rpc_params![id]).await
}

pub async fn provider(conn: &Connection, account: &str) -> Result<Value> {
	call(conn, "market_provider", rpc_params![account]).await
}

pub async fn quote(conn: &Connection, requirements: Value, workload: Value) -> Result<Value> {
	call(conn, "market_quote", rpc_params![requirements, workload]).await
}

pub async fn open_jobs(conn: &Connection, page: u32, page_size: u32) -> Result<Value> {
	call(conn, "market_openJobs", rpc_params![page, page_size]).await
}

/// A decimal-string amount of an answer (`"0"` when absent).
pub fn amount(value: &Value) -> u128 {
	value.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}
