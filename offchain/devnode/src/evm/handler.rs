//! Transaction-level plumbing: revm's mainnet handler over [`DevEvm`], and
//! the `ExecuteEvm` API the executor calls.

use revm::{
    context::{
        result::{EVMError, ExecResultAndState, ExecutionResult, HaltReason, InvalidTransaction},
        ContextSetters,
    },
    context_interface::{ContextTr, Database, Host, JournalTr},
    handler::{
        evm::FrameTr, instructions::InstructionProvider, EvmTr, FrameResult, Handler,
        PrecompileProvider,
    },
    interpreter::{interpreter::EthInterpreter, interpreter_action::FrameInit, InterpreterResult},
    state::EvmState,
    ExecuteEvm,
};

use super::DevEvm;
use crate::precompiles::DevPrecompiles;

/// Ethereum's transaction processing (validation, fees, refunds), with
/// [`DevEvm`]'s frames.
#[derive(Debug)]
pub struct DevHandler<EVM>(core::marker::PhantomData<EVM>);

impl<EVM> Default for DevHandler<EVM> {
    fn default() -> Self {
        Self(core::marker::PhantomData)
    }
}

impl<EVM> Handler for DevHandler<EVM>
where
    EVM: EvmTr<
        Context: ContextTr<Journal: JournalTr<State = EvmState>>,
        Precompiles: PrecompileProvider<EVM::Context, Output = InterpreterResult>,
        Instructions: InstructionProvider<
            Context = EVM::Context,
            InterpreterTypes = EthInterpreter,
        >,
        Frame: FrameTr<FrameResult = FrameResult, FrameInit = FrameInit>,
    >,
{
    type Evm = EVM;
    type Error = EVMError<<<EVM::Context as ContextTr>::Db as Database>::Error, InvalidTransaction>;
    type HaltReason = HaltReason;
}

type DevError<CTX> = EVMError<<<CTX as ContextTr>::Db as Database>::Error, InvalidTransaction>;

impl<CTX> ExecuteEvm for DevEvm<CTX>
where
    CTX: ContextSetters<Journal: JournalTr<State = EvmState>> + Host,
    DevPrecompiles: PrecompileProvider<CTX, Output = InterpreterResult>,
{
    type State = EvmState;
    type ExecutionResult = ExecutionResult<HaltReason>;
    type Error = DevError<CTX>;
    type Tx = <CTX as ContextTr>::Tx;
    type Block = <CTX as ContextTr>::Block;

    fn set_block(&mut self, block: Self::Block) {
        self.ctx.set_block(block);
    }

    fn transact_one(&mut self, tx: Self::Tx) -> Result<Self::ExecutionResult, Self::Error> {
        self.ctx.set_tx(tx);
        self.stylus_stack.clear();
        DevHandler::default().run(self)
    }

    fn finalize(&mut self) -> Self::State {
        self.ctx.journal_mut().finalize()
    }

    fn replay(
        &mut self,
    ) -> Result<ExecResultAndState<Self::ExecutionResult, Self::State>, Self::Error> {
        let result = DevHandler::default().run(self);
        let state = self.finalize();
        result.map(|r| ExecResultAndState::new(r, state))
    }
}
