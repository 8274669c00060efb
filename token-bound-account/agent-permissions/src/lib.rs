//! Agent permissions for ERC-6551 token-bound accounts ("the AI owns
//! itself").
//!
//! One deployment serves every account. The holder of an account's token
//! grants an agent (the key the AI acts with) limited rights on the account:
//!
//! - which `(target, selector)` pairs it may call (a plain ETH transfer has
//!   selector zero);
//! - how much ETH (`valueCap`) and how many credits (`creditCap`) it may
//!   spend per period (windows `[k * period, (k + 1) * period)` of block
//!   time; period zero: one window for the grant's whole life);
//! - until when (`expiry`);
//!
//! and may `revoke` them at any moment. The holder manages grants by calling
//! this contract directly (`grant`, `allow`, `revoke`: the caller must be the
//! account's `owner()`), and names this contract as the account's executor
//! once (`account.setExecutor(this)`).
//!
//! The agent acts through [`AgentPermissions::execute`]: it checks the
//! grant, records the ETH it spends, calls `account.execute(to, value,
//! data, 0)` and measures the credits spent as the drop of the account's
//! spendable balance on the grant's credit ledger (`spendableOf`) across the
//! call; more than is left of the period's cap reverts the whole call. So
//! every route to spending credits counts (a bridge request escrows them,
//! a transfer moves them), not only the calls someone thought to decode.
//!
//! A grant belongs to one period of ownership (review H-2): it no longer
//! applies once the token changes hands ([`OwnerChanged`]), and it does not
//! come back when the token returns to the address that made it: the grant
//! records the token's ownership epoch (kept by the AI NFT, which counts
//! every transfer) and lapses when it moves on ([`OwnershipEnded`]). For a
//! collection that keeps no epoch, the holder (or a parking, on every park
//! and release) ends every grant of an account with `resetAccount`. The
//! account itself ignores an executor named in another period. A new grant
//! (a new epoch of the grant) starts with no allowed targets and no spending.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions are deprecated in favour of `self.vm()`, but
// motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;
pub mod rules;
#[cfg(test)]
mod tests;

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::B32, keccak256, Address, B256, U256, U64};
use alloy_sol_types::{sol, SolCall};
use contract_kit::{
    calls,
    events::emit,
    guard::{Guarded, ReentrancyGuard},
};
use rules::Usage;
use stylus_sdk::{
    abi::Bytes,
    block,
    call::RawCall,
    msg,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU256, StorageU64},
};

pub use errors::*;

sol! {
    /// The account calls this contract makes.
    interface IAgentAccount {
        function owner() external view returns (address);
        function token() external view returns (uint256 chainId, address tokenContract, uint256 tokenId);
        function execute(address to, uint256 value, bytes data, uint8 operation) external payable returns (bytes);
    }
    /// The credit ledger view that measures credits spent.
    interface ISpendable {
        function spendableOf(address account) external view returns (uint256);
    }
}

/// One agent's rights on one account.
#[storage]
pub struct Grant {
    /// The holder who made the grant.
    granter: StorageAddress,
    /// The token's ownership epoch when it was made.
    ownership: StorageU64,
    /// Grows with every grant; allowed targets belong to one epoch.
    epoch: StorageU64,
    expiry: StorageU64,
    period: StorageU64,
    revoked: StorageBool,
    /// Credit ledger whose spendable balance is capped (zero: none).
    ledger: StorageAddress,
    value_cap: StorageU256,
    credit_cap: StorageU256,
    value_window: StorageU64,
    value_used: StorageU256,
    credit_window: StorageU64,
    credits_used: StorageU256,
}

/// State of the agent-permissions contract.
#[entrypoint]
#[storage]
pub struct AgentPermissions {
    /// By `keccak256(account, generation, agent)`.
    grants: StorageMap<B256, Grant>,
    /// Grows when a holder resets an account: earlier grants are left
    /// behind under their old keys.
    generations: StorageMap<Address, StorageU64>,
    /// By `keccak256(account, agent, epoch, target, selector)`.
    allowed: StorageMap<B256, StorageBool>,
    guard: ReentrancyGuard,
}

impl Guarded for AgentPermissions {
    fn lock(&mut self) -> &mut ReentrancyGuard {
        &mut self.guard
    }
}

