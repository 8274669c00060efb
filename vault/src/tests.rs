//! Unit tests of the vault's pure parts. Behaviour that needs the asset, the
//! yield source and the ledger is tested across contracts in the `tests`
//! crate.

use alloy_primitives::U256;

use crate::params::{eta_of, is_ready, Params, MAX_BUFFER_BPS, MAX_TIP_BPS};
use crate::Error;

fn params(tip_bps: u16, buffer_bps: u16, deposit_cap: u64) -> Params {
    Params { tip_bps, max_tip: U256::from(1), buffer_bps, deposit_cap: U256::from(deposit_cap) }
}

#[test]
fn params_within_limits_validate() {
    assert!(params(MAX_TIP_BPS, MAX_BUFFER_BPS, 0).validate().is_ok());
    assert!(matches!(params(MAX_TIP_BPS + 1, 0, 0).validate(), Err(Error::TipTooHigh(_))));
    assert!(matches!(params(0, MAX_BUFFER_BPS + 1, 0).validate(), Err(Error::BufferTooHigh(_))));
}

#[test]
fn deposit_cap_zero_means_none() {
    assert!(params(0, 0, 0).allows_total(U256::MAX));
    assert!(params(0, 0, 100).allows_total(U256::from(100)));
    assert!(!params(0, 0, 100).allows_total(U256::from(101)));
}

#[test]
fn changes_wait_for_their_eta() {
    let eta = eta_of(1_000, 3_600);
    assert_eq!(eta, 4_600);
    assert!(!is_ready(eta, 4_599));
    assert!(is_ready(eta, 4_600));
    // Zero means nothing proposed, even with no delay at time zero.
    assert_eq!(eta_of(0, 0), 1);
    assert!(!is_ready(0, u64::MAX));
    assert_eq!(eta_of(u64::MAX, 10), u64::MAX);
}
