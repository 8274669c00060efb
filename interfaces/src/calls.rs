//! Solidity interfaces for calls between contracts.
//!
//! Each interface lists only what a Compute-Fi contract calls; the full
//! surface of each contract is exported under `abi/`.
#![allow(missing_docs, clippy::pub_underscore_fields)]

use alloc::vec;

use stylus_sdk::prelude::sol_interface;

sol_interface! {
    /// The ERC-20 calls the vault and the ledger make on the underlying asset.
    interface IERC20 {
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function decimals() external view returns (uint8);
    }

    /// The ERC-4626 calls the vault makes on its yield source.
    interface IERC4626 {
        function asset() external view returns (address);
        function balanceOf(address account) external view returns (uint256);
        function previewRedeem(uint256 shares) external view returns (uint256);
        function deposit(uint256 assets, address receiver) external returns (uint256);
        function withdraw(uint256 assets, address receiver, address owner) external returns (uint256);
    }

    /// The calls a registered vault makes on the credit ledger.
    interface ICreditLedger {
        function asset() external view returns (address);
        function depositYield(uint256 amount) external returns (uint256);
        function mintCredits(address to, uint256 amount) external;
    }
}
