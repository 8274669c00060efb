//! Stylus's host-I/O trace (`stylusTracer`, what `cargo stylus trace` and
//! `replay` read): every host call a program makes, with its arguments and
//! results as bytes and the ink left before and after it; a call out holds
//! the callee's own steps.
//!
//! The byte layouts are the ones cargo-stylus parses: numbers big-endian,
//! fields concatenated in the host function's order (`call_contract`:
//! address, gas, value, calldata in; return-data length and status out).

use alloy_primitives::{Address, Bytes};
use serde::Serialize;

use super::{CallKind, ChildOutcome, Request};

/// One host call, or one frame entered without one (an EVM contract's call,
/// named `evm_call_contract`, `evm_create1`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostioStep {
    /// The `vm_hooks` function, or `user_entrypoint` / `user_returned`.
    pub name: &'static str,
    /// What the program passed, as bytes.
    pub args: Bytes,
    /// What the host answered, as bytes.
    pub outs: Bytes,
    /// Ink left when the call began.
    pub start_ink: u64,
    /// Ink left when it returned.
    pub end_ink: u64,
    /// For calls out: the callee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// For calls out: the callee's own steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<HostioStep>>,
}

/// The steps one program run has recorded so far.
#[derive(Clone, Debug, Default)]
pub struct HostioLog {
    /// Finished steps, in order.
    pub steps: Vec<HostioStep>,
    /// Ink left when the host call now running began.
    pub start_ink: Option<u64>,
}

impl HostioLog {
    /// Records the host call now running, which ends with `end_ink` left.
    pub fn record(&mut self, name: &'static str, args: &[&[u8]], outs: &[&[u8]], end_ink: u64) {
        let start_ink = self.start_ink.take().unwrap_or(end_ink);
        self.steps.push(HostioStep {
            name,
            args: args.concat().into(),
            outs: outs.concat().into(),
            start_ink,
            end_ink,
            address: None,
            steps: None,
        });
    }
}

impl HostioLog {
    /// Records the call out or deployment `request` that ended with
    /// `child`, with the callee's own steps under it.
    pub fn record_request(&mut self, request: &Request, child: &ChildOutcome, end_ink: u64) {
        let out_len = u32::try_from(child.output.len()).unwrap_or(u32::MAX).to_be_bytes();
        match request {
            Request::Call { kind, target, input, value, gas, .. } => {
                let (name, value) = match kind {
                    CallKind::Call => ("call_contract", Some(value.to_be_bytes::<32>())),
                    CallKind::Delegate => ("delegate_call_contract", None),
                    CallKind::Static => ("static_call_contract", None),
                };
                let value = value.as_ref().map_or(&[][..], |v| &v[..]);
                let args = [target.as_slice(), &gas.to_be_bytes(), value, input];
                let status = [u8::from(!child.success)];
                self.record(name, &args, &[&out_len, &status], end_ink);
                if let Some(step) = self.steps.last_mut() {
                    step.address = Some(*target);
                    step.steps = Some(child.trace.clone());
                }
            }
            Request::Create { init_code, value, salt, .. } => {
                let address = child.created.filter(|_| child.success).unwrap_or_default();
                let revert_len = if child.success { [0; 4] } else { out_len };
                let outs = [address.as_slice(), &revert_len];
                let value = value.to_be_bytes::<32>();
                match salt {
                    Some(salt) => {
                        let args = [&value[..], &salt.to_be_bytes::<32>(), init_code];
                        self.record("create2", &args, &outs, end_ink);
                    }
                    None => self.record("create1", &[&value, init_code], &outs, end_ink),
                }
            }
        }
    }
}
