//! Pure rules of agent rights: period windows, caps, selectors. Time is an
//! argument (motsu's clock is fixed), so every rule is tested directly.

use alloy_primitives::{aliases::B32, U256};
use alloy_sol_types::{sol, SolCall};

sol! {
    /// Calls that configure rather than spend: each hands over credits or
    /// assets that no cap measures later (review M-5). A key issued, a minter
    /// or requester approved, a policy set, an executor named, an approval
    /// given or a beneficiary changed lets someone else spend the account's
    /// credits (or assets, or future yield) directly, outside the agent's
    /// caps, and outlives a revocation of the agent.
    interface IConfiguration {
        function issue(address to) external;
        function setMinter(address minter, bool allowed) external;
        function transferIssuer(address issuer) external;
        function approveRequester(address requester, bool approved) external;
        function setPolicy(address collection, uint256 perPeriod, uint64 period, bool active) external;
        function setPolicyModel(address collection, uint32 model, bool allowed) external;
        function setExecutor(address executor) external;
        function approve(address spender, uint256 amount) external;
        function setApprovalForAll(address operator, bool approved) external;
        function setBeneficiary(address beneficiary) external;
    }
}

/// The selectors an agent may be allowed only with the explicit
/// `dangerous` flag: allowing one is worth the account's whole credit
/// balance (or the assets it approves), whatever the grant's caps say.
pub const DANGEROUS: [[u8; 4]; 10] = [
    IConfiguration::issueCall::SELECTOR,
    IConfiguration::setMinterCall::SELECTOR,
    IConfiguration::transferIssuerCall::SELECTOR,
    IConfiguration::approveRequesterCall::SELECTOR,
    IConfiguration::setPolicyCall::SELECTOR,
    IConfiguration::setPolicyModelCall::SELECTOR,
    IConfiguration::setExecutorCall::SELECTOR,
    IConfiguration::approveCall::SELECTOR,
    IConfiguration::setApprovalForAllCall::SELECTOR,
    IConfiguration::setBeneficiaryCall::SELECTOR,
];

/// Whether `selector` configures deferred spending (see [`DANGEROUS`]).
pub fn is_dangerous(selector: B32) -> bool {
    DANGEROUS.contains(&selector.0)
}

/// The start of the period window holding `now`: windows are
/// `[k * period, (k + 1) * period)`. A zero period is one endless window.
pub fn window_start(now: u64, period: u64) -> u64 {
    if period == 0 {
        0
    } else {
        now - now % period
    }
}

/// What one grant has spent of one cap in the window starting at `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Start of the window `used` belongs to.
    pub window: u64,
    /// Spent in that window.
    pub used: U256,
}

impl Usage {
    /// What is left of `cap` at `now`: all of it once a new window began.
    pub fn remaining(&self, now: u64, period: u64, cap: U256) -> U256 {
        if self.window == window_start(now, period) {
            cap.saturating_sub(self.used)
        } else {
            cap
        }
    }

    /// Spends `amount` at `now` against `cap`.
    ///
    /// # Errors
    /// The amount left (what [`Self::remaining`] returns) when `amount`
    /// exceeds it; nothing is spent then.
    pub fn spend(&mut self, now: u64, period: u64, cap: U256, amount: U256) -> Result<(), U256> {
        let remaining = self.remaining(now, period, cap);
        if amount > remaining {
            return Err(remaining);
        }
        let window = window_start(now, period);
        let used = if self.window == window { self.used } else { U256::ZERO };
        *self = Self { window, used: used + amount };
        Ok(())
    }
}

/// The selector a call's data names: its first four bytes, or zero for a
/// plain transfer of ETH (no data). `None` for 1 to 3 bytes, which would
/// reach the target's fallback while counting as a transfer (review L-6).
pub fn selector_of(data: &[u8]) -> Option<B32> {
    match data.len() {
        0 => Some(B32::ZERO),
        1..=3 => None,
        _ => Some(B32::from_slice(&data[..4])),
    }
}

/// Whether a grant that ends at `expiry` has ended at `now`.
pub fn expired(now: u64, expiry: u64) -> bool {
    now >= expiry
}