/// The key of the grant of `agent` on `account` in its `generation`.
fn grant_key(account: Address, generation: u64, agent: Address) -> B256 {
    let mut buf = [0u8; 48];
    buf[..20].copy_from_slice(account.as_slice());
    buf[20..28].copy_from_slice(&generation.to_be_bytes());
    buf[28..].copy_from_slice(agent.as_slice());
    keccak256(buf)
}

/// The ownership epoch of `account`'s token (zero when its collection keeps
/// none, or the account does not answer `token()`).
fn ownership_of(account: Address) -> u64 {
    let Ok(reply) = calls::view(account, &IAgentAccount::tokenCall {}) else { return 0 };
    match (calls::word(&reply, 1), calls::word(&reply, 2)) {
        (Ok(collection), Ok(token_id)) if collection.bit_len() <= 160 => {
            calls::ownership_epoch(Address::from_word(collection.into()), token_id)
        }
        _ => 0,
    }
}

/// The key of one allowed `(target, selector)` of one grant epoch.
fn allow_key(grant: B256, epoch: u64, target: Address, selector: B32) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(grant.as_slice());
    buf[32..40].copy_from_slice(&epoch.to_be_bytes());
    buf[40..60].copy_from_slice(target.as_slice());
    buf[60..].copy_from_slice(selector.as_slice());
    keccak256(buf)
}

/// The holder of `account`'s token, as the account reports it.
fn owner_of(account: Address) -> Result<Address, Error> {
    calls::view(account, &IAgentAccount::ownerCall {})
        .and_then(|r| calls::address(&r))
        .map_err(|_| BadReply { callee: account }.into())
}

/// Spendable credits of `account` on `ledger`.
fn spendable(ledger: Address, account: Address) -> Result<U256, Error> {
    calls::view(ledger, &ISpendable::spendableOfCall { account })
        .and_then(|r| calls::uint(&r))
        .map_err(|_| BadReply { callee: ledger }.into())
}

// The router decodes every argument into an owned value.
#[allow(clippy::needless_pass_by_value, clippy::too_many_arguments)]
#[public]
impl AgentPermissions {
    /// Grants `agent` rights on `account` until `expiry`, with at most
    /// `valueCap` wei and `creditCap` credits (of `ledger`) per `period`
    /// seconds. Replaces any earlier grant: a new epoch, no allowed targets
    /// yet, nothing spent, not revoked.
    ///
    /// # Errors
    /// [`NotAccountOwner`] unless the caller holds the account's token,
    /// [`ZeroAddress`] for a zero agent.
    pub fn grant(
        &mut self,
        account: Address,
        agent: Address,
        expiry: u64,
        period: u64,
        value_cap: U256,
        credit_cap: U256,
        ledger: Address,
    ) -> Result<u64, Error> {
        let owner = self.only_owner(account)?;
        if agent.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let ownership = ownership_of(account);
        let key = self.key_of(account, agent);
        let mut g = self.grants.setter(key);
        let epoch = g.epoch.get().to::<u64>() + 1;
        g.granter.set(owner);
        g.ownership.set(U64::from(ownership));
        g.epoch.set(U64::from(epoch));
        g.expiry.set(U64::from(expiry));
        g.period.set(U64::from(period));
        g.revoked.set(false);
        g.ledger.set(ledger);
        g.value_cap.set(value_cap);
        g.credit_cap.set(credit_cap);
        g.value_window.set(U64::ZERO);
        g.value_used.set(U256::ZERO);
        g.credit_window.set(U64::ZERO);
        g.credits_used.set(U256::ZERO);
        emit(AgentGranted {
            account,
            agent,
            owner,
            epoch,
            expiry,
            period,
            valueCap: value_cap,
            creditCap: credit_cap,
            ledger,
        });
        Ok(epoch)
    }

    /// Allows (or stops allowing) `agent` to call `selector` on `target`
    /// for `account`, under its current grant. Allowing a configuration call
    /// that hands over credits or assets beyond the caps ([`rules::DANGEROUS`]:
    /// key issuing, minters, requester approvals, policies, executors,
    /// approvals, beneficiaries) needs `dangerous` set: the holder says they
    /// know the caps do not bound it.
    ///
    /// # Errors
    /// [`NotAccountOwner`], [`AgentNotAllowed`] without a grant,
    /// [`DangerousSelector`] for a dangerous selector without the flag.
    pub fn allow(
        &mut self,
        account: Address,
        agent: Address,
        target: Address,
        selector: B32,
        allowed: bool,
        dangerous: bool,
    ) -> Result<(), Error> {
        self.only_owner(account)?;
        if allowed && !dangerous && rules::is_dangerous(selector) {
            return Err(DangerousSelector { selector }.into());
        }
        let key = self.key_of(account, agent);
        let epoch = self.grants.getter(key).epoch.get().to::<u64>();
        if epoch == 0 {
            return Err(AgentNotAllowed { account, agent }.into());
        }
        self.allowed.setter(allow_key(key, epoch, target, selector)).set(allowed);
        emit(TargetAllowed { account, agent, target, selector, allowed });
        Ok(())
    }

