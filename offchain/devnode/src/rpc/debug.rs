//! `debug_traceTransaction` and `debug_traceCall` with geth's `callTracer`
//! and `prestateTracer`, and Stylus's `stylusTracer`.

use super::{
    error::{invalid_params, rpc_error},
    RpcContext,
};
use crate::chain::{lock, Tracer};
use alloy_eips::BlockId;
use alloy_primitives::B256;
use alloy_rpc_types_eth::TransactionRequest;
use jsonrpsee::{core::RpcResult, proc_macros::rpc, types::ErrorObjectOwned};
use serde::Deserialize;
use serde_json::Value;

/// The tracing options geth takes (the part the devnode serves; no tracer
/// named is geth's default opcode logger).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceOptions {
    /// `callTracer`, `prestateTracer` or `stylusTracer`.
    pub tracer: Option<String>,
    /// The tracer's options: `onlyTopCall` (callTracer), `diffMode`
    /// (prestateTracer).
    #[serde(default)]
    pub tracer_config: TracerConfig,
    /// The opcode logger's `disableStack`.
    #[serde(default)]
    pub disable_stack: bool,
}

/// A tracer's options.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TracerConfig {
    /// callTracer: the top call only.
    #[serde(default)]
    pub only_top_call: bool,
    /// prestateTracer: the diff mode.
    #[serde(default)]
    pub diff_mode: bool,
}

/// Tracing methods.
#[rpc(server, namespace = "debug")]
pub trait DebugApi {
    /// Re-runs a mined transaction with a tracer.
    #[method(name = "traceTransaction", blocking)]
    fn trace_transaction(&self, hash: B256, options: Option<TraceOptions>) -> RpcResult<Value>;

    /// Runs a call with a tracer, on the state of a block.
    #[method(name = "traceCall", blocking)]
    fn trace_call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        options: Option<TraceOptions>,
    ) -> RpcResult<Value>;
}

/// The [`DebugApiServer`] implementation.
#[derive(Clone, Debug)]
pub struct DebugRpc {
    ctx: RpcContext,
}

impl DebugRpc {
    /// Serves `ctx`'s chain.
    pub fn new(ctx: RpcContext) -> Self {
        Self { ctx }
    }
}

/// The tracer `options` ask for.
fn tracer_of(options: Option<TraceOptions>) -> Result<Tracer, ErrorObjectOwned> {
    let options = options.unwrap_or_default();
    match options.tracer.as_deref() {
        Some("callTracer") => Ok(Tracer::Call { only_top: options.tracer_config.only_top_call }),
        Some("prestateTracer") => Ok(Tracer::Prestate { diff: options.tracer_config.diff_mode }),
        Some("stylusTracer") => Ok(Tracer::Stylus),
        Some(js) if js.trim_start().starts_with('{') => Err(invalid_params(
            "JavaScript tracers are not supported (the devnode has no JavaScript engine): use \
             callTracer, prestateTracer or stylusTracer (cargo stylus trace --use-native-tracer)",
        )),
        Some(other) => Err(invalid_params(format!(
            "tracer {other} is not supported: use callTracer, prestateTracer or stylusTracer \
             (cargo stylus trace --use-native-tracer)"
        ))),
        None => Ok(Tracer::Opcodes { disable_stack: options.disable_stack }),
    }
}

impl DebugApiServer for DebugRpc {
    fn trace_transaction(&self, hash: B256, options: Option<TraceOptions>) -> RpcResult<Value> {
        let tracer = tracer_of(options)?;
        lock(&self.ctx.chain).trace_transaction(hash, tracer).map_err(rpc_error)
    }

    fn trace_call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        options: Option<TraceOptions>,
    ) -> RpcResult<Value> {
        let tracer = tracer_of(options)?;
        lock(&self.ctx.chain).trace_call(&request, block, tracer).map_err(rpc_error)
    }
}
