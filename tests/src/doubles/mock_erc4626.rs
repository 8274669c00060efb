//! Test double: `MockErc4626`, an ERC-4626 yield source whose exchange rate
//! tests can raise and lower.
//!
//! Part of the test doubles for the motsu tests; never deployed. It is
//! `OpenZeppelin`'s [`Erc4626`] extension (decimals offset 0, so the usual
//! virtual +1 share / +1 asset) over a [`super::MockErc20`] asset, plus:
//! - total assets = asset balance held, so a gain is simulated by minting
//!   asset to the source ([`MockErc4626::simulate_gain`] does it) and a loss
//!   by burning asset it holds ([`MockErc4626::simulate_loss`]);
//! - a [`ReentrancyHook`] fired at the start of `deposit`, `mint`, `withdraw`
//!   and `redeem`;
//! - [`MockErc4626::set_paused_withdrawals`]: an illiquid source whose
//!   `withdraw`/`redeem` revert and whose `maxWithdraw`/`maxRedeem` are 0;
//! - [`MockErc4626::set_liquidity`]: a partly illiquid one (a lending market
//!   whose asset is mostly lent out): withdrawals beyond what it holds free
//!   revert.
//! - [`MockErc4626::set_paused_deposits`]: a source that takes no deposits.
//!
//! Rounding is `OpenZeppelin`'s: `deposit`, `redeem`, `convertTo*`,
//! `previewDeposit`, `previewRedeem` round down; `withdraw`, `mint`,
//! `previewWithdraw`, `previewMint` round up.

use alloy_primitives::{Address, U256, U8};
use openzeppelin_stylus::{
    token::erc20::{
        self,
        extensions::{erc4626, Erc20Metadata, Erc4626, IErc20Metadata, IErc4626},
        utils::safe_erc20,
        Erc20, IErc20,
    },
    utils::introspection::erc165::IErc165,
};
use stylus_sdk::{
    abi::Bytes,
    alloy_primitives::aliases::B32,
    contract,
    prelude::*,
    storage::{StorageBool, StorageU256},
};

use super::{hook::ReentrancyHook, mock_erc20::IMockErc20};
pub use sol::MockWithdrawalsPaused;

#[allow(missing_docs)]
mod sol {
    alloy_sol_types::sol! {
        /// `withdraw`/`redeem` were called while withdrawals are paused.
        #[derive(Debug)]
        error MockWithdrawalsPaused();
    }
}

/// Errors of [`MockErc4626`]: `OpenZeppelin`'s [`erc4626::Error`] variants plus
/// [`Error::WithdrawalsPaused`].
#[derive(SolidityError, Debug)]
pub enum Error {
    /// Withdrawals are paused ([`MockErc4626::set_paused_withdrawals`]).
    WithdrawalsPaused(MockWithdrawalsPaused),
    /// Deposit above `maxDeposit`.
    ExceededMaxDeposit(erc4626::ERC4626ExceededMaxDeposit),
    /// Mint above `maxMint`.
    ExceededMaxMint(erc4626::ERC4626ExceededMaxMint),
    /// Withdraw above `maxWithdraw`.
    ExceededMaxWithdraw(erc4626::ERC4626ExceededMaxWithdraw),
    /// Redeem above `maxRedeem`.
    ExceededMaxRedeem(erc4626::ERC4626ExceededMaxRedeem),
    /// The asset is not a valid ERC-20 token.
    InvalidAsset(erc4626::InvalidAsset),
    /// A transfer of the asset failed.
    SafeErc20FailedOperation(safe_erc20::SafeErc20FailedOperation),
    /// A decrease of an asset allowance failed.
    SafeErc20FailedDecreaseAllowance(safe_erc20::SafeErc20FailedDecreaseAllowance),
    /// Not enough shares.
    InsufficientBalance(erc20::ERC20InsufficientBalance),
    /// Invalid share sender.
    InvalidSender(erc20::ERC20InvalidSender),
    /// Invalid share receiver.
    InvalidReceiver(erc20::ERC20InvalidReceiver),
    /// Not enough share allowance.
    InsufficientAllowance(erc20::ERC20InsufficientAllowance),
    /// Invalid share spender.
    InvalidSpender(erc20::ERC20InvalidSpender),
    /// Invalid share approver.
    InvalidApprover(erc20::ERC20InvalidApprover),
}

