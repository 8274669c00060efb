//! The deploy tool against an in-process devnode (plan, deploy, resume,
//! communities) and the TypeScript client against the deployment it makes.
//! One binary: one link.

mod on_devnode;
mod ts_client;
