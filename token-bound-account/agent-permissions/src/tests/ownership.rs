//! Property test: whatever the sequence of token transfers (round trips
//! back to a former holder included), grants, allowances, revocations and
//! account resets, an agent acts exactly while a grant made in the current
//! period of ownership and the current generation of the account is live,
//! and is refused with the reason that applies otherwise.

use alloy_primitives::{aliases::B32, U256};
use alloy_sol_types::SolCall;
use motsu::prelude::*;
use proptest::prelude::*;

use super::{ping_call, serial, Env, ILedgerDouble, DAY};
use crate::{AgentNotAllowed, AgentRevoked, Error};

/// One step; holders are indices into alice, bob, mallory.
#[derive(Clone, Debug)]
enum Step {
    /// The token moves to `to` (a transfer to the current holder counts).
    Transfer { to: usize },
    /// `by` grants the agent and allows `ping`.
    Grant { by: usize },
    /// `by` revokes the agent.
    Revoke { by: usize },
    /// `by` ends every grant of the account.
    Reset { by: usize },
    /// The agent calls `ping` through the account.
    Act,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize).prop_map(|to| Step::Transfer { to }),
        3 => (0..3usize).prop_map(|by| Step::Grant { by }),
        1 => (0..3usize).prop_map(|by| Step::Revoke { by }),
        1 => (0..3usize).prop_map(|by| Step::Reset { by }),
        4 => Just(Step::Act),
    ]
}

/// What the model knows of the agent's grant in the current generation.
#[derive(Clone, Copy, Debug, Default)]
struct Grant {
    /// The ownership period (number of transfers so far) it was made in.
    period: u64,
    granter: usize,
    revoked: bool,
}

fn run(steps: &[Step]) {
    let _s = serial();
    let env = Env::new();
    // `Env::new` made a grant for alice; start from a clean account.
    env.perms.sender(env.alice).reset_account(env.account.address()).motsu_unwrap();
    let holders = [env.alice, env.mallory, Account::from_seed("bob")];
    let (account, agent, ledger) =
        (env.account.address(), env.agent.address(), env.ledger.address());
    let mut owner = 0usize;
    let mut period = 0u64;
    let mut grant: Option<Grant> = None;
    for s in steps {
        match *s {
            Step::Transfer { to } => {
                env.account.sender(holders[owner]).set_owner(holders[to].address());
                owner = to;
                period += 1;
            }
            Step::Grant { by } => {
                let res = env.perms.sender(holders[by]).grant(
                    account,
                    agent,
                    u64::MAX,
                    DAY,
                    U256::ZERO,
                    U256::from(100),
                    ledger,
                );
                if by == owner {
                    res.motsu_unwrap();
                    let ping = B32::from(ILedgerDouble::pingCall::SELECTOR);
                    env.perms
                        .sender(holders[by])
                        .allow(account, agent, ledger, ping, true, false)
                        .motsu_unwrap();
                    grant = Some(Grant { period, granter: by, revoked: false });
                } else {
                    assert!(matches!(res, Err(Error::NotAccountOwner(_))), "{res:?}");
                }
            }
            Step::Revoke { by } => {
                let res = env.perms.sender(holders[by]).revoke(account, agent);
                match (by == owner, grant.as_mut()) {
                    (true, Some(g)) => {
                        res.motsu_unwrap();
                        g.revoked = true;
                    }
                    (true, None) => assert!(matches!(res, Err(Error::AgentNotAllowed(_)))),
                    (false, _) => assert!(matches!(res, Err(Error::NotAccountOwner(_)))),
                }
            }
            Step::Reset { by } => {
                let res = env.perms.sender(holders[by]).reset_account(account);
                if by == owner {
                    res.motsu_unwrap();
                    grant = None;
                } else {
                    assert!(matches!(res, Err(Error::NotAccountOwner(_))), "{res:?}");
                }
            }
            Step::Act => {
                let res =
                    env.perms.sender(env.agent).execute(account, ledger, U256::ZERO, ping_call());
                match grant {
                    None => assert_eq!(res.unwrap_err(), AgentNotAllowed { account, agent }.into()),
                    Some(g) if g.revoked => {
                        assert_eq!(res.unwrap_err(), AgentRevoked { account, agent }.into());
                    }
                    Some(g) if g.granter != owner => {
                        assert!(matches!(res, Err(Error::OwnerChanged(_))), "{res:?}");
                    }
                    Some(g) if g.period != period => {
                        // Back with its granter after a round trip: the
                        // grant belonged to an earlier period.
                        assert!(matches!(res, Err(Error::OwnershipEnded(_))), "{res:?}");
                    }
                    Some(_) => {
                        res.motsu_unwrap();
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// No grant acts outside its ownership period and generation.
    #[test]
    fn no_grant_acts_outside_its_period_of_ownership(steps in prop::collection::vec(step(), 1..40)) {
        run(&steps);
    }
}
