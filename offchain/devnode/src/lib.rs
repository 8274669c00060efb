//! A local Arbitrum-Stylus-capable development chain.
//!
//! revm runs the EVM; Stylus programs (code that starts with `0xEFF000`) run
//! in wasmi inside revm's call frames, so EVM and WASM contracts call each
//! other freely. JSON-RPC on port 8547 with chain id 412346 by default, the
//! same as Arbitrum's nitro-devnode, so tools work with their defaults.

pub mod accounts;
pub mod chain;
pub mod config;
pub mod evm;
pub mod exec;
mod node;
pub mod precompiles;
pub mod rpc;
pub mod stylus;
pub mod system;

pub use config::Config;
pub use node::{spawn, Node};
