//! Stylus's host-I/O trace of a whole execution (`stylusTracer`), recorded
//! from [`crate::evm::DevEvm`]'s frame loop: a Stylus frame's host calls
//! come from its program run; a frame entered by EVM code appears as an
//! `evm_call_contract` (`evm_create1`, ...) step holding the callee's steps,
//! and one entered by a Stylus program under that program's
//! `call_contract` step.

use alloy_primitives::Address;
use revm::{
    context_interface::CreateScheme,
    handler::FrameResult,
    interpreter::{interpreter_action::FrameInput, CallScheme},
};

use crate::stylus::trace::HostioStep;

/// One frame being recorded.
#[derive(Debug, Default)]
struct OpenFrame {
    name: &'static str,
    address: Option<Address>,
    steps: Vec<HostioStep>,
}

/// Records the host-I/O trace of one transaction.
#[derive(Debug, Default)]
pub struct HostioTracer {
    open: Vec<OpenFrame>,
    /// A frame answered at once: closed already, its result not yet handed
    /// back.
    early: Option<OpenFrame>,
    root: Vec<HostioStep>,
}

impl HostioTracer {
    /// Opens the frame `input` starts.
    pub fn open(&mut self, input: &FrameInput) {
        let (name, address) = match input {
            FrameInput::Call(call) => {
                let name = match call.scheme {
                    CallScheme::Call | CallScheme::CallCode => "evm_call_contract",
                    CallScheme::DelegateCall => "evm_delegate_call_contract",
                    CallScheme::StaticCall => "evm_static_call_contract",
                };
                (name, Some(call.bytecode_address))
            }
            FrameInput::Create(create) => match create.scheme() {
                CreateScheme::Create2 { .. } => ("evm_create2", None),
                _ => ("evm_create1", None),
            },
            FrameInput::Empty => ("evm_call_contract", None),
        };
        self.open.push(OpenFrame { name, address, steps: Vec::new() });
    }

    /// Appends host calls a Stylus program made to the innermost frame.
    pub fn absorb(&mut self, steps: Vec<HostioStep>) {
        if let Some(frame) = self.open.last_mut() {
            frame.steps.extend(steps);
        }
    }

    /// Closes the innermost frame, answered at once with `result`.
    pub fn close_early(&mut self, result: &FrameResult) {
        self.early = self.pop(result);
    }

    /// Closes the innermost frame (or the one answered at once) with
    /// `result`. Under a Stylus parent its steps are returned, for the
    /// parent's call step to hold; under an EVM parent they are filed as an
    /// `evm_*` step.
    pub fn close(&mut self, result: &FrameResult, parent_is_stylus: bool) -> Vec<HostioStep> {
        let Some(frame) = self.early.take().or_else(|| self.pop(result)) else {
            return Vec::new();
        };
        if parent_is_stylus {
            return frame.steps;
        }
        if let Some(parent) = self.open.last_mut() {
            parent.steps.push(HostioStep {
                name: frame.name,
                address: frame.address,
                steps: Some(frame.steps),
                ..HostioStep::default()
            });
        }
        Vec::new()
    }

    /// Pops the innermost frame; the last one becomes the trace.
    fn pop(&mut self, result: &FrameResult) -> Option<OpenFrame> {
        let mut frame = self.open.pop()?;
        if let FrameResult::Create(create) = result {
            frame.address = create.address;
        }
        if self.open.is_empty() {
            self.root = std::mem::take(&mut frame.steps);
            return None;
        }
        Some(frame)
    }

    /// The top frame's steps.
    pub fn finish(self) -> Vec<HostioStep> {
        self.root
    }
}
