//! The Compute-Fi worker: an independent provider that answers the oracle
//! bridge's inference requests with an open model.
//!
//! It reads the bridge's events with `eth_getLogs` in bounded ranges behind
//! a confirmation depth ([`chain`]), keeps a persisted cursor with block
//! hashes to notice reorganisations ([`cursor`]), decides per request with
//! a state machine rebuilt from the chain on restart ([`tracker`]), reads
//! every prompt before claiming ([`prompt`]: fetched by URI with
//! [`fetch`], opened, counted; sealed prompts' encs in [`seen`]), claims a
//! lease only when the model can answer it after everything it holds before
//! it ends, runs the model
//! ([`inference`]: embedded GGUF on CPU or an OpenAI-compatible server),
//! opens sealed prompts and seals answers ([`sealing`]), commits to and
//! later reveals answers on requests of redundancy above one ([`commits`]),
//! and sends every
//! transaction through one manager that simulates first, keeps nonces and
//! bumps fees ([`txm`]). Prometheus metrics and health checks in [`metrics`].
//! As `computefi-worker keeper` it harvests vaults when the tip pays for
//! the gas ([`keeper`]); as `computefi-worker chat` it serves an
//! OpenAI-compatible API ([`chat_api`]), paid by on-chain sessions with
//! signed usage receipts ([`sessions`]).

pub mod chain;
pub mod chat_api;
pub mod commits;
pub mod config;
pub mod cursor;
pub mod fetch;
pub mod http;
pub mod instructions;
pub mod keeper;
pub mod keys;
pub mod metrics;
pub mod prompt;
pub mod register;
pub mod run;
pub mod seen;
pub mod service;
pub mod sessions;
pub mod store;
pub mod tracker;
pub mod txm;
