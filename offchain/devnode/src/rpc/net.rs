//! `net_*` and `web3_*` methods.

use super::RpcContext;
use crate::chain::lock;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};

/// Network identity.
#[rpc(server)]
pub trait NetApi {
    /// The chain id as a decimal string (the "network id").
    #[method(name = "net_version")]
    fn version(&self) -> RpcResult<String>;

    /// The node's name and version.
    #[method(name = "web3_clientVersion")]
    fn client_version(&self) -> RpcResult<String>;
}

/// The [`NetApiServer`] implementation.
#[derive(Clone, Debug)]
pub struct NetRpc {
    ctx: RpcContext,
}

impl NetRpc {
    /// Serves `ctx`'s chain.
    pub fn new(ctx: RpcContext) -> Self {
        Self { ctx }
    }
}

impl NetApiServer for NetRpc {
    fn version(&self) -> RpcResult<String> {
        Ok(lock(&self.ctx.chain).chain_id().to_string())
    }

    fn client_version(&self) -> RpcResult<String> {
        Ok(concat!("devnode/v", env!("CARGO_PKG_VERSION")).to_owned())
    }
}
