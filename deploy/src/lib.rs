//! The Compute-Fi deploy tool: builds (through `cargo xtask wasm`), deploys,
//! activates and constructs every contract on any RPC, wires their roles,
//! registers models, creates communities, and writes
//! `deployments/<chain-id>.json`.
//!
//! Every step looks at the chain before it acts, so a second run deploys
//! and sends nothing, and `--dry-run` prints the same plan with predicted
//! addresses and estimated costs. Stylus programs go through the
//! StylusDeployer with a CREATE2 salt derived from their role and
//! constructor arguments, so their addresses are known before deploying.

pub mod artifacts;
pub mod community;
pub mod config;
pub mod core;
pub mod local;
pub mod manifest;
pub mod plan;
pub mod session;
pub mod signer;
