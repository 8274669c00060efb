//! The JSON-RPC API: one file per method group, merged into one module.

mod blocks;
mod convert;
mod debug;
mod dev;
mod error;
mod eth;
mod net;

pub use blocks::{EthBlocksApiServer, EthBlocksRpc};
pub use debug::{DebugApiServer, DebugRpc};
pub use dev::{DevApiServer, DevRpc};
pub use error::{REVERT_CODE, SERVER_ERROR_CODE};
pub use eth::{EthApiServer, EthRpc};
pub use net::{NetApiServer, NetRpc};

use crate::chain::SharedChain;
use alloy_primitives::Address;
use jsonrpsee::RpcModule;

/// What every RPC handler needs.
#[derive(Clone, Debug)]
pub struct RpcContext {
    /// The chain.
    pub chain: SharedChain,
    /// The funded dev accounts, for `eth_accounts`.
    pub accounts: Vec<Address>,
    /// Whether each transaction is mined at once (otherwise blocks come on an interval).
    pub automine: bool,
}

/// Every method of the devnode in one module.
pub fn module(ctx: &RpcContext) -> anyhow::Result<RpcModule<()>> {
    let mut module = RpcModule::new(());
    module.merge(EthRpc::new(ctx.clone()).into_rpc())?;
    module.merge(EthBlocksRpc::new(ctx.clone()).into_rpc())?;
    module.merge(DevRpc::new(ctx.clone()).into_rpc())?;
    module.merge(DebugRpc::new(ctx.clone()).into_rpc())?;
    module.merge(NetRpc::new(ctx.clone()).into_rpc())?;
    Ok(module)
}
