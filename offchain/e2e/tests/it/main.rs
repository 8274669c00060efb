//! The contracts, built to WASM, on the devnode: the vault and ledger over
//! JSON-RPC as a dApp drives them, the inference market (bridge, registry,
//! access, sessions), ERC-6551 accounts and their registry, the AI NFT, agent
//! permissions and parking, member votes on keys, and gas per call. One binary: one link, one
//! harness (the `e2e` library).

mod agent;
mod ai_nft;
mod bridge;
mod gas;
mod market;
mod registry;
mod sessions;
mod token_bound_account;
mod vault_over_rpc;
mod votes;
