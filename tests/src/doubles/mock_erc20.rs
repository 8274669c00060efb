//! Test double: `MockErc20`, an ERC-20 asset (think WETH) with test knobs.
//!
//! Part of the test doubles for the motsu tests; never deployed. It is
//! `OpenZeppelin`'s [`Erc20`] plus metadata (18 decimals), open `mint`/`burn`,
//! an optional fee on transfer and a [`ReentrancyHook`]. With
//! [`MockErc20::set_rate`] it also stands in for a wstETH-style rate token:
//! `stEthPerToken()` answers the rate the test set (1e18-scaled).

use alloy_primitives::{Address, U16, U256, U8};
use openzeppelin_stylus::{
    token::erc20::{
        self,
        extensions::{Erc20Metadata, IErc20Metadata},
        Erc20, IErc20,
    },
    utils::introspection::erc165::IErc165,
};
use stylus_sdk::{
    abi::Bytes,
    alloy_primitives::aliases::B32,
    msg,
    prelude::*,
    storage::{StorageU16, StorageU256},
};

use super::hook::ReentrancyHook;

/// Basis points in 100 %.
const MAX_BPS: u16 = 10_000;

#[allow(missing_docs, clippy::pub_underscore_fields)]
mod calls {
    use alloc::vec;

    use stylus_sdk::prelude::sol_interface;

    sol_interface! {
        /// The test-only calls of [`super::MockErc20`] that other doubles make.
        interface IMockErc20 {
            function mint(address to, uint256 amount) external;
            function burn(address from, uint256 amount) external;
        }
    }
}
pub use calls::IMockErc20;

/// Test double of an ERC-20 asset; see the module docs.
#[storage]
pub struct MockErc20 {
    /// `OpenZeppelin` ERC-20 state (balances, allowances, supply).
    erc20: Erc20,
    /// Name and symbol.
    metadata: Erc20Metadata,
    /// Fee on transfer, in basis points, burnt from the sender.
    fee_bps: StorageU16,
    /// Fired at the start of every `transfer` and `transferFrom`.
    hook: ReentrancyHook,
    /// The rate `stEthPerToken()` answers (zero until set).
    rate: StorageU256,
}

// SAFETY: a test double used as a motsu contract; no entrypoint.
unsafe impl TopLevelStorage for MockErc20 {}

#[public]
#[implements(IErc20<Error = erc20::Error>, IErc20Metadata, IErc165)]
impl MockErc20 {
    /// Sets name and symbol (call it by hand in motsu tests).
    #[constructor]
    pub fn constructor(&mut self, name: String, symbol: String) {
        self.metadata.constructor(name, symbol);
    }

    /// Mints `amount` to `to`; open to anyone (test only).
    ///
    /// # Errors
    ///
    /// [`erc20::Error::InvalidReceiver`] when `to` is zero.
    pub fn mint(&mut self, to: Address, amount: U256) -> Result<(), erc20::Error> {
        self.erc20._mint(to, amount)
    }

    /// Burns `amount` from `from` without allowance; open to anyone (test only).
    ///
    /// # Errors
    ///
    /// [`erc20::Error::InsufficientBalance`] when `from` holds less.
    pub fn burn(&mut self, from: Address, amount: U256) -> Result<(), erc20::Error> {
        self.erc20._burn(from, amount)
    }

    /// Sets the fee on transfer: the receiver gets `value - value * bps /
    /// 10_000` (fee rounded down) and the fee is burnt from the sender.
    ///
    /// # Panics
    ///
    /// When `bps` exceeds 10 000 (a misconfigured test).
    pub fn set_fee_bps(&mut self, bps: u16) {
        assert!(bps <= MAX_BPS, "MockErc20: fee above 100 %");
        self.fee_bps.set(U16::from(bps));
    }

    /// Sets the rate `stEthPerToken()` answers: units of account per whole
    /// token, 1e18-scaled (a wstETH-style rate token; raise it for a gain,
    /// lower it for a loss).
    pub fn set_rate(&mut self, rate: U256) {
        self.rate.set(rate);
    }

