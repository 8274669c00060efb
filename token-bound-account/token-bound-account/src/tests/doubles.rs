//! Test doubles: a minimal NFT (ERC-721 `ownerOf` and safe transfers that
//! call the receiver hooks, plus ERC-1155-style sends) and a call target.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::{
    abi::Bytes,
    call::RawCall,
    msg,
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU256, StorageU64},
};

sol! {
    interface IHooks {
        function onERC721Received(address operator, address from, uint256 tokenId, bytes data) external returns (bytes4);
        function onERC1155Received(address operator, address from, uint256 id, uint256 value, bytes data) external returns (bytes4);
        function onERC1155BatchReceived(address operator, address from, uint256[] ids, uint256[] values, bytes data) external returns (bytes4);
    }
    interface ITarget {
        function ping(uint256 x) external returns (uint256);
        function fail() external;
    }
}

/// The revert data of `TestTarget::fail`.
pub(crate) const FAILURE: &[u8] = &[0xde, 0xad, 0xbe, 0xef, 1, 2, 3];

/// Calldata of `ping(x)`.
pub(crate) fn ping_call(x: u64) -> Bytes {
    ITarget::pingCall { x: U256::from(x) }.abi_encode().into()
}

/// Calldata of `fail()`.
pub(crate) fn fail_call() -> Bytes {
    ITarget::failCall {}.abi_encode().into()
}

/// A minimal NFT.
#[storage]
pub(crate) struct TestNft {
    owners: StorageMap<U256, StorageAddress>,
    /// Changes of holder per token, as the AI NFT counts them.
    epochs: StorageMap<U256, StorageU64>,
}

// SAFETY: a test double used only as a motsu contract.
unsafe impl TopLevelStorage for TestNft {}

#[allow(clippy::unused_self)]
#[public]
impl TestNft {
    /// Sets the holder of `id` (no checks: a test double); a change of
    /// holder starts a new ownership epoch.
    pub(crate) fn set_owner(&mut self, id: U256, owner: Address) {
        if !self.owners.get(id).is_zero() {
            let next = self.epochs.get(id) + alloy_primitives::U64::from(1);
            self.epochs.setter(id).set(next);
        }
        self.owners.setter(id).set(owner);
    }

    /// The AI NFT's `ownershipEpoch`.
    pub(crate) fn ownership_epoch(&self, id: U256) -> u64 {
        self.epochs.get(id).to()
    }

    /// ERC-721 `ownerOf`.
    pub(crate) fn owner_of(&self, id: U256) -> Address {
        self.owners.get(id)
    }

    /// Moves `id` to `to` and calls its ERC-721 hook, reverting with the
    /// hook's revert data.
    pub(crate) fn safe_transfer(&mut self, to: Address, id: U256) -> Result<(), Vec<u8>> {
        let from = self.owners.get(id);
        self.owners.setter(id).set(to);
        let hook = IHooks::onERC721ReceivedCall {
            operator: msg::sender(),
            from,
            tokenId: id,
            data: Vec::new().into(),
        };
        hook_call(to, &hook.abi_encode(), [0x15, 0x0b, 0x7a, 0x02])
    }

    /// Calls `to`'s ERC-1155 hook for `ids` (the batch hook for several).
    pub(crate) fn send_1155(&mut self, to: Address, ids: Vec<U256>) -> Result<(), Vec<u8>> {
        let (operator, from) = (msg::sender(), msg::sender());
        if let [id] = ids[..] {
            let hook = IHooks::onERC1155ReceivedCall {
                operator,
                from,
                id,
                value: U256::from(1),
                data: Vec::new().into(),
            };
            return hook_call(to, &hook.abi_encode(), [0xf2, 0x3a, 0x6e, 0x61]);
        }
        let values = vec![U256::from(1); ids.len()];
        let hook = IHooks::onERC1155BatchReceivedCall {
            operator,
            from,
            ids,
            values,
            data: Vec::new().into(),
        };
        hook_call(to, &hook.abi_encode(), [0xbc, 0x19, 0x7c, 0x81])
    }
}

fn hook_call(to: Address, data: &[u8], magic: [u8; 4]) -> Result<(), Vec<u8>> {
    // SAFETY: a test double; nothing is cached across the call.
    let reply = unsafe { RawCall::new().flush_storage_cache().call(to, data) }?;
    if reply.get(..4) == Some(&magic[..]) {
        Ok(())
    } else {
        Err(b"bad magic".to_vec())
    }
}

/// A call target that records its caller.
#[storage]
pub(crate) struct TestTarget {
    last_caller: StorageAddress,
    pings: StorageU256,
}

// SAFETY: a test double used only as a motsu contract.
unsafe impl TopLevelStorage for TestTarget {}

#[allow(clippy::unused_self)]
#[public]
impl TestTarget {
    /// Records the caller and returns `x + 1`.
    #[payable]
    pub(crate) fn ping(&mut self, x: U256) -> U256 {
        self.last_caller.set(msg::sender());
        let pings = self.pings.get() + U256::from(1);
        self.pings.set(pings);
        x + U256::from(1)
    }

    /// Always reverts with [`FAILURE`].
    pub(crate) fn fail(&mut self) -> Result<(), Vec<u8>> {
        Err(FAILURE.to_vec())
    }

    /// The last caller of `ping`.
    pub(crate) fn last_caller(&self) -> Address {
        self.last_caller.get()
    }

    /// How many times `ping` ran.
    pub(crate) fn pings(&self) -> U256 {
        self.pings.get()
    }
}