impl From<erc4626::Error> for Error {
    fn from(value: erc4626::Error) -> Self {
        use erc4626::Error as E;
        match value {
            E::ExceededMaxDeposit(e) => Error::ExceededMaxDeposit(e),
            E::ExceededMaxMint(e) => Error::ExceededMaxMint(e),
            E::ExceededMaxWithdraw(e) => Error::ExceededMaxWithdraw(e),
            E::ExceededMaxRedeem(e) => Error::ExceededMaxRedeem(e),
            E::InvalidAsset(e) => Error::InvalidAsset(e),
            E::SafeErc20FailedOperation(e) => Error::SafeErc20FailedOperation(e),
            E::SafeErc20FailedDecreaseAllowance(e) => Error::SafeErc20FailedDecreaseAllowance(e),
            E::InsufficientBalance(e) => Error::InsufficientBalance(e),
            E::InvalidSender(e) => Error::InvalidSender(e),
            E::InvalidReceiver(e) => Error::InvalidReceiver(e),
            E::InsufficientAllowance(e) => Error::InsufficientAllowance(e),
            E::InvalidSpender(e) => Error::InvalidSpender(e),
            E::InvalidApprover(e) => Error::InvalidApprover(e),
        }
    }
}

/// Test double of an ERC-4626 yield source; see the module docs.
#[storage]
pub struct MockErc4626 {
    /// `OpenZeppelin` ERC-4626 state (asset address, decimals).
    erc4626: Erc4626,
    /// The share token.
    erc20: Erc20,
    /// Share token name and symbol.
    metadata: Erc20Metadata,
    /// When set, `withdraw` and `redeem` revert.
    paused_withdrawals: StorageBool,
    /// When set, `deposit` and `mint` revert.
    paused_deposits: StorageBool,
    /// Whether [`Self::liquidity`] caps withdrawals.
    limited: StorageBool,
    /// The asset free to leave (withdrawals beyond it revert), when limited.
    liquidity: StorageU256,
    /// Fired at the start of `deposit`, `mint`, `withdraw` and `redeem`.
    hook: ReentrancyHook,
}

// SAFETY: a test double used as a motsu contract; no entrypoint.
unsafe impl TopLevelStorage for MockErc4626 {}

#[public]
#[implements(IErc4626<Error = Error>, IErc20<Error = erc20::Error>, IErc20Metadata, IErc165)]
impl MockErc4626 {
    /// Sets the asset (a deployed [`super::MockErc20`]; its decimals are read)
    /// and the share token's name and symbol. Call it by hand in motsu tests.
    #[constructor]
    pub fn constructor(&mut self, asset: Address, name: String, symbol: String) {
        self.erc4626.constructor(asset, U8::ZERO);
        self.metadata.constructor(name, symbol);
    }

    /// Raises the exchange rate: mints `amount` of the asset to this source.
    ///
    /// # Errors
    ///
    /// The asset's revert data when its `mint` fails.
    pub fn simulate_gain(&mut self, amount: U256) -> Result<(), Vec<u8>> {
        let asset = IMockErc20::new(self.erc4626.asset());
        #[allow(deprecated)]
        let this = contract::address();
        asset.mint(&mut *self, this, amount)?;
        Ok(())
    }

    /// Lowers the exchange rate: burns `amount` of the asset this source holds.
    ///
    /// # Errors
    ///
    /// The asset's revert data when its `burn` fails (e.g. it holds less).
    pub fn simulate_loss(&mut self, amount: U256) -> Result<(), Vec<u8>> {
        let asset = IMockErc20::new(self.erc4626.asset());
        #[allow(deprecated)]
        let this = contract::address();
        asset.burn(&mut *self, this, amount)?;
        Ok(())
    }

    /// Makes `withdraw`/`redeem` revert (and `maxWithdraw`/`maxRedeem` return
    /// 0) while `paused` is true: an illiquid source.
    pub fn set_paused_withdrawals(&mut self, paused: bool) {
        self.paused_withdrawals.set(paused);
    }

    /// Whether withdrawals are paused.
    pub fn paused_withdrawals(&self) -> bool {
        self.paused_withdrawals.get()
    }

    /// Makes `deposit`/`mint` revert while `paused` is true.
    pub fn set_paused_deposits(&mut self, paused: bool) {
        self.paused_deposits.set(paused);
    }

    /// Lets at most `assets` leave from now on (each withdrawal uses it
    /// up); `U256::MAX` lifts the limit.
    pub fn set_liquidity(&mut self, assets: U256) {
        self.limited.set(assets != U256::MAX);
        self.liquidity.set(assets);
    }

    /// Arms the reentrancy hook: `deposit`, `mint`, `withdraw` and `redeem`
    /// first call `target` with `calldata` (caller = this source), record the
    /// outcome and go on either way. A zero `target` disarms it.
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

impl MockErc4626 {
    /// Fails when withdrawals are paused or `assets` is more than is free
    /// to leave; otherwise uses that much of the liquidity up.
    fn take_liquidity(&mut self, assets: U256) -> Result<(), Error> {
        if self.paused_withdrawals.get() {
            return Err(Error::WithdrawalsPaused(MockWithdrawalsPaused {}));
        }
        if self.limited.get() {
            let free = self.liquidity.get();
            if assets > free {
                return Err(Error::WithdrawalsPaused(MockWithdrawalsPaused {}));
            }
            self.liquidity.set(free - assets);
        }
        Ok(())
    }

