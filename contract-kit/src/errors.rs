//! Input errors every contract raises the same way.

use alloy_sol_types::sol;

sol! {
    /// An amount of zero where a positive amount is required.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAmount();
    /// The zero address where a real account is required.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAddress();
}
