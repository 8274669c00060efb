//! Smoke tests of the test doubles: each asserts an outcome that would fail
//! if the double misbehaved.

use alloy_primitives::{uint, Address, U256, U8};
use alloy_sol_types::{SolCall, SolError, SolValue};
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::{
    self,
    extensions::{IErc20Metadata, IErc4626},
    IErc20,
};
use stylus_sdk::abi::Bytes;

use super::{mock_erc4626, MockErc20, MockErc4626, MockWithdrawalsPaused};

alloy_sol_types::sol! {
    /// Calls the tests encode as hook calldata.
    interface IHookCalls {
        function transfer(address to, uint256 value) external returns (bool);
        function withdraw(uint256 assets, address receiver, address owner)
            external returns (uint256);
    }
}

/// Deploys the asset and the source over it (constructors by hand).
fn setup(asset: &Contract<MockErc20>, source: &Contract<MockErc4626>, admin: Address) {
    asset.sender(admin).constructor("Wrapped Ether".into(), "WETH".into());
    source.sender(admin).constructor(asset.address(), "Yield WETH".into(), "yWETH".into());
}

/// Mints `amount` to `who` and deposits it into the source; returns shares.
fn deposit(
    asset: &Contract<MockErc20>,
    source: &Contract<MockErc4626>,
    who: Address,
    amount: U256,
) -> U256 {
    asset.sender(who).mint(who, amount).motsu_unwrap();
    asset.sender(who).approve(source.address(), amount).motsu_unwrap();
    source.sender(who).deposit(amount, who).motsu_unwrap()
}

#[motsu::test]
fn erc20_mints_burns_and_has_metadata(asset: Contract<MockErc20>, alice: Address, bob: Address) {
    asset.sender(alice).constructor("Wrapped Ether".into(), "WETH".into());
    asset.sender(alice).mint(bob, uint!(1000_U256)).motsu_unwrap();
    asset.sender(alice).burn(bob, uint!(300_U256)).motsu_unwrap();

    assert_eq!(asset.sender(alice).balance_of(bob), uint!(700_U256));
    assert_eq!(asset.sender(alice).total_supply(), uint!(700_U256));
    assert_eq!(asset.sender(alice).decimals(), U8::from(18));
    assert_eq!(asset.sender(alice).symbol(), "WETH");

    let err = asset.sender(alice).burn(bob, uint!(701_U256)).motsu_unwrap_err();
    assert!(matches!(err, erc20::Error::InsufficientBalance(_)));
    assert_eq!(asset.sender(alice).balance_of(bob), uint!(700_U256));
}

#[motsu::test]
fn erc20_fee_on_transfer_burns_the_fee(
    asset: Contract<MockErc20>,
    alice: Address,
    bob: Address,
    carol: Address,
) {
    asset.sender(alice).mint(alice, uint!(10_000_U256)).motsu_unwrap();
    asset.sender(alice).set_fee_bps(100); // 1 %

    assert!(asset.sender(alice).transfer(bob, uint!(1000_U256)).motsu_unwrap());
    assert_eq!(asset.sender(alice).balance_of(alice), uint!(9000_U256));
    assert_eq!(asset.sender(alice).balance_of(bob), uint!(990_U256));
    assert_eq!(asset.sender(alice).total_supply(), uint!(9990_U256));
    asset.assert_emitted(&erc20::Transfer { from: alice, to: bob, value: uint!(990_U256) });
    asset.assert_emitted(&erc20::Transfer {
        from: alice,
        to: Address::ZERO,
        value: uint!(10_U256),
    });

    // transferFrom: the full value is charged to the allowance and the sender.
    asset.sender(alice).approve(carol, uint!(5000_U256)).motsu_unwrap();
    asset.sender(carol).transfer_from(alice, bob, uint!(2050_U256)).motsu_unwrap();
    assert_eq!(asset.sender(alice).balance_of(alice), uint!(6950_U256));
    // fee = floor(2050 * 100 / 10_000) = 20
    assert_eq!(asset.sender(alice).balance_of(bob), uint!(3020_U256));
    assert_eq!(asset.sender(alice).allowance(alice, carol), uint!(2950_U256));

    // Not enough balance for the full value: nothing moves.
    let err = asset.sender(bob).transfer(carol, uint!(3021_U256)).motsu_unwrap_err();
    assert!(matches!(err, erc20::Error::InsufficientBalance(_)));
    assert_eq!(asset.sender(alice).balance_of(bob), uint!(3020_U256));

    // Fee off again: exact transfers.
    asset.sender(alice).set_fee_bps(0);
    asset.sender(bob).transfer(carol, uint!(20_U256)).motsu_unwrap();
    assert_eq!(asset.sender(alice).balance_of(carol), uint!(20_U256));
}

