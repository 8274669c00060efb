//! Cross-contract tests of the Compute-Fi contracts under motsu, in one
//! binary (one link, one set of shared helpers): end-to-end flows, the
//! ledger, the bridge, attacks, bad input, property tests of the design's
//! invariants, and the running example at full scale (ignored by default:
//! `cargo test -p tests --test it running_example -- --ignored`).
//!
//! motsu 0.10 keeps one global VM: run with `--test-threads=1`.

mod attacks;
mod bad_input;
mod bridge;
mod common;
mod flow;
mod ledger;
mod market_findings;
mod properties;
mod running_example;
mod sessions;
mod sources;
mod vault_findings;
mod vault_properties;
