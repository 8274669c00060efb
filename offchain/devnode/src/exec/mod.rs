//! Transaction execution: the one door through which the chain runs code.
//!
//! [`Executor::transact`] runs one transaction (or an `eth_call`) against a
//! state database and returns the outcome with the state diff, without
//! committing it: the chain decides whether to commit (mined transactions) or
//! drop it (calls, gas estimation).
//!
//! Execution needs a deep stack (revm's 1,024-deep call stack with Stylus
//! frames in between). It runs on the caller's thread when that has
//! [`EXECUTION_STACK`] left (the node's runtime threads have
//! [`THREAD_STACK`]) and on a fresh stack segment otherwise; never on another
//! thread, because handing a short `eth_call` to a thread and back costs more
//! than the call, and on a loaded machine a scheduler tick (4 ms).

use std::{
    convert::Infallible,
    panic::{catch_unwind, AssertUnwindSafe},
};

use revm::{
    context::{
        result::{EVMError, ExecResultAndState, ExecutionResult, HaltReason},
        BlockEnv, CfgEnv, TxEnv,
    },
    database::CacheDB,
    handler::{ExecuteEvm, MainContext},
    primitives::{hardfork::SpecId, Address, Bytes, B256, U256},
    state::{AccountInfo, Bytecode, EvmState},
    Context, Database,
};

use crate::{
    chain::Upstream,
    evm::{
        trace::{Recorder, Traces},
        DevEvm,
    },
    precompiles::{arbwasm::STYLUS_VERSION, ARBITRUM, ARBWASM},
    stylus::{
        program::{self, ProgramError},
        Programs,
    },
    system::{self, STYLUS_DEPLOYER},
};

/// The state database of the devnode: every account, its code and storage,
/// in memory, over the upstream state of a fork (empty for a fresh chain).
pub type Db = CacheDB<Upstream>;

/// The outcome of a transaction together with the state changes it made.
pub type Outcome = ExecResultAndState<ExecutionResult<HaltReason>, EvmState>;

/// A throwaway layer over the chain's state: a simulation's writes land in
/// the layer and reads fall through to the state, which is not copied.
pub type Overlay<'a> = CacheDB<&'a Db>;

/// Why a transaction could not be executed at all (as opposed to reverting).
pub type ExecError = EVMError<Infallible>;

/// The stack an execution may use (64 MiB: room for revm's 1,024-deep call
/// stack with Stylus frames in between).
pub const EXECUTION_STACK: usize = 64 << 20;

/// The stack size for threads that run executions on their own stack, such
/// as the devnode's runtime threads: [`EXECUTION_STACK`] and room for the
/// code that calls [`Executor::transact`].
pub const THREAD_STACK: usize = EXECUTION_STACK + (8 << 20);

/// How strictly a transaction is validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A signed transaction being mined: nonce, balance and fees are checked.
    Transaction,
    /// `eth_call` / `eth_estimateGas`: no nonce, balance or base-fee checks,
    /// as nodes do for simulations.
    Call,
}

/// Runs transactions for one chain.
#[derive(Clone, Debug)]
pub struct Executor {
    chain_id: u64,
    programs: Programs,
}

/// The code Arbitrum gives precompile accounts (`INVALID`): it makes them
/// non-empty, so EIP-161 never deletes them or their storage.
const PRECOMPILE_CODE: [u8; 1] = [0xFE];

impl Executor {
    /// An executor for the chain with id `chain_id`.
    pub fn new(chain_id: u64) -> Self {
        Self { chain_id, programs: Programs::new() }
    }

    /// Installs the accounts every chain starts with: ArbWasm, which keeps
    /// the activation records in its storage, and the StylusDeployer
    /// contract. Idempotent: an account that already has code (from an
    /// earlier call, a state file or a call's state override) is left alone.
    pub fn install_system_accounts(db: &mut Db) {
        for precompile in ARBITRUM {
            install_code(db, precompile, 0, || {
                Bytecode::new_raw(Bytes::from_static(&PRECOMPILE_CODE))
            });
        }
        // Nonce 1: EIP-161 starts every contract created on chain there, so
        // the deployer's CREATEs follow the same address sequence as a
        // freshly deployed deployer's would.
        install_code(db, STYLUS_DEPLOYER, 1, system::stylus_deployer_code);
    }

