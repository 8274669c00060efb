//! What the `debug_trace*` methods record while a transaction runs: geth's
//! call tree ([`call`]) and Stylus's host-I/O trace ([`hostio`]), both from
//! the frame loop of [`super::DevEvm`].

pub mod call;
pub mod hostio;
pub mod opcodes;

use revm::{context::ContextTr, handler::FrameResult, interpreter::interpreter_action::FrameInput};

pub use call::{CallFrame, CallTracer};
pub use hostio::HostioTracer;
pub use opcodes::{OpcodeLogger, StructLog};

use crate::stylus::trace::HostioStep;

/// Both recordings of one traced execution.
#[derive(Debug, Default)]
pub struct Recorder {
    /// The call tree.
    pub calls: CallTracer,
    /// The host-I/O trace.
    pub hostio: HostioTracer,
    /// The opcode logger, when asked for (it slows execution down).
    pub opcodes: Option<OpcodeLogger>,
}

/// What a traced execution recorded.
#[derive(Debug, Default)]
pub struct Traces {
    /// The call tree (`None` when nothing ran).
    pub call: Option<CallFrame>,
    /// The host calls of the top frame, with those of the frames under it.
    pub hostio: Vec<HostioStep>,
    /// The EVM instructions executed, when the opcode logger ran.
    pub opcodes: Vec<StructLog>,
    /// Whether the opcode log stopped at [`opcodes::MAX_STEPS`].
    pub truncated: bool,
}

impl Recorder {
    /// A frame starts with `input`.
    pub fn open<CTX: ContextTr>(&mut self, ctx: &CTX, input: &FrameInput) {
        self.calls.open(ctx, input);
        self.hostio.open(input);
    }

    /// The frame just opened was answered at once with `result`.
    pub fn close_early(&mut self, result: &FrameResult) {
        self.calls.close_early(result);
        self.hostio.close_early(result);
    }

    /// The innermost frame ended with `result`; returns its host calls when
    /// its parent is a Stylus program (see [`HostioTracer::close`]).
    pub fn close(&mut self, result: &FrameResult, parent_is_stylus: bool) -> Vec<HostioStep> {
        self.calls.close(result);
        self.hostio.close(result, parent_is_stylus)
    }

    /// The recordings.
    pub fn finish(self) -> Traces {
        let truncated = self.opcodes.as_ref().is_some_and(|o| o.truncated);
        let opcodes = self.opcodes.map(OpcodeLogger::finish).unwrap_or_default();
        Traces { call: self.calls.finish(), hostio: self.hostio.finish(), opcodes, truncated }
    }
}
