//! Running a Stylus program in a revm frame: start or resume the WASM,
//! turn its sub-calls into child frames, and its end into a frame result.

use alloy_sol_types::SolError;
use revm::{
    context::ContextTr,
    context_interface::{result::Output, Cfg, CreateScheme, Host},
    handler::{evm::ContextDbError, EthFrame, FrameInitOrResult, FrameResult, ItemOrResult},
    interpreter::{
        instructions::contract::load_account_delegated,
        interpreter::EthInterpreter,
        interpreter_action::{
            CallInput, CallInputs, CallScheme, CallValue, CreateInputs, FrameInit, FrameInput,
        },
        interpreter_types::RuntimeFlag,
        InstructionResult, InterpreterAction, InterpreterResult,
    },
    primitives::Bytes,
};

use super::{DevEvm, DevFrame};
use crate::{
    precompiles::arbwasm::{self, IArbWasm},
    stylus::{
        program::{self, is_stylus},
        trace::HostioStep,
        CallEnv, CallKind, ChildOutcome, Finish, Request, Run, Step,
    },
};

/// Whether the frame's code is a Stylus program.
pub(super) fn is_stylus_frame(eth: &EthFrame<EthInterpreter>) -> bool {
    matches!(eth.input, FrameInput::Call(_))
        && is_stylus(eth.interpreter.bytecode.original_byte_slice())
}

/// What a finished child frame means to the program waiting on it.
/// `trace` holds the child's host calls when the execution is traced.
pub(super) fn child_outcome(result: &FrameResult, trace: Vec<HostioStep>) -> ChildOutcome {
    let success = result.instruction_result().is_ok();
    let (output, created) = match result.output() {
        Output::Call(output) => (output, None),
        Output::Create(output, created) => (output, created),
    };
    ChildOutcome { success, output, created, trace }
}

/// `frame_run` for a Stylus frame.
pub(super) fn run_frame<CTX: ContextTr + Host>(
    evm: &mut DevEvm<CTX>,
) -> Result<FrameInitOrResult<DevFrame>, ContextDbError<CTX>> {
    loop {
        let frame = evm.frame_stack.get();
        let gas = frame.eth.interpreter.gas.remaining();
        let (step, spent) = match (frame.stylus.as_mut(), frame.child.take()) {
            (Some(run), Some(child)) => run.resume(&mut evm.ctx, gas, &child),
            (Some(_), None) => (Step::Finish(revert(Bytes::new())), gas),
            (None, _) => start(evm),
        };
        if let (Some(tracer), Some(run)) = (&mut evm.tracer, &mut evm.frame_stack.get().stylus) {
            tracer.hostio.absorb(run.take_trace());
        }
        let frame = evm.frame_stack.get();
        if !frame.eth.interpreter.gas.record_regular_cost(spent) {
            frame.eth.interpreter.gas.spend_all();
        }
        match step {
            Step::Request(request) => match child_frame(frame, &mut evm.ctx, request) {
                Some(init) => return Ok(ItemOrResult::Item(init)),
                // The EVM pushes 0 when a call cannot start; the program
                // sees a failed call and goes on.
                None => frame.child = Some(ChildOutcome::failed()),
            },
            Step::Finish(finish) => {
                evm.stylus_stack.pop();
                return finish_frame(evm.frame_stack.get(), &mut evm.ctx, finish);
            }
        }
    }
}

/// Instantiates the frame's program and runs it from the start; returns
/// the step and the gas it spent.
fn start<CTX: ContextTr + Host>(evm: &mut DevEvm<CTX>) -> (Step, u64) {
    let frame = evm.frame_stack.get();
    let interpreter = &mut frame.eth.interpreter;
    let code_hash = interpreter.bytecode.get_or_calculate_hash();
    let code = interpreter.bytecode.original_bytes();
    let env = CallEnv {
        args: interpreter.input.input.bytes(&evm.ctx),
        address: interpreter.input.target_address,
        caller: interpreter.input.caller_address,
        value: interpreter.input.call_value,
        is_static: interpreter.runtime_flag.is_static(),
        reentrant: evm.stylus_stack.contains(&interpreter.input.target_address),
        trace: evm.tracer.is_some(),
    };
    let gas = interpreter.gas.remaining();
    // Pushed before anything can fail: every finish pops it.
    evm.stylus_stack.push(env.address);
    if arbwasm::activated_version(&mut evm.ctx, code_hash).is_none() {
        let data = IArbWasm::ProgramNotActivated {}.abi_encode().into();
        return (Step::Finish(revert(data)), 0);
    }
    // A root program's module lies in its fragments: join them the first
    // time it runs (afterwards it is compiled, by code hash).
    let code = if program::is_root(&code) && !evm.programs.is_compiled(code_hash) {
        let ctx = &mut evm.ctx;
        match program::assemble(&code, |a| ctx.load_account_code(a).map(|c| c.data)) {
            Ok(single) => Bytes::from(single.into_owned()),
            Err(_) => return (Step::Finish(revert(Bytes::new())), gas),
        }
    } else {
        code
    };
    let Ok(mut run) = Run::new(&evm.programs, code_hash, &code, env) else {
        return (Step::Finish(revert(Bytes::new())), gas);
    };
    let started = run.start(&mut evm.ctx, gas);
    evm.frame_stack.get().stylus = Some(Box::new(run));
    started
}