    /// The rate view of a wstETH-style token.
    #[selector(name = "stEthPerToken")]
    pub fn st_eth_per_token(&self) -> U256 {
        self.rate.get()
    }

    /// The fee on transfer, in basis points.
    pub fn fee_bps(&self) -> u16 {
        self.fee_bps.get().to::<u16>()
    }

    /// Arms the reentrancy hook: every `transfer`/`transferFrom` first calls
    /// `target` with `calldata` (caller = this token), records the outcome and
    /// goes on either way. A zero `target` disarms it.
    pub fn set_hook(&mut self, target: Address, calldata: Bytes) {
        self.hook.set(target, calldata);
    }

    /// The hook's target (zero when disarmed).
    pub fn hook_target(&self) -> Address {
        self.hook.target()
    }

    /// Whether the last hook call succeeded.
    pub fn last_hook_ok(&self) -> bool {
        self.hook.last_ok()
    }

    /// Return data (success) or revert data (failure) of the last hook call.
    pub fn last_hook_data(&self) -> Bytes {
        Bytes(self.hook.last_data())
    }

    /// How many times the hook has called its target.
    pub fn hook_calls(&self) -> U256 {
        self.hook.calls()
    }
}

impl MockErc20 {
    /// The fee charged on a transfer of `value`, rounded down.
    fn fee_on(&self, value: U256) -> U256 {
        let bps = U256::from(self.fee_bps.get());
        let whole = U256::from(MAX_BPS);
        // Exact floor(value * bps / 10_000) without overflow.
        (value / whole) * bps + (value % whole) * bps / whole
    }

    /// Moves `value` out of `from`: `value - fee` to `to`, `fee` burnt.
    /// Checks everything before writing, so a failure leaves no partial state.
    fn transfer_with_fee(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<(), erc20::Error> {
        if from.is_zero() {
            return Err(erc20::ERC20InvalidSender { sender: from }.into());
        }
        if to.is_zero() {
            return Err(erc20::ERC20InvalidReceiver { receiver: to }.into());
        }
        let balance = self.erc20.balance_of(from);
        if balance < value {
            return Err(
                erc20::ERC20InsufficientBalance { sender: from, balance, needed: value }.into()
            );
        }
        let fee = self.fee_on(value);
        self.erc20._update(from, to, value - fee)?;
        if !fee.is_zero() {
            self.erc20._burn(from, fee)?;
        }
        Ok(())
    }
}

#[public]
impl IErc20 for MockErc20 {
    type Error = erc20::Error;

    fn total_supply(&self) -> U256 {
        self.erc20.total_supply()
    }

    fn balance_of(&self, account: Address) -> U256 {
        self.erc20.balance_of(account)
    }

    fn transfer(&mut self, to: Address, value: U256) -> Result<bool, Self::Error> {
        #[allow(deprecated)]
        let from = msg::sender();
        self.hook.fire();
        self.transfer_with_fee(from, to, value)?;
        Ok(true)
    }

    fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.erc20.allowance(owner, spender)
    }

    fn approve(&mut self, spender: Address, value: U256) -> Result<bool, Self::Error> {
        self.erc20.approve(spender, value)
    }

    fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, Self::Error> {
        #[allow(deprecated)]
        let spender = msg::sender();
        self.hook.fire();
        self.erc20._spend_allowance(from, spender, value)?;
        self.transfer_with_fee(from, to, value)?;
        Ok(true)
    }
}

#[public]
impl IErc20Metadata for MockErc20 {
    fn name(&self) -> String {
        self.metadata.name()
    }

    fn symbol(&self) -> String {
        self.metadata.symbol()
    }

    fn decimals(&self) -> U8 {
        self.metadata.decimals()
    }
}

#[public]
impl IErc165 for MockErc20 {
    fn supports_interface(&self, interface_id: B32) -> bool {
        self.erc20.supports_interface(interface_id)
            || self.metadata.supports_interface(interface_id)
    }
}
