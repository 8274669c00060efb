//! Where every unit of value went, as measured on chain during the run.

use std::fmt::Write;

use alloy::primitives::{utils::format_ether, U256};
use anyhow::{ensure, Result};

/// Figures read from the chain as the demo ran (base units of tWETH, and
/// credits, 1:1 with it).
#[derive(Debug, Default, Clone)]
pub(crate) struct Figures {
    /// Members who deposited.
    pub(crate) members: usize,
    /// Each member's deposit.
    pub(crate) deposit: U256,
    /// Principal the vault held after the deposits.
    pub(crate) principal: U256,
    /// What the yield source gained over the year.
    pub(crate) yield_earned: U256,
    /// Surplus the harvest took from the source.
    pub(crate) harvested: U256,
    /// The harvester's tip.
    pub(crate) tip: U256,
    /// Credits minted to the AI's account.
    pub(crate) credits_minted: U256,
    /// What the request escrowed.
    pub(crate) escrowed: U256,
    /// What the answer cost (paid to the provider).
    pub(crate) cost: U256,
    /// What went back to the AI's account.
    pub(crate) refunded: U256,
    /// Input and output tokens the provider reported.
    pub(crate) tokens: (u32, u32),
    /// tWETH the provider redeemed its earnings for.
    pub(crate) redeemed: U256,
    /// Credits the AI's account holds at the end.
    pub(crate) credits_left: U256,
    /// What each member got back on exit.
    pub(crate) returned: Vec<U256>,
    /// The question and the answer.
    pub(crate) question: String,
    /// The model's answer.
    pub(crate) answer: String,
    /// Seconds from the request's transaction to the answer on chain.
    pub(crate) answer_seconds: f64,
    /// Turns of the off-chain chat with the community AI that were answered.
    pub(crate) chat_turns: usize,
    /// What the chat's session cost, settled by its last receipt.
    pub(crate) session_cost: U256,
}

fn eth(v: U256) -> String {
    format_ether(v)
}

/// The summary table.
pub(crate) fn table(f: &Figures) -> String {
    let returned: U256 = f.returned.iter().copied().fold(U256::ZERO, |a, b| a + b);
    let rows = [
        (
            "members",
            f.members.to_string(),
            "each deposited ".to_owned() + &eth(f.deposit) + " tWETH",
        ),
        ("principal in the vault", eth(f.principal), "tWETH, in the ERC-4626 yield source".into()),
        ("yield over the year", eth(f.yield_earned), "tWETH (5 % of the principal)".into()),
        ("harvested surplus", eth(f.harvested), "only the yield left the source".into()),
        ("  tip to the harvester", eth(f.tip), "whoever called harvest()".into()),
        (
            "  credits to the AI's account",
            eth(f.credits_minted),
            "compute credits (backed 1:1)".into(),
        ),
        ("escrowed for the question", eth(f.escrowed), "max cost at the model's prices".into()),
        (
            "  paid to the GPU operator",
            eth(f.cost),
            format!("{} input + {} output tokens", f.tokens.0, f.tokens.1),
        ),
        ("  refunded to the AI's account", eth(f.refunded), "unused part of the escrow".into()),
        ("operator redeemed", eth(f.redeemed), "tWETH, from its earned credits".into()),
        ("credits left for the community", eth(f.credits_left), "for the next questions".into()),
        (
            "chat turns with the AI",
            f.chat_turns.to_string(),
            "via the gateway, the AI's instructions".into(),
        ),
        (
            "  paid for the chat's session",
            eth(f.session_cost),
            "one open + one close on chain, any turns".into(),
        ),
        (
            "principal returned",
            eth(returned),
            format!("to {} members, each exactly their deposit", f.returned.len()),
        ),
    ];
    let mut out = String::from("\n┌─────────────────────────────────┬──────────────────────────┬────────────────────────────────────────────┐\n");
    for (what, value, note) in rows {
        let _ = writeln!(out, "│ {what:<31} │ {value:>24} │ {note:<42} │");
    }
    out += "└─────────────────────────────────┴──────────────────────────┴────────────────────────────────────────────┘\n";
    let _ = write!(
        out,
        "Q: {}\nA: {} ({:.1} s from request to answer on chain)",
        f.question,
        f.answer.trim(),
        f.answer_seconds
    );
    out
}

impl Figures {
    /// The checks the demo ends with: every member got exactly its deposit
    /// back, the harvest took only the yield, and the credits balance.
    pub(crate) fn check(&self) -> Result<()> {
        ensure!(self.returned.len() == self.members, "not every member exited");
        for (i, got) in self.returned.iter().enumerate() {
            ensure!(
                *got == self.deposit,
                "member {i} got {} back, not {}",
                eth(*got),
                eth(self.deposit)
            );
        }
        ensure!(self.harvested <= self.yield_earned, "the harvest took more than the yield");
        // Redeeming source shares rounds down: at most one base unit of the
        // surplus stays in the source for the next harvest.
        let delivered = self.tip + self.credits_minted;
        ensure!(
            delivered <= self.harvested && self.harvested - delivered <= U256::from(1),
            "harvest = tip + credits does not hold"
        );
        ensure!(self.cost + self.refunded == self.escrowed, "escrow = cost + refund does not hold");
        ensure!(
            self.credits_left == self.credits_minted - self.cost - self.session_cost,
            "the AI's credits do not add up"
        );
        ensure!(
            self.redeemed == self.cost + self.session_cost,
            "the operator did not redeem exactly what it earned"
        );
        ensure!(!self.answer.is_empty(), "no answer");
        ensure!(self.chat_turns > 0, "the community AI did not chat");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balanced() -> Figures {
        let u = U256::from;
        Figures {
            members: 2,
            deposit: u(100),
            principal: u(200),
            yield_earned: u(10),
            harvested: u(10),
            tip: u(1),
            credits_minted: u(9),
            escrowed: u(5),
            cost: u(3),
            refunded: u(2),
            tokens: (1, 1),
            redeemed: u(4),
            credits_left: u(5),
            returned: vec![u(100), u(100)],
            question: "q".into(),
            answer: "a".into(),
            answer_seconds: 1.0,
            chat_turns: 2,
            session_cost: u(1),
        }
    }

    #[test]
    fn balanced_figures_pass_and_each_imbalance_is_caught() {
        balanced().check().unwrap();
        let mut short = balanced();
        short.returned[1] = U256::from(99);
        assert!(short.check().unwrap_err().to_string().contains("member 1"));
        let mut greedy = balanced();
        greedy.harvested = U256::from(11);
        assert!(greedy.check().is_err(), "the harvest took more than the yield");
        let mut leaky = balanced();
        leaky.refunded = U256::from(1);
        assert!(leaky.check().is_err());
        let mut silent = balanced();
        silent.answer.clear();
        assert!(silent.check().is_err());
        let mut mute = balanced();
        mute.chat_turns = 0;
        assert!(mute.check().unwrap_err().to_string().contains("chat"));
        let mut unpaid = balanced();
        unpaid.session_cost = U256::ZERO;
        assert!(
            unpaid.check().unwrap_err().to_string().contains("credits"),
            "the session's cost must add up"
        );
        assert!(table(&balanced()).contains("principal returned"));
    }
}
