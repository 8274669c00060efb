//! What a session did or would do, with its cost, printed as a table.

use std::fmt;

use alloy::primitives::{utils::format_ether, Address, B256, U256};

/// What became of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The contract was already deployed.
    Exists(Address),
    /// The contract would be deployed there (dry run).
    Planned(Address),
    /// The contract was deployed there.
    Done(Address),
    /// The setting was already in place.
    AlreadySet,
    /// The transaction would be sent (dry run).
    ToSend,
    /// The transaction was sent.
    Sent(B256),
}

impl Status {
    /// Whether the step changes (or would change) the chain.
    pub fn is_change(&self) -> bool {
        !matches!(self, Self::Exists(_) | Self::AlreadySet)
    }
}

/// One step of the plan.
#[derive(Debug, Clone)]
pub struct Step {
    /// What it does.
    pub label: String,
    /// What became of it.
    pub status: Status,
    /// Gas used, or estimated in a dry run.
    pub gas: u64,
    /// Value paid besides gas (activation data fees).
    pub fee: U256,
}

/// The steps of a session.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The steps in order.
    pub steps: Vec<Step>,
    /// The chain's gas price when the session started.
    pub gas_price: u128,
}

impl Plan {
    /// An empty plan priced at `gas_price`.
    pub fn new(gas_price: u128) -> Self {
        Self { steps: Vec::new(), gas_price }
    }

    /// Adds a step.
    pub fn push(&mut self, label: String, status: Status, gas: u64, fee: U256) {
        self.steps.push(Step { label, status, gas, fee });
    }

    /// How many steps change the chain.
    pub fn changes(&self) -> usize {
        self.steps.iter().filter(|s| s.status.is_change()).count()
    }

    /// Total cost in wei: gas at the session's price plus data fees.
    pub fn cost(&self) -> U256 {
        self.steps
            .iter()
            .map(|s| U256::from(s.gas) * U256::from(self.gas_price) + s.fee)
            .fold(U256::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            let what = match &step.status {
                Status::Exists(a) => format!("exists      {a}"),
                Status::Planned(a) => format!("would deploy {a}"),
                Status::Done(a) => format!("deployed    {a}"),
                Status::AlreadySet => "already set".to_owned(),
                Status::ToSend => "would send".to_owned(),
                Status::Sent(tx) => format!("sent        {tx}"),
            };
            let gas = if step.gas == 0 { String::new() } else { format!("{:>10} gas", step.gas) };
            writeln!(f, "  {:<58} {what:<56} {gas}", step.label)?;
        }
        let gas: u64 = self.steps.iter().map(|s| s.gas).sum();
        writeln!(
            f,
            "  {} change(s); {gas} gas at {} wei + data fees = {} ETH",
            self.changes(),
            self.gas_price,
            format_ether(self.cost())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_adds_gas_at_price_and_fees() {
        let mut plan = Plan::new(10);
        plan.push("a".into(), Status::Exists(Address::ZERO), 0, U256::ZERO);
        plan.push("b".into(), Status::ToSend, 100, U256::from(7));
        plan.push("c".into(), Status::Planned(Address::ZERO), 50, U256::ZERO);
        assert_eq!(plan.cost(), U256::from(100 * 10 + 7 + 50 * 10));
        assert_eq!(plan.changes(), 2);
        let text = plan.to_string();
        assert!(text.contains("2 change(s)") && text.contains("would send"), "{text}");
    }
}
