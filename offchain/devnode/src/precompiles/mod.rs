//! Precompiles: Ethereum's, plus the Arbitrum ones Stylus tooling needs
//! and the read methods tools and dApps call.

pub mod arbos;
pub mod arbwasm;

use revm::{
    context::Cfg,
    context_interface::{ContextTr, Host},
    handler::{EthPrecompiles, PrecompileProvider},
    interpreter::{CallInputs, InterpreterResult},
    primitives::{hardfork::SpecId, Address, AddressSet},
};

pub use arbos::{ARBGASINFO, ARBOWNERPUBLIC, ARBSYS};
pub use arbwasm::ARBWASM;

/// The Arbitrum precompiles the devnode serves.
pub const ARBITRUM: [Address; 4] = [ARBSYS, ARBOWNERPUBLIC, ARBGASINFO, ARBWASM];

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
        addresses.extend(ARBITRUM);
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
        addresses.extend(ARBITRUM);
        self.addresses = addresses;
        true
    }

    fn run(&mut self, ctx: &mut CTX, inputs: &CallInputs) -> Result<Option<Self::Output>, String> {
        match inputs.bytecode_address {
            ARBWASM => return Ok(Some(arbwasm::run(ctx, inputs))),
            a @ (ARBSYS | ARBGASINFO | ARBOWNERPUBLIC) => {
                return Ok(Some(arbos::run(ctx, inputs, a)))
            }
            _ => {}
        }
        self.eth.run(ctx, inputs)
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.addresses
    }
}
