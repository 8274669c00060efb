//! An ERC-4626 yield source: the vault deposits the asset and holds the
//! source's shares; their value is `previewRedeem`, rounded down.
//!
//! Stablecoin savings vaults (sDAI, sUSDS) are ERC-4626 and work as they
//! are: their `previewRedeem` includes the savings rate accrued up to the
//! block, and their conversions round down like `OpenZeppelin`'s. Sources
//! with a withdrawal queue or cooldown (sUSDe) cannot pay exits on demand
//! and are not suitable.

use alloy_primitives::{Address, U256};
use contract_kit::calls::{self, IERC4626};
use stylus_sdk::contract;

use crate::{
    accrual::{self, Holding},
    flows::{failed, pull},
    AssetMismatch, AssetShortfall, Error, ExternalCallFailed, SourceShortfall, Vault,
};

/// Checks at construction that `source` is an ERC-4626 vault of `asset`.
///
/// # Errors
/// [`AssetMismatch`] or [`ExternalCallFailed`].
pub(crate) fn check_source(asset: Address, source: Address) -> Result<(), Error> {
    let reply = calls::view(source, &IERC4626::assetCall {});
    match reply.and_then(|r| calls::address(&r)) {
        Ok(a) if a == asset => Ok(()),
        Ok(_) => Err(AssetMismatch { target: source, asset }.into()),
        Err(_) => Err(ExternalCallFailed { target: source }.into()),
    }
}

impl Vault {
    /// What the vault's source shares are worth in the asset, less what
    /// the vault owes (yield shared out, tips held), and what one of them is
    /// worth.
    #[inline(never)] // shared by several entry points; inlining copies it
    pub(crate) fn holding(&self) -> Result<Holding, Error> {
        let source = self.source.get();
        let shares = calls::balance_of(source, contract::address()).map_err(failed(source))?;
        let held = self.owed.get() + self.tips_held.get();
        Ok(Holding::new(self.preview_redeem(shares)?, shares).less(held))
    }

    /// Credits (asset units) that `value` of the asset is: the same.
    #[allow(
        clippy::unnecessary_wraps,
        clippy::unused_self,
        reason = "the same signature as the rate source's, which reads the rate"
    )]
    pub(crate) fn credits_for(&self, value: U256) -> Result<U256, Error> {
        Ok(value)
    }

    /// What `shares` of the source are worth in the asset (rounded down).
    #[inline(never)] // shared by several entry points; inlining copies it
    fn preview_redeem(&self, shares: U256) -> Result<U256, Error> {
        let source = self.source.get();
        let reply = calls::view(source, &IERC4626::previewRedeemCall { shares });
        reply.and_then(|r| calls::uint(&r)).map_err(failed(source))
    }

    /// Pulls `assets` from `member`, deposits them into the source and
    /// returns the principal they count for: what the source credited, never
    /// more than `assets`. A source that credits less than `assets` beyond
    /// rounding (it minted too few shares: an inflated share price, a buggy
    /// or paused source) is refused (review L-4). With `exact` (the value
    /// above principal covers one rounding) the deposit counts in full;
    /// otherwise the rounding dust is the depositor's. Either way the source
    /// stays worth at least the principal.
    pub(crate) fn invest(
        &mut self,
        member: Address,
        assets: U256,
        exact: bool,
    ) -> Result<U256, Error> {
        let asset = self.asset.get();
        let received = pull(asset, member, assets)?;
        if received != assets {
            return Err(AssetShortfall { expected: assets, received }.into());
        }
        let source = self.source.get();
        calls::approve(asset, source, assets).map_err(failed(asset))?;
        let deposit = IERC4626::depositCall { assets, receiver: contract::address() };
        let minted = calls::send(source, &deposit).and_then(|r| calls::uint(&r));
        let credited = self.preview_redeem(minted.map_err(failed(source))?)?;
        if !accrual::credited_enough(assets, credited) {
            return Err(SourceShortfall { assets, credited }.into());
        }
        Ok(if exact { assets } else { credited.min(assets) })
    }

    /// Withdraws `credits` of the asset from the source to the vault and
    /// returns the asset the vault now holds (with any it held idle). The
    /// amount is exact, so that every credit shared out is delivered; the
    /// shares burnt round up, by at most one share, which one of the two
    /// shares kept back when the yield was shared out pays for.
    pub(crate) fn skim(&mut self, credits: U256) -> Result<U256, Error> {
        let me = contract::address();
        if !credits.is_zero() {
            let source = self.source.get();
            let call = IERC4626::withdrawCall { assets: credits, receiver: me, owner: me };
            calls::send(source, &call).map_err(failed(source))?;
        }
        let asset = self.asset.get();
        calls::balance_of(asset, me).map_err(failed(asset))
    }

    /// Whole source shares worth at most `assets` (rounded down).
    fn source_shares_for(&self, assets: U256) -> Result<U256, Error> {
        let source = self.source.get();
        let reply = calls::view(source, &IERC4626::convertToSharesCall { assets });
        reply.and_then(|r| calls::uint(&r)).map_err(failed(source))
    }

    /// Pays an exit of `owed` to `receiver`. With `exact` (the value above
    /// principal covers one rounding) it pays `owed` itself; otherwise what
    /// the whole source shares `owed` is worth (rounded down) are worth, so a
    /// source that rounds against its holders (or charges an exit fee) takes
    /// that from the member leaving, never from the members who stay
    /// (review I-4). Returns what the receiver got.
    pub(crate) fn pay_exit(
        &mut self,
        owed: U256,
        receiver: Address,
        exact: bool,
    ) -> Result<U256, Error> {
        let source = self.source.get();
        let pay = if exact { owed } else { self.preview_redeem(self.source_shares_for(owed)?)? };
        if !pay.is_zero() {
            let call = IERC4626::withdrawCall { assets: pay, receiver, owner: contract::address() };
            calls::send(source, &call).map_err(failed(source))?;
        }
        Ok(pay)
    }
}
