//! Test doubles: small Stylus contracts that stand in for the outside world
//! (the underlying asset, the ERC-4626 yield source) in the motsu tests.
//!
//! They are test doubles only and are never deployed: they have no
//! entrypoint, their knobs (`mint`, `burn`, `simulate_gain`, `set_hook`, ...)
//! are open to anyone, and they are built only into the test binary.
//!
//! - [`MockErc20`]: an ERC-20 asset (think WETH) with open mint/burn, an
//!   optional fee on transfer and a reentrancy hook.
//! - [`MockErc4626`]: an ERC-4626 yield source over a [`MockErc20`] whose
//!   exchange rate tests raise and lower, with a reentrancy hook and
//!   pausable withdrawals.
//! - [`ReentrancyHook`]: the hook component both of them embed.

pub mod hook;
pub mod mock_erc20;
pub mod mock_erc4626;

pub use hook::ReentrancyHook;
pub use mock_erc20::{IMockErc20, MockErc20};
pub use mock_erc4626::{MockErc4626, MockWithdrawalsPaused};

#[cfg(test)]
mod tests;
