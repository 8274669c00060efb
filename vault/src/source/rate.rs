//! A rate-token source (wstETH-style): the vault holds a non-rebasing token
//! whose value in the unit of account rises by the token's own rate view,
//! `stEthPerToken()` (units of account per whole token, scaled by 1e18).
//! Principal, value, surplus and payouts are in the unit of account (ETH
//! for wstETH); deposits, harvests and exits move the token.
//!
//! A member who deposits 10 wstETH at 1.15 stETH each has 11.5 of
//! principal; when the rate reaches 1.20 the holding is worth 12.0, a
//! harvest delivers the 0.5 above principal as about 0.4167 wstETH of
//! credits, and the member's exit pays 11.5 / 1.20 = 9.583 wstETH, still
//! worth 11.5. Rounding (to one token unit) is always the member's.
//!
//! Rebasing tokens (stETH itself) are not a rate token: their transfers
//! move one or two units less than asked, which the vault refuses
//! ([`crate::AssetShortfall`]); wrap them (wstETH) first. Tokens with
//! another rate view (rETH's `getExchangeRate()`) need a small adapter that
//! exposes `stEthPerToken()`, given to the vault as its source.

use alloy_primitives::{uint, Address, U256};
use alloy_sol_types::sol;
use contract_kit::{calls, math::mul};
use stylus_sdk::contract;

use crate::{
    accrual::Holding,
    flows::{failed, pull},
    AssetShortfall, Error, ExternalCallFailed, SourceShortfall, Vault,
};

sol! {
    /// The rate view of a wstETH-style token.
    interface IRateToken {
        function stEthPerToken() external view returns (uint256);
    }
}

/// The rate's scale: one whole token.
const WAD: U256 = uint!(1_000_000_000_000_000_000_U256);

/// What `tokens` are worth at `rate`, rounded down.
#[must_use]
pub fn value_of(tokens: U256, rate: U256) -> U256 {
    mul(tokens, rate) / WAD
}

/// The tokens worth at most `value` at `rate` (not zero), rounded down.
#[must_use]
pub fn tokens_for(value: U256, rate: U256) -> U256 {
    mul(value, WAD) / rate
}

/// The rate `source` reports; zero (or no answer) is refused.
fn rate_of(source: Address) -> Result<U256, Error> {
    let reply = calls::view(source, &IRateToken::stEthPerTokenCall {});
    match reply.and_then(|r| calls::uint(&r)) {
        Ok(rate) if !rate.is_zero() => Ok(rate),
        _ => Err(ExternalCallFailed { target: source }.into()),
    }
}

/// Checks at construction that `source` answers a non-zero rate (it is
/// usually the token itself).
///
/// # Errors
/// [`ExternalCallFailed`].
pub(crate) fn check_source(asset: Address, source: Address) -> Result<(), Error> {
    let _ = asset;
    rate_of(source).map(|_| ())
}

impl Vault {
    /// The tokens the vault holds less those it owes (yield shared out,
    /// tips held), what they are worth at the source's rate, and what one
    /// token unit is worth.
    #[inline(never)] // shared by several entry points; inlining copies it
    pub(crate) fn holding(&self) -> Result<Holding, Error> {
        let asset = self.asset.get();
        let tokens = calls::balance_of(asset, contract::address()).map_err(failed(asset))?;
        let tokens = tokens.saturating_sub(self.owed.get() + self.tips_held.get());
        Ok(Holding::new(value_of(tokens, self.rate()?), tokens))
    }

    /// Credits (tokens: the ledger's asset is the token) that `value` in
    /// the unit of account is worth now, rounded down.
    pub(crate) fn credits_for(&self, value: U256) -> Result<U256, Error> {
        Ok(tokens_for(value, self.rate()?))
    }

    /// The source's rate now.
    fn rate(&self) -> Result<U256, Error> {
        rate_of(self.source.get())
    }

    /// Pulls `assets` tokens from `member` and returns the principal they
    /// count for: their value at the rate now, rounded down. A deposit worth
    /// nothing is refused ([`SourceShortfall`]). The vault holds the tokens
    /// itself; `exact` changes nothing here, the only rounding being the
    /// depositor's.
    pub(crate) fn invest(
        &mut self,
        member: Address,
        assets: U256,
        exact: bool,
    ) -> Result<U256, Error> {
        let _ = exact;
        let asset = self.asset.get();
        let received = pull(asset, member, assets)?;
        if received != assets {
            return Err(AssetShortfall { expected: assets, received }.into());
        }
        let principal = value_of(assets, self.rate()?);
        if principal.is_zero() {
            return Err(SourceShortfall { assets, credited: principal }.into());
        }
        Ok(principal)
    }

    /// The `credits` tokens a harvest delivers: they are already in the
    /// vault. Tokens sent to the vault directly are part of its holding, so
    /// they reach the members as surplus.
    #[allow(
        clippy::unnecessary_wraps,
        clippy::unused_self,
        reason = "the same signature as the ERC-4626 source's, which withdraws"
    )]
    pub(crate) fn skim(&mut self, credits: U256) -> Result<U256, Error> {
        Ok(credits)
    }

    /// Pays an exit worth `owed` to `receiver` in tokens, rounded down to a
    /// token unit (the leaver's rounding, never the stayers'); returns the
    /// tokens paid.
    pub(crate) fn pay_exit(
        &mut self,
        owed: U256,
        receiver: Address,
        exact: bool,
    ) -> Result<U256, Error> {
        let _ = exact;
        let tokens = tokens_for(owed, self.rate()?);
        if !tokens.is_zero() {
            let asset = self.asset.get();
            calls::transfer(asset, receiver, tokens).map_err(failed(asset))?;
        }
        Ok(tokens)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_modules_example() {
        let rate = U256::from(1_150_000_000_000_000_000u64);
        let ten = U256::from(10u64) * WAD;
        assert_eq!(value_of(ten, rate), U256::from(11_500_000_000_000_000_000u128));
        let later = U256::from(1_200_000_000_000_000_000u64);
        let paid = tokens_for(value_of(ten, rate), later);
        assert_eq!(paid, U256::from(9_583_333_333_333_333_333u128));
        assert!(value_of(paid, later) <= value_of(ten, rate));
    }

    proptest! {
        /// Conversions round against whoever receives: tokens paid for a
        /// value are never worth more than it, and less by at most one
        /// token unit's worth.
        #[test]
        fn conversions_round_in_the_vaults_favour(
            value in 0u128..=10u128.pow(30),
            rate in 1u128..=10u128.pow(20),
        ) {
            let (value, rate) = (U256::from(value), U256::from(rate));
            let tokens = tokens_for(value, rate);
            let worth = value_of(tokens, rate);
            prop_assert!(worth <= value);
            prop_assert!(value - worth <= rate / WAD + U256::from(1u64));
        }
    }
}
