//! `computefi-demo`: the whole system on one machine, end to end.
//!
//! 1. starts a devnode (a local Stylus chain) in this process;
//! 2. deploys every contract with the deploy tool and creates a community:
//!    its AI NFT and the AI's ERC-6551 account, its key collection, its
//!    vault (paying all yield to the AI's account) and its access policy;
//! 3. 20 members deposit 0.1 tWETH each;
//! 4. a year passes and the yield source earns 5 % (the local yield source
//!    is a test double whose gain is simulated);
//! 5. anyone harvests: only the yield becomes the AI's compute credits;
//! 6. a GPU operator bonds, registers and starts the worker on the real
//!    model (SmolLM2-135M-Instruct, embedded, on the CPU);
//! 7. a key holder asks the community AI a question, paid by the AI's
//!    account under the community's policy; the worker answers;
//! 8. the operator redeems what it earned; every member exits with exactly
//!    the principal it put in;
//! 9. a table shows where every unit of value went.

mod actors;
mod chat;
mod flow;
mod report;

use anyhow::Result;

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let ledger = flow::run().await?;
    println!("{}", report::table(&ledger));
    ledger.check()?;
    println!("\nAll checks passed: the members have their principal, the AI answered, and the accounts balance.");
    Ok(())
}
