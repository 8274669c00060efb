// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The devnode's StylusDeployer: deploys, activates and initialises a Stylus
// program in one transaction, the way `cargo stylus deploy` expects for
// programs with a constructor.
//
// This is an independent reimplementation of the publicly documented
// interface and behaviour of Arbitrum's StylusDeployer (nitro-contracts
// v3.1.1: its ABI, the `initSalt` rule and the errors it raises). It shares
// no code with that contract; it is the devnode's own, under the MIT licence.
//
// Compiled by scripts/system-contracts.sh into offchain/devnode/src/system/
// stylus_deployer.bin (runtime code), which the devnode installs at
// 0xcEcba2F1DC234f70Dd89F2041029807F8D03A990.

/// The part of the ArbWasm precompile the deployer uses.
interface IArbWasm {
    function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
    function codehashVersion(bytes32 codehash) external view returns (uint16 version);
}

/// @notice Deploys a Stylus program, activates it if its code is not yet
///         active, and calls its constructor, all in one transaction.
/// @dev Holds no state and no funds between transactions: every wei it is
///      sent goes to ArbWasm (the data fee), to the new contract (initValue)
///      or back to the caller.
contract StylusDeployer {
    IArbWasm private constant ARB_WASM = IArbWasm(0x0000000000000000000000000000000000000071);

    /// @notice A contract was deployed (and activated and initialised).
    event ContractDeployed(address deployedContract);

    /// @notice CREATE or CREATE2 with `bytecode` produced no contract.
    error ContractDeploymentError(bytes bytecode);
    /// @notice The initialisation call reverted; `data` is its revert data.
    error ContractInitializationError(address newContract, bytes data);
    /// @notice The caller could not take back the value left over.
    error RefundExcessValueError(uint256 excessValue);
    /// @notice There is no init code to deploy.
    error EmptyBytecode();
    /// @notice Value for the initialisation call was given without a call.
    error InitValueButNotInitData();

    /// @notice Deploys `bytecode` (EVM init code that returns the program),
    ///         activates the program if needed, then calls it with
    ///         `initData` and `initValue`.
    /// @param salt Zero for CREATE; anything else for CREATE2 with the salt
    ///        `initSalt(salt, initData)`.
    /// @dev msg.value pays initValue plus the activation data fee; whatever
    ///      ArbWasm does not keep is refunded to the caller.
    function deploy(
        bytes calldata bytecode,
        bytes calldata initData,
        uint256 initValue,
        bytes32 salt
    ) external payable returns (address newContract) {
        if (bytecode.length == 0) revert EmptyBytecode();
        if (initData.length == 0 && initValue != 0) revert InitValueButNotInitData();
        // Checked arithmetic: sending less than initValue reverts here.
        uint256 spare = msg.value - initValue;

        newContract = salt == 0
            ? create(bytecode, false, 0)
            : create(bytecode, true, initSalt(salt, initData));

        if (requiresActivation(newContract)) {
            // ArbWasm keeps the data fee and returns the rest of `spare` to
            // this contract as a plain balance transfer (no call), so the
            // refund below accounts for it.
            (, uint256 dataFee) = ARB_WASM.activateProgram{value: spare}(newContract);
            spare -= dataFee;
        }

        if (initData.length != 0) {
            (bool ok, bytes memory data) = newContract.call{value: initValue}(initData);
            // Wrap, do not re-throw: the caller learns which contract failed
            // and still gets the constructor's own error bytes.
            if (!ok) revert ContractInitializationError(newContract, data);
        }

        emit ContractDeployed(newContract);

        if (spare != 0) {
            (bool ok, ) = msg.sender.call{value: spare}("");
            if (!ok) revert RefundExcessValueError(spare);
        }
    }

    /// @notice The CREATE2 salt used for a user `salt`: it commits to the
    ///         init data too, so an address reached with a salt always had
    ///         the same constructor call.
    function initSalt(bytes32 salt, bytes calldata initData) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(salt, initData));
    }

    /// @notice Whether `program`'s code is not (or no longer) active:
    ///         ArbWasm's codehashVersion reverts for such code.
    function requiresActivation(address program) public view returns (bool) {
        (bool active, ) = address(ARB_WASM).staticcall(
            abi.encodeCall(IArbWasm.codehashVersion, (program.codehash))
        );
        return !active;
    }

    /// @dev CREATE, or CREATE2 with `create2Salt` when `salted`.
    function create(bytes calldata bytecode, bool salted, bytes32 create2Salt) private returns (address addr) {
        bytes memory code = bytecode;
        if (!salted) {
            assembly ("memory-safe") {
                addr := create(0, add(code, 0x20), mload(code))
            }
        } else {
            assembly ("memory-safe") {
                addr := create2(0, add(code, 0x20), mload(code), create2Salt)
            }
        }
        if (addr == address(0)) revert ContractDeploymentError(bytecode);
    }
}
