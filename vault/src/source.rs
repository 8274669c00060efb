//! Where the principal lives and how it earns: the yield source.
//!
//! One source tree, two programs. The `vault` program puts the asset into
//! an ERC-4626 vault ([`erc4626`]: a lending market, sDAI/sUSDS-style
//! savings vaults, any tokenized vault), measuring value with
//! `previewRedeem`. The `rate-vault` program (the same code built with the
//! `rate-source` feature) holds a non-rebasing token whose value in the
//! unit of account rises by its own rate view ([`rate`]: wstETH's
//! `stEthPerToken()`), measuring value as balance times rate.
//!
//! Each source gives the vault the same five operations: the holding's
//! value ([`Vault::holding`]), checking the source at construction
//! (`check_source`), investing a deposit ([`Vault::invest`]), skimming the
//! surplus ([`Vault::skim`]) and paying an exit ([`Vault::pay_exit`]).

#[cfg(not(feature = "rate-source"))]
pub mod erc4626;
#[cfg(not(feature = "rate-source"))]
pub(crate) use erc4626::check_source;

#[cfg(feature = "rate-source")]
pub mod rate;
#[cfg(feature = "rate-source")]
pub(crate) use rate::check_source;

#[allow(unused_imports, reason = "named by the module's documentation")]
use crate::Vault;
