//! The model registry.

use alloc::string::String;

use alloy_primitives::{B256, U256, U32, U8};
use contract_kit::events::emit;

use contract_kit::fees::{self, MAX_REDUNDANCY};

use crate::{
    errors::{Error, InvalidModel, InvalidSize, ModelRegistered, ModelUnavailable, ModelUpdated},
    InferenceRegistry,
};

/// A model's token limits and redundancy.
pub(crate) type Limits = (u32, u32, u8);

fn check(prices: (U256, U256), (max_in, max_out, k): Limits) -> Result<(), Error> {
    // The bridge packs a request's prices into 96 bits each (one storage
    // slot with the token limit): 7.9e28 credits per token is no limit.
    let packable = prices.0.bit_len() <= 96 && prices.1.bit_len() <= 96;
    let valid = max_out > 0
        && packable
        && (1..=MAX_REDUNDANCY).contains(&k)
        // The largest request must be priceable without overflow.
        && fees::escrow_for(prices.0, prices.1, max_in, max_out, k).is_some();
    if valid {
        Ok(())
    } else {
        Err(InvalidModel {}.into())
    }
}

impl InferenceRegistry {
    pub(crate) fn add_model(
        &mut self,
        name: B256,
        weights_hash: B256,
        weights_uri: String,
        prices: (U256, U256),
        limits: Limits,
    ) -> Result<u32, Error> {
        check(prices, limits)?;
        let id = self.model_count.get().to::<u32>() + 1;
        self.model_count.set(U32::from(id));
        let mut m = self.models.setter(id);
        m.name.set(name);
        m.weights_hash.set(weights_hash);
        emit(ModelRegistered {
            model: id,
            name,
            weightsHash: weights_hash,
            weightsUri: weights_uri,
        });
        self.change_model(id, prices, limits, true)?;
        Ok(id)
    }

    pub(crate) fn change_model(
        &mut self,
        id: u32,
        prices: (U256, U256),
        limits: Limits,
        active: bool,
    ) -> Result<(), Error> {
        if id == 0 || id > self.model_count.get().to::<u32>() {
            return Err(ModelUnavailable { model: id }.into());
        }
        check(prices, limits)?;
        let (max_in, max_out, k) = limits;
        let mut m = self.models.setter(id);
        m.price_in.set(prices.0);
        m.price_out.set(prices.1);
        m.max_in.set(U32::from(max_in));
        m.max_out.set(U32::from(max_out));
        m.redundancy.set(U8::from(k));
        m.active.set(active);
        emit(ModelUpdated {
            model: id,
            priceIn: prices.0,
            priceOut: prices.1,
            maxIn: max_in,
            maxOut: max_out,
            redundancy: k,
            active,
        });
        Ok(())
    }

    pub(crate) fn model_view(&self, id: u32) -> (B256, B256, U256, U256, u32, u32, u8, bool) {
        let m = self.models.get(id);
        (
            m.name.get(),
            m.weights_hash.get(),
            m.price_in.get(),
            m.price_out.get(),
            m.max_in.get().to(),
            m.max_out.get().to(),
            m.redundancy.get().to(),
            m.active.get(),
        )
    }

    /// Prices a request on `id` now (input price, output price,
    /// redundancy), checking the model takes it.
    pub(crate) fn price(
        &self,
        id: u32,
        input_tokens: u32,
        max_output: u32,
    ) -> Result<(U256, U256, u8), Error> {
        let m = self.models.get(id);
        if !m.active.get() {
            return Err(ModelUnavailable { model: id }.into());
        }
        let fits = max_output > 0
            && input_tokens <= m.max_in.get().to::<u32>()
            && max_output <= m.max_out.get().to::<u32>();
        if !fits {
            return Err(InvalidSize {}.into());
        }
        let (price_in, price_out) = (m.price_in.get(), m.price_out.get());
        let redundancy = m.redundancy.get().to::<u8>();
        Ok((price_in, price_out, redundancy))
    }
}
