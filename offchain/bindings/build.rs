//! Rebuilds the bindings when an exported ABI changes (`sol!` reads the
//! JSON files at compile time, which cargo does not track by itself).

fn main() {
    println!("cargo:rerun-if-changed=../../abi");
}
