//! Test doubles (Stylus contracts named as such) for the cross-contract tests.
extern crate alloc;

pub mod doubles;