#[motsu::test]
fn erc20_hook_records_a_failing_call_and_continues(
    asset: Contract<MockErc20>,
    alice: Address,
    bob: Address,
    carol: Address,
) {
    asset.sender(alice).mint(alice, uint!(100_U256)).motsu_unwrap();
    // The hook makes the token itself (the caller) transfer 1, but it holds 0.
    let calldata = IHookCalls::transferCall { to: carol, value: uint!(1_U256) }.abi_encode();
    asset.sender(alice).set_hook(asset.address(), Bytes(calldata));

    asset.sender(alice).transfer(bob, uint!(10_U256)).motsu_unwrap();

    assert!(!asset.sender(alice).last_hook_ok());
    let expected = erc20::ERC20InsufficientBalance {
        sender: asset.address(),
        balance: U256::ZERO,
        needed: uint!(1_U256),
    }
    .abi_encode();
    assert_eq!(asset.sender(alice).last_hook_data().0, expected);
    assert_eq!(asset.sender(alice).hook_calls(), uint!(1_U256));
    assert_eq!(asset.sender(alice).balance_of(bob), uint!(10_U256));
    assert_eq!(asset.sender(alice).balance_of(carol), U256::ZERO);

    // Fund the token: the same hook now succeeds (caller = the token), and
    // its nested transfer does not fire the hook again.
    asset.sender(alice).mint(asset.address(), uint!(5_U256)).motsu_unwrap();
    asset.sender(alice).approve(bob, uint!(10_U256)).motsu_unwrap();
    asset.sender(bob).transfer_from(alice, bob, uint!(10_U256)).motsu_unwrap();

    assert!(asset.sender(alice).last_hook_ok());
    assert_eq!(asset.sender(alice).last_hook_data().0, true.abi_encode());
    assert_eq!(asset.sender(alice).hook_calls(), uint!(2_U256));
    assert_eq!(asset.sender(alice).balance_of(carol), uint!(1_U256));
    assert_eq!(asset.sender(alice).balance_of(asset.address()), uint!(4_U256));
    assert_eq!(asset.sender(alice).balance_of(bob), uint!(20_U256));

    // Disarmed: no more calls.
    asset.sender(alice).set_hook(Address::ZERO, Bytes(Vec::new()));
    asset.sender(bob).transfer(alice, uint!(1_U256)).motsu_unwrap();
    assert_eq!(asset.sender(alice).hook_calls(), uint!(2_U256));
    assert_eq!(asset.sender(alice).balance_of(carol), uint!(1_U256));
}

#[motsu::test]
fn erc4626_gain_raises_and_loss_lowers_the_rate(
    asset: Contract<MockErc20>,
    source: Contract<MockErc4626>,
    alice: Address,
) {
    setup(&asset, &source, alice);
    assert_eq!(source.sender(alice).asset(), asset.address());
    assert_eq!(source.sender(alice).decimals(), U8::from(18));

    let shares = deposit(&asset, &source, alice, uint!(1000_U256));
    assert_eq!(shares, uint!(1000_U256));
    assert_eq!(source.sender(alice).balance_of(alice), shares);
    assert_eq!(source.sender(alice).total_assets().motsu_unwrap(), uint!(1000_U256));
    assert_eq!(source.sender(alice).convert_to_assets(shares).motsu_unwrap(), uint!(1000_U256));

    // +1000 asset: 1000 * (2000 + 1) / (1000 + 1) = 1999 (rounded down).
    source.sender(alice).simulate_gain(uint!(1000_U256)).motsu_unwrap();
    assert_eq!(asset.sender(alice).balance_of(source.address()), uint!(2000_U256));
    assert_eq!(source.sender(alice).total_assets().motsu_unwrap(), uint!(2000_U256));
    assert_eq!(source.sender(alice).convert_to_assets(shares).motsu_unwrap(), uint!(1999_U256));
    assert_eq!(source.sender(alice).preview_redeem(shares).motsu_unwrap(), uint!(1999_U256));
    assert_eq!(source.sender(alice).max_withdraw(alice).motsu_unwrap(), uint!(1999_U256));

    // -1500 asset: 1000 * (500 + 1) / (1000 + 1) = 500 (rounded down).
    source.sender(alice).simulate_loss(uint!(1500_U256)).motsu_unwrap();
    assert_eq!(source.sender(alice).total_assets().motsu_unwrap(), uint!(500_U256));
    assert_eq!(source.sender(alice).convert_to_assets(shares).motsu_unwrap(), uint!(500_U256));

    // A loss larger than the holdings fails and changes nothing.
    source.sender(alice).simulate_loss(uint!(501_U256)).motsu_unwrap_err();
    assert_eq!(source.sender(alice).total_assets().motsu_unwrap(), uint!(500_U256));

    // Redeeming everything pays the rounded-down value.
    let assets = source.sender(alice).redeem(shares, alice, alice).motsu_unwrap();
    assert_eq!(assets, uint!(500_U256));
    assert_eq!(asset.sender(alice).balance_of(alice), uint!(500_U256));
    assert_eq!(source.sender(alice).total_supply(), U256::ZERO);
}