    /// Puts the Stylus program `wasm` at `address`, already activated, as a
    /// chain's genesis does for the system contracts it serves (the ERC-6551
    /// registry). Returns its code hash.
    ///
    /// # Errors
    /// When `wasm` breaks a Stylus activation rule.
    pub fn install_program(
        db: &mut Db,
        address: Address,
        wasm: &[u8],
    ) -> Result<B256, ProgramError> {
        let code = Bytes::from(stylus_check::deployable_code(wasm));
        program::validate(&code)?;
        let bytecode = Bytecode::new_raw(code);
        let hash = bytecode.hash_slow();
        Self::install_system_accounts(db);
        // Nonce 1, as for any contract created on chain (EIP-161).
        install_code(db, address, 1, || bytecode);
        let slot = U256::from_be_bytes(hash.0);
        db.insert_account_storage(ARBWASM, slot, U256::from(STYLUS_VERSION))
            .map_err(|e| match e {})?;
        Ok(hash)
    }

    /// The chain id transactions are checked against.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The configuration every execution uses: the latest hardfork, this
    /// chain's id, and EIP-3541 off, because Stylus programs are deployed as
    /// code that starts with `0xEF`.
    pub fn cfg(&self, mode: Mode) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
        cfg.chain_id = self.chain_id;
        cfg.disable_eip3541 = true;
        if mode == Mode::Call {
            cfg.disable_nonce_check = true;
            cfg.disable_balance_check = true;
            cfg.disable_base_fee = true;
        }
        cfg
    }

    /// Runs `tx` in `block` on top of `db` (the state itself or an
    /// [`Overlay`]) and returns what happened and the state diff. Nothing is
    /// committed to `db`. The system accounts must already be in `db`
    /// ([`Executor::install_system_accounts`]; a chain installs them at
    /// genesis and when it loads a state).
    ///
    /// Execution gets [`EXECUTION_STACK`] (see the module docs); a panic
    /// there becomes an error, not a crash.
    pub fn transact<DB>(
        &self,
        db: DB,
        block: BlockEnv,
        tx: TxEnv,
        mode: Mode,
    ) -> Result<Outcome, ExecError>
    where
        DB: Database<Error = Infallible> + Send,
    {
        stacker::maybe_grow(EXECUTION_STACK, EXECUTION_STACK, || {
            catch_unwind(AssertUnwindSafe(|| self.transact_here(db, block, tx, mode)))
                .map_err(|_| EVMError::Custom("execution panicked".into()))?
        })
    }

    /// Runs `tx` as [`Executor::transact`] does and records what
    /// `recorder` records (the call tree, the Stylus host calls, and the
    /// EVM instructions if it has an opcode logger), for the
    /// `debug_trace*` methods.
    ///
    /// # Errors
    /// As [`Executor::transact`].
    pub fn trace<DB>(
        &self,
        db: DB,
        block: BlockEnv,
        tx: TxEnv,
        mode: Mode,
        recorder: Recorder,
    ) -> Result<(Outcome, Traces), ExecError>
    where
        DB: Database<Error = Infallible> + Send,
    {
        stacker::maybe_grow(EXECUTION_STACK, EXECUTION_STACK, || {
            catch_unwind(AssertUnwindSafe(|| {
                let mut tracer = Some(recorder);
                let outcome = self.run(db, block, tx, mode, &mut tracer)?;
                Ok((outcome, tracer.map(Recorder::finish).unwrap_or_default()))
            }))
            .map_err(|_| EVMError::Custom("execution panicked".into()))?
        })
    }

    fn transact_here<DB>(
        &self,
        db: DB,
        block: BlockEnv,
        tx: TxEnv,
        mode: Mode,
    ) -> Result<Outcome, ExecError>
    where
        DB: Database<Error = Infallible>,
    {
        self.run(db, block, tx, mode, &mut None)
    }

    fn run<DB>(
        &self,
        db: DB,
        block: BlockEnv,
        tx: TxEnv,
        mode: Mode,
        tracer: &mut Option<Recorder>,
    ) -> Result<Outcome, ExecError>
    where
        DB: Database<Error = Infallible>,
    {
        let ctx = Context::mainnet().with_db(db).with_block(block).with_cfg(self.cfg(mode));
        let mut evm = DevEvm::new(ctx, SpecId::PRAGUE, self.programs.clone());
        evm.tracer = tracer.take();
        let outcome = evm.transact(tx).map_err(|e| e.map_db_err(|e| match e {}));
        *tracer = evm.tracer.take();
        outcome
    }
}

/// Gives `address` the code `code()` unless it already has code. A new
/// account starts at `nonce`; an existing one keeps its balance and nonce.
fn install_code(db: &mut Db, address: Address, nonce: u64, code: impl FnOnce() -> Bytecode) {
    let existing = db.cache.accounts.get(&address).map(|a| a.info.clone());
    if existing.as_ref().is_some_and(|info| info.code.as_ref().is_some_and(|c| !c.is_empty())) {
        return;
    }
    let info = existing.unwrap_or_else(|| AccountInfo::default().with_nonce(nonce));
    db.insert_account_info(address, info.with_code(code()));
}
