//! `ArbOS` 61 fragmented Stylus programs on the devnode: a root program
//! (`0xEFF00200`, the module's size, its fragments' addresses) over
//! fragments (`0xEFF001` and a piece of the brotli stream) activates and
//! runs like a single program, also when the module is over the 24 KB
//! limit; malformed roots, missing fragments, a wrong declared size, more
//! than 4 fragments and multi-value modules are refused at activation.

use alloy_primitives::{keccak256, Address, TxKind, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolValue};
use bindings::IComputeCredits;
use e2e::{constructor_call, contract_wasm, fixture, word, Chain, ALICE, BOB};

sol! {
    interface IArbWasm {
        error ProgramNotWasm();
        error ProgramNotActivated();
    }
    interface IArbOwnerPublic {
        function getMaxStylusContractFragments() external view returns (uint8);
    }
    interface IToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
    }
}

const ARBOWNERPUBLIC: Address =
    alloy_primitives::address!("000000000000000000000000000000000000006b");

/// `wasm` with a custom section of `len` incompressible bytes appended: a
/// valid module whose compressed size is what the test needs.
fn padded(wasm: &[u8], len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect();
    let name = b"pad";
    let mut payload = leb(name.len());
    payload.extend_from_slice(name);
    payload.extend_from_slice(&noise);
    let mut out = wasm.to_vec();
    out.push(0);
    out.extend(leb(payload.len()));
    out.extend(payload);
    out
}

fn leb(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = u8::try_from(n & 0x7f).unwrap_or_default();
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A credit ledger over a test token, deployed at `ledger` and constructed.
fn construct_ledger(chain: &mut Chain, ledger: Address) -> Address {
    let token = chain.deploy(ALICE, fixture("TestToken"));
    let args = (token, ALICE, word("Credits"), word("CC")).abi_encode_params();
    let r = chain.send(ALICE, TxKind::Call(ledger), constructor_call(&args), U256::ZERO);
    assert!(r.success, "constructor: {}", r.output);
    token
}

#[test]
fn a_contract_over_24_kb_runs_from_fragments() {
    let mut chain = Chain::new();
    let max = chain.view(ARBOWNERPUBLIC, &IArbOwnerPublic::getMaxStylusContractFragmentsCall {});
    assert_eq!(max, 4, "cargo-stylus asks this before splitting");
    // The credit ledger plus 30 KB that does not compress: ~46 KB
    // compressed, over the single-program limit.
    let wasm = padded(&contract_wasm("compute-credits"), 30_000);
    let report = stylus_check::check_program(&wasm);
    assert!(report.compressed_size > stylus_check::MAX_COMPRESSED_SIZE, "{report:?}");
    let (ledger, activation) = chain.deploy_fragmented(ALICE, &wasm, 2);
    assert!(activation.success, "activation: {}", activation.output);

    // It runs: construct it, top up credits, read them back.
    let token = construct_ledger(&mut chain, ledger);
    let amount = U256::from(5_000u64);
    chain.exec(ALICE, token, &IToken::mintCall { to: ALICE, amount });
    chain.exec(ALICE, token, &IToken::approveCall { spender: ledger, amount });
    chain.exec(ALICE, ledger, &IComputeCredits::topUpCall { to: BOB, amount });
    let spendable = chain.view(ledger, &IComputeCredits::spendableOfCall { account: BOB });
    assert_eq!(spendable, amount);
}

#[test]
fn a_small_program_split_in_three_runs_as_it_does_whole() {
    let mut chain = Chain::new();
    let wasm = contract_wasm("compute-credits");
    let whole = chain.deploy_program(ALICE, &wasm);
    let (split, activation) = chain.deploy_fragmented(ALICE, &wasm, 3);
    assert!(activation.success, "activation: {}", activation.output);
    for ledger in [whole, split] {
        let token = construct_ledger(&mut chain, ledger);
        let asset = chain.view(ledger, &IComputeCredits::assetCall {});
        assert_eq!(asset, token);
    }
}

#[test]
fn malformed_roots_and_fragments_are_refused_at_activation() {
    let mut chain = Chain::new();
    let wasm = contract_wasm("compute-credits");
    let size = u32::try_from(wasm.len()).unwrap();
    let stream = stylus_check::compress(&wasm);
    let not_wasm = IArbWasm::ProgramNotWasm {}.abi_encode();
    let fragment = |chain: &mut Chain, piece: &[u8]| {
        let code = [stylus_check::FRAGMENT_PREFIX.as_slice(), piece].concat();
        chain.deploy(ALICE, stylus_check::init_code(&code)).0 .0
    };
    let (a, b) = stream.split_at(stream.len() / 2);
    let (fa, fb) = (fragment(&mut chain, a), fragment(&mut chain, b));
    let token = chain.deploy(ALICE, fixture("TestToken")).0 .0;
    let cases: [(&str, Vec<u8>); 4] = [
        ("wrong declared size", stylus_check::root_code(size + 1, &[fa, fb])),
        ("fragments out of order", stylus_check::root_code(size, &[fb, fa])),
        ("a fragment that is not one", stylus_check::root_code(size, &[fa, token])),
        ("five fragments", stylus_check::root_code(size, &[fa, fb, fa, fb, fa])),
    ];
    for (case, code) in cases {
        let root = chain.deploy(ALICE, stylus_check::init_code(&code));
        let r = chain.activate(ALICE, root);
        assert!(!r.success, "{case} activated");
        assert_eq!(r.output.to_vec(), not_wasm, "{case}");
        // Not activated: calling it is refused, as any inactive program.
        let call = chain.call(ALICE, root, IComputeCredits::assetCall {}.abi_encode());
        let expected = IArbWasm::ProgramNotActivated {}.abi_encode();
        assert_eq!(call.unwrap_err().to_vec(), expected, "{case}");
    }
    // The right order activates.
    let root =
        chain.deploy(ALICE, stylus_check::init_code(&stylus_check::root_code(size, &[fa, fb])));
    assert!(chain.activate(ALICE, root).success);
    assert_ne!(keccak256(stylus_check::root_code(size, &[fa, fb])), keccak256(&stream));
}

#[test]
fn a_multi_value_module_no_longer_activates() {
    let mut chain = Chain::new();
    let wasm = wat::parse_str(
        r#"(module
  (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
  (memory (export "memory") 1)
  (func $pair (result i32 i32) i32.const 1 i32.const 2)
  (func (export "user_entrypoint") (param i32) (result i32) call $pair drop))"#,
    )
    .unwrap();
    let code = stylus_check::deployable_code(&wasm);
    let program = chain.deploy(ALICE, stylus_check::init_code(&code));
    let r = chain.activate(ALICE, program);
    assert!(!r.success);
    assert_eq!(r.output.to_vec(), IArbWasm::ProgramNotWasm {}.abi_encode());
}
