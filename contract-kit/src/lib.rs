//! Shared pieces of the Compute-Fi contracts: the Solidity interfaces one
//! contract uses to call another, the role identifiers, and the small amount
//! of arithmetic that several contracts must agree on.
//!
//! This crate sits at the bottom of the dependency graph: contracts depend on
//! it, it depends on no contract.
#![cfg_attr(not(test), no_std)]
extern crate alloc;

#[cfg(any(test, feature = "export-abi"))]
pub mod abi_export;
pub mod access;
pub mod calls;
pub mod delay;
pub mod errors;
pub mod events;
pub mod fees;
pub mod guard;
pub mod market;
pub mod math;
pub mod roles;
pub mod short_string;
pub mod votes;
pub mod wiring;
