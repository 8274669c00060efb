//! A call frame that can hold either EVM bytecode or a Stylus program.

use revm::{
    handler::{evm::FrameTr, EthFrame, FrameResult},
    interpreter::{interpreter::EthInterpreter, interpreter_action::FrameInit},
};

use crate::stylus::{ChildOutcome, Run};

/// revm's [`EthFrame`] (input, depth, checkpoint, gas, return data) plus,
/// for a Stylus program, the suspended WASM instance.
#[derive(Debug)]
pub struct DevFrame {
    /// The EVM frame. For a Stylus program its interpreter never runs: the
    /// frame uses its gas meter, return-data buffer and memory context.
    pub eth: EthFrame<EthInterpreter>,
    /// The program instance once a Stylus frame has started.
    pub stylus: Option<Box<Run>>,
    /// Whether this frame runs a Stylus program.
    pub is_stylus: bool,
    /// The outcome of the child frame the program is waiting on.
    pub child: Option<ChildOutcome>,
}

impl DevFrame {
    /// A placeholder frame; it holds no heap data, as revm requires of
    /// frames it may overwrite without dropping.
    pub fn invalid() -> Self {
        Self { eth: EthFrame::invalid(), stylus: None, is_stylus: false, child: None }
    }

    /// Whether the frame has produced its result.
    pub const fn is_finished(&self) -> bool {
        self.eth.is_finished()
    }
}

impl Default for DevFrame {
    fn default() -> Self {
        Self::invalid()
    }
}

impl FrameTr for DevFrame {
    type FrameResult = FrameResult;
    type FrameInit = FrameInit;
}
