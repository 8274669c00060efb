//! ArbWasm (`0x…71`): activating Stylus programs and asking whether a code
//! hash is active, with the interface and errors of Arbitrum's precompile.
//!
//! Activation is recorded in the precompile account's own storage (slot =
//! code hash, value = Stylus version), so it is ordinary chain state: it is
//! journaled, reverted with its transaction, kept in snapshots and in the
//! state file, and overridable in `eth_call`.

use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolInterface};
use revm::{
    context_interface::{ContextTr, Host, JournalTr},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{address, Address, Bytes, Log, B256, U256},
};

use crate::stylus::program;

/// Where ArbWasm lives on every Arbitrum chain.
pub const ARBWASM: Address = address!("0000000000000000000000000000000000000071");

/// The Stylus version the devnode activates programs at.
pub const STYLUS_VERSION: u16 = 2;

/// Data fee per byte of uncompressed WASM, in wei. Arbitrum prices the data
/// fee from its L1 costs; a local chain has none, so this is a small
/// stand-in that keeps the payable path exercised.
pub const DATA_FEE_PER_BYTE: u64 = 1_000_000_000;

/// Gas for activation: a base plus a per-byte figure for validation and
/// compilation (the devnode's own figure, not Arbitrum's).
pub const ACTIVATION_BASE_GAS: u64 = 1_000_000;
/// Per byte of uncompressed WASM.
pub const ACTIVATION_GAS_PER_BYTE: u64 = 10;

/// Gas for a read-only query.
const QUERY_GAS: u64 = 2_600;

sol! {
    /// The part of Arbitrum's ArbWasm interface the devnode serves.
    interface IArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function programVersion(address program) external view returns (uint16 version);
        function inkPrice() external view returns (uint32 price);

        error ProgramNotWasm();
        error ProgramNotActivated();
        error ProgramUpToDate();
        error ProgramInsufficientValue(uint256 have, uint256 want);

        event ProgramActivated(bytes32 indexed codehash, bytes32 moduleHash, address program, uint256 dataFee, uint16 version);
    }
}

/// The Stylus version `code_hash` is active at, if any.
pub fn activated_version<CTX: ContextTr + Host>(ctx: &mut CTX, code_hash: B256) -> Option<u16> {
    let slot = U256::from_be_bytes(code_hash.0);
    // The account must be in the journal before its storage is read.
    ctx.journal_mut().load_account(ARBWASM).ok()?;
    let version = ctx.sload(ARBWASM, slot)?.data;
    u16::try_from(version).ok().filter(|v| *v != 0)
}

/// Runs a call to ArbWasm.
pub fn run<CTX: ContextTr + Host>(ctx: &mut CTX, inputs: &CallInputs) -> InterpreterResult {
    let input = inputs.input.bytes(ctx);
    let mut gas = Gas::new(inputs.gas_limit);
    let outcome = match IArbWasm::IArbWasmCalls::abi_decode(&input) {
        Ok(call) => dispatch(ctx, inputs, call, &mut gas),
        Err(_) => Err(Bytes::new()),
    };
    let (result, output) = match outcome {
        Ok(output) => (InstructionResult::Return, output),
        Err(revert) => (InstructionResult::Revert, revert),
    };
    InterpreterResult { result, output, gas }
}

fn dispatch<CTX: ContextTr + Host>(
    ctx: &mut CTX,
    inputs: &CallInputs,
    call: IArbWasm::IArbWasmCalls,
    gas: &mut Gas,
) -> Result<Bytes, Bytes> {
    use IArbWasm::IArbWasmCalls as C;
    if !matches!(call, C::activateProgram(_)) && !gas.record_regular_cost(QUERY_GAS) {
        return Err(Bytes::new());
    }
    match call {
        C::activateProgram(c) => activate(ctx, inputs, c.program, gas),
        C::stylusVersion(_) => {
            Ok(IArbWasm::stylusVersionCall::abi_encode_returns(&STYLUS_VERSION).into())
        }
        C::inkPrice(_) => Ok(IArbWasm::inkPriceCall::abi_encode_returns(&10_000u32).into()),
        C::codehashVersion(c) => match activated_version(ctx, c.codehash) {
            Some(v) => Ok(IArbWasm::codehashVersionCall::abi_encode_returns(&v).into()),
            None => Err(IArbWasm::ProgramNotActivated {}.abi_encode().into()),
        },
        C::programVersion(c) => {
            let hash = ctx.load_account_code_hash(c.program).map(|l| l.data).unwrap_or_default();
            match activated_version(ctx, hash) {
                Some(v) => Ok(IArbWasm::programVersionCall::abi_encode_returns(&v).into()),
                None => Err(IArbWasm::ProgramNotActivated {}.abi_encode().into()),
            }
        }
    }
}

/// `activateProgram(program)`: validate the code with the offline Stylus
/// rules, take the data fee from the value sent (refunding any excess), and
/// mark the code hash active.
fn activate<CTX: ContextTr + Host>(
    ctx: &mut CTX,
    inputs: &CallInputs,
    program: Address,
    gas: &mut Gas,
) -> Result<Bytes, Bytes> {
    let not_wasm = || Bytes::from(IArbWasm::ProgramNotWasm {}.abi_encode());
    let code = ctx.load_account_code(program).ok_or_else(not_wasm)?.data;
    let code_hash = ctx.load_account_code_hash(program).ok_or_else(not_wasm)?.data;
    let size = if program::is_root(&code) {
        // `ArbOS` 61: a root program's module is the join of its fragments.
        let single = program::assemble(&code, |a| ctx.load_account_code(a).map(|c| c.data))
            .map_err(|_| not_wasm())?;
        program::validate_root(&code, &single).map_err(|_| not_wasm())?
    } else {
        program::validate(&code).map_err(|_| not_wasm())?
    };
    let size = size as u64;
    if !gas.record_regular_cost(ACTIVATION_BASE_GAS + ACTIVATION_GAS_PER_BYTE * size) {
        return Err(Bytes::new());
    }
    if activated_version(ctx, code_hash) == Some(STYLUS_VERSION) {
        return Err(IArbWasm::ProgramUpToDate {}.abi_encode().into());
    }
    let fee = U256::from(DATA_FEE_PER_BYTE * size);
    let paid = inputs.call_value();
    if paid < fee {
        return Err(IArbWasm::ProgramInsufficientValue { have: paid, want: fee }
            .abi_encode()
            .into());
    }
    if paid > fee {
        let refund = ctx.journal_mut().transfer(ARBWASM, inputs.caller, paid - fee);
        if !matches!(refund, Ok(None)) {
            return Err(Bytes::new());
        }
    }
    let slot = U256::from_be_bytes(code_hash.0);
    ctx.sstore(ARBWASM, slot, U256::from(STYLUS_VERSION)).ok_or_else(Bytes::new)?;
    ctx.log(Log {
        address: ARBWASM,
        data: IArbWasm::ProgramActivated {
            codehash: code_hash,
            moduleHash: code_hash,
            program,
            dataFee: fee,
            version: STYLUS_VERSION,
        }
        .encode_log_data(),
    });
    Ok(IArbWasm::activateProgramCall::abi_encode_returns(&IArbWasm::activateProgramReturn {
        version: STYLUS_VERSION,
        dataFee: fee,
    })
    .into())
}
