//! geth's default tracer, the opcode logger: one entry per EVM instruction
//! executed (program counter, opcode, gas left and what the instruction
//! cost, call depth, the stack before it). Stylus frames run no EVM
//! instructions and add no entries; their calls out to EVM code do.
//!
//! Memory and storage are not captured (geth's `enableMemory` and storage
//! maps); `disableStack` is honoured.

use alloy_primitives::U256;
use revm::{
    bytecode::opcode::OpCode,
    context_interface::Host,
    interpreter::{
        interpreter::EthInterpreter,
        interpreter_types::{Jumps, LoopControl},
        GasTable, InstructionTable, Interpreter, InterpreterAction,
    },
};
use serde::Serialize;

/// Most entries one trace records: a runaway loop must not exhaust the
/// node's memory (geth has no limit; 5 million entries are ~1 GB of JSON).
pub const MAX_STEPS: usize = 1_000_000;

/// One executed instruction, as geth's `structLogs` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StructLog {
    /// Program counter.
    pub pc: u64,
    /// The opcode's name.
    pub op: &'static str,
    /// Gas left before it.
    pub gas: u64,
    /// What it cost (a call's includes the gas it passes on).
    pub gas_cost: u64,
    /// Call depth, 1 for the transaction's own frame.
    pub depth: u64,
    /// The stack before it, bottom first (absent with `disableStack`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<Vec<U256>>,
}

/// Records the instructions of one transaction.
#[derive(Debug, Default)]
pub struct OpcodeLogger {
    /// geth's `disableStack`.
    pub disable_stack: bool,
    logs: Vec<StructLog>,
    /// Whether [`MAX_STEPS`] was reached (later steps are not recorded).
    pub truncated: bool,
}

impl OpcodeLogger {
    /// A logger; `disable_stack` leaves the stacks out.
    pub fn new(disable_stack: bool) -> Self {
        Self { disable_stack, ..Self::default() }
    }

    /// Runs `interpreter` as revm's `run_plain` does, recording each step.
    pub fn run<H: Host>(
        &mut self,
        interpreter: &mut Interpreter<EthInterpreter>,
        depth: usize,
        (table, gas_table): (&InstructionTable<EthInterpreter, H>, &GasTable),
        host: &mut H,
    ) -> InterpreterAction {
        let depth = u64::try_from(depth).unwrap_or(u64::MAX).saturating_add(1);
        let halted = loop {
            let (pc, op, gas) = (
                interpreter.bytecode.pc(),
                interpreter.bytecode.opcode(),
                interpreter.gas.remaining(),
            );
            let stack = (!self.disable_stack).then(|| interpreter.stack.data().clone());
            let stepped = interpreter.step(table, gas_table, host);
            self.record(StructLog {
                pc: pc as u64,
                op: OpCode::name_by_op(op),
                gas,
                gas_cost: gas.saturating_sub(interpreter.gas.remaining()),
                depth,
                stack,
            });
            if let Err(halt) = stepped {
                break halt;
            }
        };
        if interpreter.bytecode.action().is_none() {
            interpreter.halt(halted);
        }
        interpreter.take_next_action()
    }

    fn record(&mut self, log: StructLog) {
        if self.logs.len() < MAX_STEPS {
            self.logs.push(log);
        } else {
            self.truncated = true;
        }
    }

    /// The entries, in order.
    pub fn finish(self) -> Vec<StructLog> {
        self.logs
    }
}
