//! The worker against an in-process devnode with the real model: the
//! request loop, restarts and reorgs, several workers, redundancy with
//! commit-reveal, and the worker as a
//! process (signals, health, metrics, a flaky RPC). One binary: one link.

mod chat_api;
mod common;
mod gateway;
mod keeper;
mod on_devnode;
mod process;
mod reading;
mod redundancy;
mod sessions;
