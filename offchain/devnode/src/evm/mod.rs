//! The devnode's EVM: revm's mainnet EVM whose call frames also run Stylus
//! programs.
//!
//! revm drives frames through [`EvmTr`]: `frame_init` pushes a frame,
//! `frame_run` runs the top one until it finishes or asks for a child, and
//! `frame_return_result` hands a child's result to its parent. [`DevEvm`]
//! keeps that loop and swaps the body of a frame whose code is a Stylus
//! program: the WASM runs until it calls out, the call becomes an ordinary
//! child frame (EVM or Stylus), and the WASM resumes with its result.

mod frame;
mod handler;
mod stylus;
pub mod trace;

use revm::{
    context::{ContextTr, FrameStack},
    context_interface::Host,
    handler::{
        evm::{ContextDbError, FrameInitResult, FrameTr},
        instructions::{EthInstructions, InstructionProvider},
        EthFrame, EvmTr, FrameInitOrResult, FrameResult,
    },
    interpreter::interpreter::EthInterpreter,
    primitives::{hardfork::SpecId, Address},
};

pub use frame::DevFrame;
pub use handler::DevHandler;

use crate::{precompiles::DevPrecompiles, stylus::Programs};

/// revm with Stylus frames.
#[derive(Debug)]
pub struct DevEvm<CTX> {
    /// Block, transaction, configuration, journal and database.
    pub ctx: CTX,
    /// The EVM instruction table.
    pub instruction: EthInstructions<EthInterpreter, CTX>,
    /// Ethereum's precompiles and ArbWasm.
    pub precompiles: DevPrecompiles,
    /// The frames being executed.
    pub frame_stack: FrameStack<DevFrame>,
    /// Compiled Stylus programs.
    pub programs: Programs,
    /// The storage owners of the Stylus frames now running, innermost last
    /// (for `msg_reentrant`).
    pub stylus_stack: Vec<Address>,
    /// What is being recorded, when the execution is traced.
    pub tracer: Option<trace::Recorder>,
}

impl<CTX: ContextTr> DevEvm<CTX> {
    /// An EVM over `ctx` at hardfork `spec` sharing `programs`.
    pub fn new(ctx: CTX, spec: SpecId, programs: Programs) -> Self {
        Self {
            ctx,
            instruction: EthInstructions::new_mainnet_with_spec(spec),
            precompiles: DevPrecompiles::new(spec),
            frame_stack: FrameStack::new_prealloc(8),
            programs,
            stylus_stack: Vec::new(),
            tracer: None,
        }
    }
}

impl<CTX: ContextTr + Host> EvmTr for DevEvm<CTX>
where
    DevPrecompiles:
        revm::handler::PrecompileProvider<CTX, Output = revm::interpreter::InterpreterResult>,
{
    type Context = CTX;
    type Instructions = EthInstructions<EthInterpreter, CTX>;
    type Precompiles = DevPrecompiles;
    type Frame = DevFrame;

    fn all(
        &self,
    ) -> (&Self::Context, &Self::Instructions, &Self::Precompiles, &FrameStack<Self::Frame>) {
        (&self.ctx, &self.instruction, &self.precompiles, &self.frame_stack)
    }

    fn all_mut(
        &mut self,
    ) -> (
        &mut Self::Context,
        &mut Self::Instructions,
        &mut Self::Precompiles,
        &mut FrameStack<Self::Frame>,
    ) {
        (&mut self.ctx, &mut self.instruction, &mut self.precompiles, &mut self.frame_stack)
    }

    fn frame_init(
        &mut self,
        frame_input: <Self::Frame as FrameTr>::FrameInit,
    ) -> Result<FrameInitResult<'_, Self::Frame>, ContextDbError<CTX>> {
        if let Some(tracer) = &mut self.tracer {
            tracer.open(&self.ctx, &frame_input.frame_input);
        }
        let is_first_init = self.frame_stack.index().is_none();
        let mut new_frame =
            if is_first_init { self.frame_stack.start_init() } else { self.frame_stack.get_next() };
        let frame = new_frame.get(DevFrame::invalid);
        // Slots are reused: forget whatever program ran here before.
        frame.stylus = None;
        frame.child = None;
        frame.is_stylus = false;
        let res = EthFrame::init_with_context(
            revm::context::OutFrame::new_init(&mut frame.eth),
            &mut self.ctx,
            &mut self.precompiles,
            frame_input,
        )?;
        frame.is_stylus = res.is_item() && stylus::is_stylus_frame(&frame.eth);
        if let (Some(tracer), revm::handler::ItemOrResult::Result(result)) =
            (&mut self.tracer, &res)
        {
            tracer.close_early(result);
        }
        let token = new_frame.consume();
        Ok(res.map_item(|_| {
            if is_first_init {
                // SAFETY: the slot was initialised above by `init_with_context`.
                unsafe { self.frame_stack.end_init(token) };
            } else {
                // SAFETY: as above.
                unsafe { self.frame_stack.push(token) };
            }
            self.frame_stack.get()
        }))
    }

    fn frame_run(&mut self) -> Result<FrameInitOrResult<Self::Frame>, ContextDbError<CTX>> {
        if self.frame_stack.get().is_stylus {
            return stylus::run_frame(self);
        }
        let frame = self.frame_stack.get();
        let context = &mut self.ctx;
        let instructions = &mut self.instruction;
        let tables = (instructions.instruction_table(), instructions.gas_table());
        let action = match self.tracer.as_mut().and_then(|t| t.opcodes.as_mut()) {
            Some(logger) => {
                logger.run(&mut frame.eth.interpreter, frame.eth.depth, tables, context)
            }
            None => frame.eth.interpreter.run_plain(tables.0, tables.1, context),
        };
        frame.eth.process_next_action(context, action).inspect(|i| {
            if i.is_result() {
                frame.eth.set_finished(true);
            }
        })
    }

    fn frame_return_result(
        &mut self,
        result: FrameResult,
    ) -> Result<Option<FrameResult>, ContextDbError<Self::Context>> {
        if self.frame_stack.get().is_finished() {
            self.frame_stack.pop();
        }
        let has_parent = self.frame_stack.index().is_some();
        let parent_is_stylus = has_parent && self.frame_stack.get().is_stylus;
        let nested = match &mut self.tracer {
            Some(tracer) => tracer.close(&result, parent_is_stylus),
            None => Vec::new(),
        };
        if !has_parent {
            return Ok(Some(result));
        }
        let parent = self.frame_stack.get();
        if parent.is_stylus {
            parent.child = Some(stylus::child_outcome(&result, nested));
        }
        parent.eth.return_result::<_, ContextDbError<Self::Context>>(&mut self.ctx, result)?;
        Ok(None)
    }
}
