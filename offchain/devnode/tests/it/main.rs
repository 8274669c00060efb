//! The devnode as a node: JSON-RPC methods and their errors, bad input,
//! Stylus execution and activation, call frames between EVM and Stylus, the
//! StylusDeployer, and the clients users bring (viem, cast, cargo-stylus).
//! One binary; the harness is the `e2e` library (the contracts' own
//! end-to-end tests live in that crate).

mod arbos;
mod bad_input;
mod cargo_stylus;
mod clients;
mod deployer;
mod fork;
mod fragments;
mod frames;
mod history;
mod rpc;
mod stylus;
mod traces;