#[motsu::test]
fn erc4626_withdraw_rounds_shares_up(
    asset: Contract<MockErc20>,
    source: Contract<MockErc4626>,
    alice: Address,
    bob: Address,
) {
    setup(&asset, &source, alice);
    let shares = deposit(&asset, &source, alice, uint!(1000_U256));
    source.sender(alice).simulate_gain(uint!(1000_U256)).motsu_unwrap();

    // 1 asset is 1 * 1001 / 2001 shares: 0 rounded down, 1 rounded up.
    assert_eq!(source.sender(alice).convert_to_shares(uint!(1_U256)).motsu_unwrap(), U256::ZERO);
    assert_eq!(source.sender(alice).preview_deposit(uint!(1_U256)).motsu_unwrap(), U256::ZERO);
    assert_eq!(source.sender(alice).preview_withdraw(uint!(1_U256)).motsu_unwrap(), uint!(1_U256));

    let burnt = source.sender(alice).withdraw(uint!(1_U256), bob, alice).motsu_unwrap();
    assert_eq!(burnt, uint!(1_U256));
    assert_eq!(source.sender(alice).balance_of(alice), shares - uint!(1_U256));
    assert_eq!(asset.sender(alice).balance_of(bob), uint!(1_U256));

    // Withdrawing for someone else needs a share allowance.
    let err = source.sender(bob).withdraw(uint!(1_U256), bob, alice).motsu_unwrap_err();
    assert!(matches!(err, mock_erc4626::Error::InsufficientAllowance(_)));
}

#[motsu::test]
fn erc4626_paused_withdrawals_revert(
    asset: Contract<MockErc20>,
    source: Contract<MockErc4626>,
    alice: Address,
) {
    setup(&asset, &source, alice);
    let shares = deposit(&asset, &source, alice, uint!(1000_U256));

    source.sender(alice).set_paused_withdrawals(true);
    assert_eq!(source.sender(alice).max_withdraw(alice).motsu_unwrap(), U256::ZERO);
    assert_eq!(source.sender(alice).max_redeem(alice), U256::ZERO);
    let err = source.sender(alice).withdraw(uint!(1_U256), alice, alice).motsu_unwrap_err();
    assert!(matches!(err, mock_erc4626::Error::WithdrawalsPaused(_)));
    let err = source.sender(alice).redeem(shares, alice, alice).motsu_unwrap_err();
    assert!(matches!(err, mock_erc4626::Error::WithdrawalsPaused(_)));
    assert_eq!(source.sender(alice).balance_of(alice), shares);

    // Deposits still work while withdrawals are paused.
    deposit(&asset, &source, alice, uint!(10_U256));

    source.sender(alice).set_paused_withdrawals(false);
    let assets = source.sender(alice).redeem(shares, alice, alice).motsu_unwrap();
    assert_eq!(assets, uint!(1000_U256));
}

#[motsu::test]
fn erc4626_hook_fires_with_the_source_as_caller(
    asset: Contract<MockErc20>,
    source: Contract<MockErc4626>,
    alice: Address,
    carol: Address,
) {
    setup(&asset, &source, alice);
    let shares = deposit(&asset, &source, alice, uint!(1000_U256));

    // On withdraw, the source (the hook's caller) sends 5 asset to carol.
    let calldata = IHookCalls::transferCall { to: carol, value: uint!(5_U256) }.abi_encode();
    source.sender(alice).set_hook(asset.address(), Bytes(calldata));
    assert_eq!(source.sender(alice).hook_target(), asset.address());

    source.sender(alice).withdraw(uint!(100_U256), alice, alice).motsu_unwrap();
    assert!(source.sender(alice).last_hook_ok());
    assert_eq!(source.sender(alice).hook_calls(), uint!(1_U256));
    assert_eq!(asset.sender(alice).balance_of(carol), uint!(5_U256));
    assert_eq!(asset.sender(alice).balance_of(source.address()), uint!(895_U256));

    // A failing hook (re-entering a paused withdraw) is recorded, and the
    // deposit goes on.
    source.sender(alice).set_paused_withdrawals(true);
    let calldata =
        IHookCalls::withdrawCall { assets: uint!(1_U256), receiver: carol, owner: alice }
            .abi_encode();
    source.sender(alice).set_hook(source.address(), Bytes(calldata));
    deposit(&asset, &source, alice, uint!(10_U256));
    assert!(!source.sender(alice).last_hook_ok());
    assert_eq!(source.sender(alice).last_hook_data().0, MockWithdrawalsPaused {}.abi_encode());
    assert!(source.sender(alice).balance_of(alice) > shares - uint!(100_U256));
}
