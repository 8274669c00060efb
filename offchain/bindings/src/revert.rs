//! Revert data in words: the typed errors of every Compute-Fi contract,
//! the StylusDeployer's and Solidity's `Error(string)` / `Panic(uint256)`.

use crate::{
    IAgentPermissions, IAiNft, IAiParking, IComputeCredits, IErc6551Registry, IInferenceAccess,
    IInferenceRegistry, IInferenceSessions, IKeyNft, IOracleBridge, IStylusDeployer,
    ITokenBoundAccount, IVault,
};
use alloy::{
    primitives::hex,
    sol_types::{Revert, SolError, SolInterface},
};

/// Describes revert `data` with the first error type that decodes it.
pub fn describe_revert(data: &[u8]) -> String {
    if data.is_empty() {
        return "reverted without data (a trap or out of gas)".to_owned();
    }
    if let Ok(IStylusDeployer::IStylusDeployerErrors::ContractInitializationError(e)) =
        IStylusDeployer::IStylusDeployerErrors::abi_decode(data)
    {
        return format!("the constructor reverted: {}", describe_revert(&e.data));
    }
    if let Ok(r) = Revert::abi_decode(data) {
        return format!("Error({:?})", r.reason);
    }
    macro_rules! try_decode {
        ($($errors:ty),*) => {$(
            if let Ok(e) = <$errors>::abi_decode(data) {
                return format!("{e:?}");
            }
        )*};
    }
    try_decode!(
        IVault::IVaultErrors,
        IComputeCredits::IComputeCreditsErrors,
        IInferenceRegistry::IInferenceRegistryErrors,
        IInferenceAccess::IInferenceAccessErrors,
        IOracleBridge::IOracleBridgeErrors,
        IInferenceSessions::IInferenceSessionsErrors,
        ITokenBoundAccount::ITokenBoundAccountErrors,
        IErc6551Registry::IErc6551RegistryErrors,
        IKeyNft::IKeyNftErrors,
        IAiNft::IAiNftErrors,
        IAgentPermissions::IAgentPermissionsErrors,
        IAiParking::IAiParkingErrors,
        IStylusDeployer::IStylusDeployerErrors
    );
    format!("unknown error 0x{}", hex::encode(data))
}

#[cfg(test)]
mod tests {
    use alloy::{primitives::Address, sol_types::SolError};

    use super::*;

    #[test]
    fn typed_errors_are_named() {
        let data =
            IOracleBridge::NotAuthorized { caller: Address::ZERO, payer: Address::repeat_byte(1) }
                .abi_encode();
        let words = describe_revert(&data);
        assert!(words.contains("NotAuthorized"), "{words}");
        // Error parameters carry the names the contract's source declares.
        assert!(words.contains("payer"), "{words}");
        let nested = IStylusDeployer::ContractInitializationError {
            newContract: Address::ZERO,
            data: data.clone().into(),
        }
        .abi_encode();
        assert!(describe_revert(&nested).starts_with("the constructor reverted"));
        assert!(describe_revert(&[1, 2, 3, 4]).starts_with("unknown error 0x01020304"));
        assert!(describe_revert(&[]).contains("without data"));
    }
}
