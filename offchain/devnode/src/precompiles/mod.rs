//! Precompiles: Ethereum's, plus the Arbitrum ones Stylus tooling needs.

pub mod arbwasm;

use revm::{
    context::Cfg,
    context_interface::{ContextTr, Host},
    handler::{EthPrecompiles, PrecompileProvider},
    interpreter::{CallInputs, InterpreterResult},
    primitives::{hardfork::SpecId, AddressSet},
};

pub use arbwasm::ARBWASM;

/// Ethereum's precompiles and ArbWasm.
#[derive(Clone, Debug)]
pub struct DevPrecompiles {
    eth: EthPrecompiles,
    addresses: AddressSet,
}

impl DevPrecompiles {
    /// The precompiles of `spec` plus ArbWasm.
    pub fn new(spec: SpecId) -> Self {
        let eth = EthPrecompiles::new(spec);
        let mut addresses = eth.warm_addresses().clone();
        addresses.insert(ARBWASM);
        Self { eth, addresses }
    }
}

impl<CTX: ContextTr + Host> PrecompileProvider<CTX> for DevPrecompiles
where
    CTX::Cfg: Cfg<Spec = SpecId>,
{
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        if !<EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec) {
            return false;
        }
        let mut addresses = self.eth.warm_addresses().clone();
        addresses.insert(ARBWASM);
        self.addresses = addresses;
        true
    }

    fn run(&mut self, ctx: &mut CTX, inputs: &CallInputs) -> Result<Option<Self::Output>, String> {
        if inputs.bytecode_address == ARBWASM {
            return Ok(Some(arbwasm::run(ctx, inputs)));
        }
        self.eth.run(ctx, inputs)
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.addresses
    }
}