    /// Ends the rights of `agent` on `account` now.
    ///
    /// # Errors
    /// [`NotAccountOwner`], [`AgentNotAllowed`] without a grant.
    pub fn revoke(&mut self, account: Address, agent: Address) -> Result<(), Error> {
        self.only_owner(account)?;
        let mut g = self.grants.setter(self.key_of(account, agent));
        if g.epoch.get().is_zero() {
            return Err(AgentNotAllowed { account, agent }.into());
        }
        g.revoked.set(true);
        emit(AgentRevokedNow { account, agent });
        Ok(())
    }

    /// Has `account` call `to` with `value` wei and `data` for the calling
    /// agent, within its rights, and returns the call's return data; the
    /// call's revert data is passed on unchanged.
    ///
    /// # Errors
    /// [`AgentNotAllowed`], [`AgentRevoked`], [`AgentExpired`],
    /// [`OwnerChanged`], [`TargetNotAllowed`], [`ValueCapExceeded`],
    /// [`CreditCapExceeded`], [`ReentrantCall`], [`BadReply`], or the
    /// account's revert data (e.g. its `Locked`).
    pub fn execute(
        &mut self,
        account: Address,
        to: Address,
        value: U256,
        data: Bytes,
    ) -> Result<Bytes, Error> {
        self.guarded(|s| s.run(account, to, value, &data))
    }

    /// What `agent` may still spend on `account` now: ETH and credits left
    /// in this period (zero when it may not act at all).
    ///
    /// Returns: valueLeft, creditsLeft
    pub fn remaining(&self, account: Address, agent: Address) -> (U256, U256) {
        let g = self.grants.getter(self.key_of(account, agent));
        let now = block::timestamp();
        let owner = owner_of(account).unwrap_or_default();
        if g.epoch.get().is_zero()
            || g.revoked.get()
            || rules::expired(now, g.expiry.get().to())
            || g.granter.get() != owner
            || g.ownership.get().to::<u64>() != ownership_of(account)
        {
            return (U256::ZERO, U256::ZERO);
        }
        let period = g.period.get().to();
        let value = Usage { window: g.value_window.get().to(), used: g.value_used.get() };
        let credits = Usage { window: g.credit_window.get().to(), used: g.credits_used.get() };
        (
            value.remaining(now, period, g.value_cap.get()),
            credits.remaining(now, period, g.credit_cap.get()),
        )
    }

    /// The grant of `agent` on `account`: granter, epoch, expiry, period,
    /// revoked, ledger, value cap, credit cap.
    ///
    /// Returns: granter, epoch, expiry, period, revoked, ledger, valueCap, creditCap
    pub fn grant_of(
        &self,
        account: Address,
        agent: Address,
    ) -> (Address, u64, u64, u64, bool, Address, U256, U256) {
        let g = self.grants.getter(self.key_of(account, agent));
        (
            g.granter.get(),
            g.epoch.get().to(),
            g.expiry.get().to(),
            g.period.get().to(),
            g.revoked.get(),
            g.ledger.get(),
            g.value_cap.get(),
            g.credit_cap.get(),
        )
    }

    /// Ends every grant on `account` at once (they stay behind under the
    /// account's former generation) and returns the new generation. For the
    /// holder of a token whose collection keeps no ownership epoch, after
    /// receiving it; parkings call it on every park and release.
    ///
    /// # Errors
    /// [`NotAccountOwner`].
    pub fn reset_account(&mut self, account: Address) -> Result<u64, Error> {
        self.only_owner(account)?;
        let mut g = self.generations.setter(account);
        let generation = g.get().to::<u64>() + 1;
        g.set(U64::from(generation));
        emit(AccountReset { account, generation });
        Ok(generation)
    }

    /// How many times `account`'s grants were reset.
    pub fn generation(&self, account: Address) -> u64 {
        self.generations.get(account).to()
    }

