//! Completes the Solidity interface that stylus-sdk 0.9's `export-abi`
//! prints: it leaves out functions a contract gets through
//! `#[implements(...)]` (ERC-20, `Ownable`, `AccessControl`) and all events,
//! which clients such as viem need to decode logs.
//!
//! Events are taken from the contract's own `sol!` block (its source file,
//! included as text), so they cannot drift from the code.

extern crate std;

use alloc::string::String;
use std::{env, print};

/// The ERC-20 functions and events (`OpenZeppelin`'s `IErc20`).
pub const ERC20: &str = "    function totalSupply() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function allowance(address owner, address spender) external view returns (uint256);
    function approve(address spender, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
";

/// The ERC-721 functions and events (`OpenZeppelin`'s `IErc721` and
/// ERC-165).
pub const ERC721: &str = "    function balanceOf(address owner) external view returns (uint256);
    function ownerOf(uint256 tokenId) external view returns (address);
    function safeTransferFrom(address from, address to, uint256 tokenId) external;
    function safeTransferFrom(address from, address to, uint256 tokenId, bytes calldata data) external;
    function transferFrom(address from, address to, uint256 tokenId) external;
    function approve(address to, uint256 tokenId) external;
    function setApprovalForAll(address operator, bool approved) external;
    function getApproved(uint256 tokenId) external view returns (address);
    function isApprovedForAll(address owner, address operator) external view returns (bool);
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);
";

/// The `Ownable` functions and events (`OpenZeppelin`'s `IOwnable`).
pub const OWNABLE: &str = "    function owner() external view returns (address);
    function transferOwnership(address newOwner) external;
    function renounceOwnership() external;
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
";

/// The `AccessControl` functions and events (`OpenZeppelin`'s
/// `IAccessControl` and ERC-165).
pub const ACCESS_CONTROL: &str = "    function hasRole(bytes32 role, address account) external view returns (bool);
    function onlyRole(bytes32 role) external view;
    function getRoleAdmin(bytes32 role) external view returns (bytes32);
    function grantRole(bytes32 role, address account) external;
    function revokeRole(bytes32 role, address account) external;
    function renounceRole(bytes32 role, address callerConfirmation) external;
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
    event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole);
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
";

/// The `event ...;` declarations of a Rust source file's `sol!` blocks, one
/// per item, a declaration wrapped over several lines joined into one.
pub fn events_of(source: &str) -> impl Iterator<Item = String> + '_ {
    let mut lines = source.lines().map(str::trim);
    core::iter::from_fn(move || loop {
        let line = lines.next()?;
        if !line.starts_with("event ") {
            continue;
        }
        let mut event = String::from(line);
        while !event.ends_with(';') {
            let next = lines.next()?;
            if !(event.ends_with('(') || next.starts_with(')')) {
                event.push(' ');
            }
            event.push_str(next);
        }
        return Some(event);
    })
}

/// A second interface block named `name` holding `standard` (a list of the
/// constants above) and the events declared in `source`.
pub fn extra_interface(name: &str, standard: &[&str], source: &str) -> String {
    let mut out = alloc::format!("\ninterface {name} {{\n");
    for block in standard {
        out.push_str(block);
    }
    for event in events_of(source) {
        out.push_str("    ");
        out.push_str(&event);
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

/// Prints the extra interface unless the printer was asked for the
/// constructor only. Call it after the contract's `print_from_args()`.
pub fn print_extra(name: &str, standard: &[&str], source: &str) {
    if env::args().nth(1).as_deref() != Some("constructor") {
        print!("{}", extra_interface(name, standard, source));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_events_from_sol_blocks() {
        let src = "sol! {\n    /// doc\n    event A(uint256 x);\n    error E();\n    event B(address indexed y, uint64 z);\n    event C(\n        address indexed who,\n        uint256 amount\n    );\n}\n// event not_this\n";
        let events: alloc::vec::Vec<_> = events_of(src).collect();
        assert_eq!(
            events,
            [
                "event A(uint256 x);",
                "event B(address indexed y, uint64 z);",
                "event C(address indexed who, uint256 amount);"
            ]
        );
        let text = extra_interface("IX", &[OWNABLE], src);
        assert!(text.starts_with("\ninterface IX {\n"));
        assert!(text.contains("function owner() external view returns (address);"));
        assert!(text.contains("    event B(address indexed y, uint64 z);\n"));
        assert!(text.ends_with("    event C(address indexed who, uint256 amount);\n}\n"));
    }
}
