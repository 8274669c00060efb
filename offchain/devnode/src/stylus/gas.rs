//! Stylus pricing: ink, the unit WASM execution is metered in, and its
//! conversion to EVM gas.
//!
//! Figures follow Arbitrum's published Stylus gas documentation where it
//! gives one (1 gas = 10,000 ink; a base cost per host call). wasmi meters
//! execution in fuel, roughly one unit per executed instruction; the devnode
//! charges [`INK_PER_FUEL`] ink per fuel unit, an average of Stylus's
//! per-opcode ink table rather than the table itself, so compute-heavy code
//! costs about, not exactly, what it costs on Arbitrum. Storage, calls and
//! logs are charged with the EVM's own gas schedule (as Stylus does).

/// Ink per unit of EVM gas (Arbitrum's default ink price).
pub const INK_PER_GAS: u64 = 10_000;

/// Ink charged per unit of wasmi fuel (about one WASM instruction).
pub const INK_PER_FUEL: u64 = 100;

/// Base ink cost of every host call (`vm_hooks` import).
pub const HOSTIO_INK: u64 = 8_400;

/// Ink per byte copied between WASM memory and the host.
pub const INK_PER_BYTE: u64 = 18;

/// Gas per 64 KiB WASM page the program grows its memory by.
pub const GAS_PER_PAGE: u64 = 1_000;

/// Most WASM memory pages a program may use (128 pages = 8 MiB).
pub const MAX_PAGES: u32 = 128;

/// Gas to fuel: how much WASM a gas budget buys.
pub const fn gas_to_fuel(gas: u64) -> u64 {
    gas.saturating_mul(INK_PER_GAS / INK_PER_FUEL)
}

/// Fuel to gas, rounded up so that a program never runs for free.
pub const fn fuel_to_gas(fuel: u64) -> u64 {
    fuel.div_ceil(INK_PER_GAS / INK_PER_FUEL)
}

/// The fuel a host call costs before its own work.
pub const fn hostio_fuel(bytes: u64) -> u64 {
    (HOSTIO_INK + bytes.saturating_mul(INK_PER_BYTE)) / INK_PER_FUEL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_and_fuel_round_trip_in_the_protocol_favour() {
        assert_eq!(fuel_to_gas(gas_to_fuel(21_000)), 21_000);
        // One fuel unit is less than a gas unit: it must still cost one gas.
        assert_eq!(fuel_to_gas(1), 1);
        assert_eq!(fuel_to_gas(0), 0);
    }

    #[test]
    fn host_calls_cost_more_with_more_bytes() {
        assert!(hostio_fuel(32) > hostio_fuel(0));
        assert_eq!(hostio_fuel(0), HOSTIO_INK / INK_PER_FUEL);
    }
}
