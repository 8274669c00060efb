//! `devnode`: the command-line entry point (the CLI lands with the JSON-RPC server).

fn main() {}
