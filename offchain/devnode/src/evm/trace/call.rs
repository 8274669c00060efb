//! geth's `callTracer`, recorded from [`super::DevEvm`]'s frame loop: every
//! frame pushed (EVM or Stylus, a precompile or a plain account answered at
//! once included) opens a call, every result handed back closes it, so a
//! Stylus program's calls out appear under it like any contract's.

use alloy_primitives::{Address, Bytes, U256, U64};
use alloy_sol_types::{Revert, SolError};
use revm::{
    context::ContextTr,
    context_interface::CreateScheme,
    handler::FrameResult,
    interpreter::{interpreter_action::FrameInput, CallScheme, InstructionResult},
};
use serde::Serialize;

/// One call in geth's `callTracer` format.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallFrame {
    /// `CALL`, `STATICCALL`, `DELEGATECALL`, `CALLCODE`, `CREATE` or `CREATE2`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The caller.
    pub from: Address,
    /// The callee (for a delegate call, the code's address), or the
    /// created contract.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Address>,
    /// Wei sent (absent for static and delegate calls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<U256>,
    /// Gas given to the call.
    pub gas: U64,
    /// Gas the call used.
    pub gas_used: U64,
    /// Call data, or init code.
    pub input: Bytes,
    /// Return data, or the deployed code.
    #[serde(skip_serializing_if = "is_empty")]
    pub output: Bytes,
    /// Why the call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The `Error(string)` reason of a revert.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revert_reason: Option<String>,
    /// The calls it made, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallFrame>,
}

/// Records the call tree of one transaction.
#[derive(Debug, Default)]
pub struct CallTracer {
    open: Vec<CallFrame>,
    root: Option<CallFrame>,
    /// The next result handed back belongs to a call already closed (one
    /// answered at once, without a frame).
    closed_early: bool,
}

impl CallTracer {
    /// Opens the call `input` starts.
    pub fn open<CTX: ContextTr>(&mut self, ctx: &CTX, input: &FrameInput) {
        let frame = match input {
            FrameInput::Call(call) => {
                let (kind, value) = match call.scheme {
                    CallScheme::Call => ("CALL", Some(call.value.get())),
                    CallScheme::CallCode => ("CALLCODE", Some(call.value.get())),
                    CallScheme::DelegateCall => ("DELEGATECALL", None),
                    CallScheme::StaticCall => ("STATICCALL", None),
                };
                CallFrame {
                    kind: kind.to_owned(),
                    from: call.caller,
                    to: Some(call.bytecode_address),
                    value,
                    gas: U64::from(call.gas_limit),
                    input: call.input.bytes(ctx),
                    ..CallFrame::default()
                }
            }
            FrameInput::Create(create) => CallFrame {
                kind: match create.scheme() {
                    CreateScheme::Create2 { .. } => "CREATE2",
                    _ => "CREATE",
                }
                .to_owned(),
                from: create.caller(),
                value: Some(create.value()),
                gas: U64::from(create.gas_limit()),
                input: create.init_code().clone(),
                ..CallFrame::default()
            },
            FrameInput::Empty => CallFrame::default(),
        };
        self.open.push(frame);
    }

    /// Closes the innermost open call with `result`, unless it was closed
    /// already when it was answered at once.
    pub fn close(&mut self, result: &FrameResult) {
        if std::mem::take(&mut self.closed_early) {
            return;
        }
        self.close_now(result);
    }

    /// Closes the innermost open call, answered at once with `result`: the
    /// result handed back next is that one.
    pub fn close_early(&mut self, result: &FrameResult) {
        self.close_now(result);
        self.closed_early = true;
    }

    fn close_now(&mut self, result: &FrameResult) {
        let Some(mut frame) = self.open.pop() else { return };
        let (outcome, created) = match result {
            FrameResult::Call(call) => (&call.result, None),
            FrameResult::Create(create) => (&create.result, create.address),
        };
        frame.gas_used = U64::from(outcome.gas.total_gas_spent());
        frame.output = outcome.output.clone();
        if let Some(address) = created {
            frame.to = Some(address);
        }
        if !outcome.result.is_ok() {
            frame.error = Some(error_text(outcome.result));
            if outcome.result.is_revert() {
                frame.revert_reason = Revert::abi_decode(&outcome.output).ok().map(|r| r.reason);
            }
            if frame.kind.starts_with("CREATE") {
                frame.to = None;
            }
        }
        match self.open.last_mut() {
            Some(parent) => parent.calls.push(frame),
            None => self.root = Some(frame),
        }
    }

    /// The finished call tree.
    pub fn finish(self) -> Option<CallFrame> {
        self.root
    }
}

/// geth's wording of why a call failed.
fn error_text(result: InstructionResult) -> String {
    use InstructionResult as R;
    match result {
        R::Revert => "execution reverted".to_owned(),
        R::OutOfGas
        | R::MemoryOOG
        | R::MemoryLimitOOG
        | R::PrecompileOOG
        | R::InvalidOperandOOG => "out of gas".to_owned(),
        R::OpcodeNotFound | R::InvalidFEOpcode => "invalid opcode".to_owned(),
        R::StackUnderflow => "stack underflow".to_owned(),
        R::StackOverflow => "stack limit reached 1024".to_owned(),
        R::InvalidJump => "invalid jump destination".to_owned(),
        R::CallTooDeep => "max call depth exceeded".to_owned(),
        R::OutOfFunds => "insufficient balance for transfer".to_owned(),
        R::StateChangeDuringStaticCall => "write protection".to_owned(),
        R::CreateCollision => "contract address collision".to_owned(),
        other => format!("{other:?}"),
    }
}

fn is_empty(bytes: &Bytes) -> bool {
    bytes.is_empty()
}