    /// Fails when deposits are paused.
    fn ensure_deposits_open(&self) -> Result<(), Error> {
        if self.paused_deposits.get() {
            return Err(Error::WithdrawalsPaused(MockWithdrawalsPaused {}));
        }
        Ok(())
    }

    /// What may leave now: everything the account holds, less what the
    /// liquidity limit keeps back.
    fn free(&self, assets: U256) -> U256 {
        if self.paused_withdrawals.get() {
            return U256::ZERO;
        }
        if self.limited.get() {
            return assets.min(self.liquidity.get());
        }
        assets
    }
}

#[public]
impl IErc4626 for MockErc4626 {
    type Error = Error;

    fn asset(&self) -> Address {
        self.erc4626.asset()
    }

    fn total_assets(&self) -> Result<U256, Self::Error> {
        Ok(self.erc4626.total_assets()?)
    }

    fn convert_to_shares(&self, assets: U256) -> Result<U256, Self::Error> {
        Ok(self.erc4626.convert_to_shares(assets, &self.erc20)?)
    }

    fn convert_to_assets(&self, shares: U256) -> Result<U256, Self::Error> {
        Ok(self.erc4626.convert_to_assets(shares, &self.erc20)?)
    }

    fn max_deposit(&self, receiver: Address) -> U256 {
        self.erc4626.max_deposit(receiver)
    }

    fn preview_deposit(&self, assets: U256) -> Result<U256, Self::Error> {
        Ok(self.erc4626.preview_deposit(assets, &self.erc20)?)
    }

    fn deposit(&mut self, assets: U256, receiver: Address) -> Result<U256, Self::Error> {
        self.hook.fire();
        self.ensure_deposits_open()?;
        Ok(self.erc4626.deposit(assets, receiver, &mut self.erc20)?)
    }

    fn max_mint(&self, receiver: Address) -> U256 {
        self.erc4626.max_mint(receiver)
    }

    fn preview_mint(&self, shares: U256) -> Result<U256, Self::Error> {
        Ok(self.erc4626.preview_mint(shares, &self.erc20)?)
    }

    fn mint(&mut self, shares: U256, receiver: Address) -> Result<U256, Self::Error> {
        self.hook.fire();
        self.ensure_deposits_open()?;
        Ok(self.erc4626.mint(shares, receiver, &mut self.erc20)?)
    }

    fn max_withdraw(&self, owner: Address) -> Result<U256, Self::Error> {
        Ok(self.free(self.erc4626.max_withdraw(owner, &self.erc20)?))
    }

    fn preview_withdraw(&self, assets: U256) -> Result<U256, Self::Error> {
        Ok(self.erc4626.preview_withdraw(assets, &self.erc20)?)
    }

    fn withdraw(
        &mut self,
        assets: U256,
        receiver: Address,
        owner: Address,
    ) -> Result<U256, Self::Error> {
        self.hook.fire();
        self.take_liquidity(assets)?;
        Ok(self.erc4626.withdraw(assets, receiver, owner, &mut self.erc20)?)
    }

    fn max_redeem(&self, owner: Address) -> U256 {
        let shares = self.erc4626.max_redeem(owner, &self.erc20);
        let assets = self.erc4626.convert_to_assets(shares, &self.erc20).unwrap_or_default();
        let free = self.free(assets);
        if free == assets {
            shares
        } else {
            self.erc4626.convert_to_shares(free, &self.erc20).unwrap_or_default()
        }
    }

    fn preview_redeem(&self, shares: U256) -> Result<U256, Self::Error> {
        Ok(self.erc4626.preview_redeem(shares, &self.erc20)?)
    }

    fn redeem(
        &mut self,
        shares: U256,
        receiver: Address,
        owner: Address,
    ) -> Result<U256, Self::Error> {
        self.hook.fire();
        let assets = self.erc4626.preview_redeem(shares, &self.erc20)?;
        self.take_liquidity(assets)?;
        Ok(self.erc4626.redeem(shares, receiver, owner, &mut self.erc20)?)
    }
}

#[public]
impl IErc20 for MockErc4626 {
    type Error = erc20::Error;

    fn total_supply(&self) -> U256 {
        self.erc20.total_supply()
    }

    fn balance_of(&self, account: Address) -> U256 {
        self.erc20.balance_of(account)
    }

    fn transfer(&mut self, to: Address, value: U256) -> Result<bool, Self::Error> {
        self.erc20.transfer(to, value)
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
        self.erc20.transfer_from(from, to, value)
    }
}

#[public]
impl IErc20Metadata for MockErc4626 {
    fn name(&self) -> String {
        self.metadata.name()
    }

    fn symbol(&self) -> String {
        self.metadata.symbol()
    }

    fn decimals(&self) -> U8 {
        self.erc4626.decimals()
    }
}

#[public]
impl IErc165 for MockErc4626 {
    fn supports_interface(&self, interface_id: B32) -> bool {
        <Self as IErc4626>::interface_id() == interface_id
            || self.erc20.supports_interface(interface_id)
            || self.metadata.supports_interface(interface_id)
    }
}