fn revert(output: Bytes) -> Finish {
    Finish { result: InstructionResult::Revert, output }
}

/// Ends the frame with the program's outcome.
fn finish_frame<CTX: ContextTr + Host>(
    frame: &mut DevFrame,
    ctx: &mut CTX,
    finish: Finish,
) -> Result<FrameInitOrResult<DevFrame>, ContextDbError<CTX>> {
    frame.stylus = None;
    let mut gas = frame.eth.interpreter.gas;
    if !matches!(finish.result, InstructionResult::Return | InstructionResult::Revert) {
        gas.spend_all();
    }
    let result = InterpreterResult { result: finish.result, output: finish.output, gas };
    let next = frame.eth.process_next_action(ctx, InterpreterAction::Return(result));
    if next.as_ref().is_ok_and(ItemOrResult::is_result) {
        frame.eth.set_finished(true);
    }
    next
}

/// Turns the program's request into a child frame, charging the parent as
/// the EVM's CALL and CREATE do (including the 63/64 rule).
fn child_frame<CTX: ContextTr + Host>(
    frame: &mut DevFrame,
    ctx: &mut CTX,
    request: Request,
) -> Option<FrameInit> {
    let interpreter = &mut frame.eth.interpreter;
    let spec = interpreter.runtime_flag.spec_id();
    let frame_input = match request {
        Request::Call { kind, target, input, value, gas, .. } => {
            let transfers = kind == CallKind::Call && !value.is_zero();
            let remaining = interpreter.gas.remaining();
            let loaded = load_account_delegated(
                ctx,
                spec,
                remaining,
                target,
                transfers,
                kind == CallKind::Call,
            );
            let Ok((access_gas, _state_gas, bytecode, code_hash)) = loaded else {
                interpreter.gas.spend_all();
                return None;
            };
            let value_gas = if transfers { ctx.gas_params().transfer_value_cost() } else { 0 };
            if !interpreter.gas.record_regular_cost(access_gas + value_gas) {
                return None;
            }
            let cap = ctx.gas_params().call_stipend_reduction(interpreter.gas.remaining());
            let mut gas_limit = gas.min(cap);
            let _ = interpreter.gas.record_regular_cost(gas_limit);
            if transfers {
                gas_limit = gas_limit.saturating_add(ctx.gas_params().call_stipend());
            }
            let this = &interpreter.input;
            let (target_address, caller, value, scheme) = match kind {
                CallKind::Call => {
                    (target, this.target_address, CallValue::Transfer(value), CallScheme::Call)
                }
                CallKind::Static => (
                    target,
                    this.target_address,
                    CallValue::Transfer(value),
                    CallScheme::StaticCall,
                ),
                CallKind::Delegate => (
                    this.target_address,
                    this.caller_address,
                    CallValue::Apparent(this.call_value),
                    CallScheme::DelegateCall,
                ),
            };
            FrameInput::Call(Box::new(CallInputs {
                input: CallInput::Bytes(input),
                return_memory_offset: 0..0,
                gas_limit,
                reservoir: interpreter.gas.reservoir(),
                bytecode_address: target,
                known_bytecode: (code_hash, bytecode),
                target_address,
                caller,
                value,
                scheme,
                is_static: interpreter.runtime_flag.is_static() || kind == CallKind::Static,
                charged_new_account_state_gas: false,
            }))
        }
        Request::Create { init_code, value, salt, .. } => {
            let params = ctx.gas_params();
            let (scheme, cost) = match salt {
                Some(salt) => {
                    (CreateScheme::Create2 { salt }, params.create2_cost(init_code.len()))
                }
                None => (CreateScheme::Create, params.create_cost()),
            };
            let cost = cost + params.initcode_cost(init_code.len());
            if init_code.len() > ctx.cfg().max_initcode_size()
                || !interpreter.gas.record_regular_cost(cost)
            {
                return None;
            }
            let gas_limit = ctx.gas_params().call_stipend_reduction(interpreter.gas.remaining());
            let _ = interpreter.gas.record_regular_cost(gas_limit);
            let caller = interpreter.input.target_address;
            let reservoir = interpreter.gas.reservoir();
            FrameInput::Create(Box::new(CreateInputs::new(
                caller, scheme, value, init_code, gas_limit, reservoir,
            )))
        }
    };
    Some(FrameInit {
        depth: frame.eth.depth + 1,
        memory: frame.eth.interpreter.memory.new_child_context(),
        frame_input,
    })
}