    /// Whether `agent` may call `selector` on `target` for `account` under
    /// its current grant (ignoring expiry, revocation and caps).
    pub fn is_allowed(
        &self,
        account: Address,
        agent: Address,
        target: Address,
        selector: B32,
    ) -> bool {
        let key = self.key_of(account, agent);
        let epoch = self.grants.getter(key).epoch.get().to::<u64>();
        epoch != 0 && self.allowed.get(allow_key(key, epoch, target, selector))
    }
}

impl AgentPermissions {
    /// The key of `agent`'s grant on `account` in its current generation.
    fn key_of(&self, account: Address, agent: Address) -> B256 {
        grant_key(account, self.generations.get(account).to(), agent)
    }

    /// The account's holder, when it is the caller.
    #[allow(clippy::unused_self)]
    fn only_owner(&self, account: Address) -> Result<Address, Error> {
        let caller = msg::sender();
        let owner = owner_of(account)?;
        if owner.is_zero() || caller != owner {
            return Err(NotAccountOwner { caller, owner }.into());
        }
        Ok(owner)
    }

    /// The body of [`Self::execute`], under the reentrancy lock.
    fn run(
        &mut self,
        account: Address,
        to: Address,
        value: U256,
        data: &[u8],
    ) -> Result<Bytes, Error> {
        let agent = msg::sender();
        let now = block::timestamp();
        let key = self.key_of(account, agent);
        let selector =
            rules::selector_of(data).ok_or(ShortCalldata { length: U256::from(data.len()) })?;
        let (period, ledger, credit_cap, credits) = {
            let g = self.grants.getter(key);
            let epoch = g.epoch.get().to::<u64>();
            if epoch == 0 {
                return Err(AgentNotAllowed { account, agent }.into());
            }
            if g.revoked.get() {
                return Err(AgentRevoked { account, agent }.into());
            }
            let expiry = g.expiry.get().to();
            if rules::expired(now, expiry) {
                return Err(AgentExpired { account, agent, expiry }.into());
            }
            let owner = owner_of(account)?;
            if g.granter.get() != owner {
                return Err(OwnerChanged { granter: g.granter.get(), owner }.into());
            }
            let (granted, now_epoch) = (g.ownership.get().to::<u64>(), ownership_of(account));
            if granted != now_epoch {
                return Err(OwnershipEnded { granted, current: now_epoch }.into());
            }
            if !self.allowed.get(allow_key(key, epoch, to, selector)) {
                return Err(TargetNotAllowed { target: to, selector }.into());
            }
            let credits = Usage { window: g.credit_window.get().to(), used: g.credits_used.get() };
            (g.period.get().to::<u64>(), g.ledger.get(), g.credit_cap.get(), credits)
        };
        // ETH: checked and recorded before the call.
        {
            let mut g = self.grants.setter(key);
            let mut usage = Usage { window: g.value_window.get().to(), used: g.value_used.get() };
            usage
                .spend(now, period, g.value_cap.get(), value)
                .map_err(|remaining| ValueCapExceeded { value, remaining })?;
            g.value_window.set(U64::from(usage.window));
            g.value_used.set(usage.used);
        }
        let before = if ledger.is_zero() { U256::ZERO } else { spendable(ledger, account)? };
        let call =
            IAgentAccount::executeCall { to, value, data: data.to_vec().into(), operation: 0 };
        // SAFETY: the storage cache is flushed before the call, and the
        // reentrancy lock refuses any call back into this contract.
        let reply =
            unsafe { RawCall::new().flush_storage_cache().call(account, &call.abi_encode()) }
                .map_err(Error::CallReverted)?;
        let reply = IAgentAccount::executeCall::abi_decode_returns(&reply, true)
            .map_err(|_| BadReply { callee: account })?
            ._0;
        // Credits: measured across the call, checked and recorded after it.
        let spent = if ledger.is_zero() {
            U256::ZERO
        } else {
            before.saturating_sub(spendable(ledger, account)?)
        };
        let mut credits = credits;
        credits
            .spend(now, period, credit_cap, spent)
            .map_err(|remaining| CreditCapExceeded { credits: spent, remaining })?;
        let mut g = self.grants.setter(key);
        g.credit_window.set(U64::from(credits.window));
        g.credits_used.set(credits.used);
        emit(AgentExecuted { account, agent, target: to, selector, value, credits: spent });
        Ok(reply.to_vec().into())
    }
}
