use proptest::prelude::*;

use super::*;

const BRIDGE: [u8; 20] = [0xB7; 20];

fn place() -> PromptPlace {
    PromptPlace {
        chain_id: 412_346,
        bridge: BRIDGE,
        model: 1,
        payer: [0xA1; 20],
        requester: [0xA2; 20],
        requester_key: [0xA3; 32],
        deadline: 1_900_000_000,
    }
}

fn prompt_context() -> Context {
    Context::prompt(&place())
}

#[test]
fn a_sealed_prompt_opens_with_the_providers_key_only() {
    let provider = Keypair::generate();
    let sealed =
        seal(&provider.public_key(), Purpose::Prompt, &prompt_context(), b"What is yield?")
            .unwrap();
    assert_eq!(sealed[0], VERSION);
    assert_eq!(sealed.len(), MIN_SEALED_LEN + b"What is yield?".len());
    assert_eq!(
        provider.open(Purpose::Prompt, &prompt_context(), &sealed).unwrap(),
        b"What is yield?"
    );
    let someone = Keypair::generate();
    assert_eq!(
        someone.open(Purpose::Prompt, &prompt_context(), &sealed),
        Err(SealError::Unopenable)
    );
}

#[test]
fn a_sealed_message_is_bound_to_its_purpose_and_place() {
    let key = Keypair::from_seed(&[7; 32]);
    let answer = Context::answer(412_346, BRIDGE, 42);
    let sealed = seal(&key.public_key(), Purpose::Answer, &answer, b"42").unwrap();
    assert_eq!(key.open(Purpose::Answer, &answer, &sealed).unwrap(), b"42");
    // As a prompt, for another request, on another chain or bridge: no.
    assert_eq!(key.open(Purpose::Prompt, &answer, &sealed), Err(SealError::Unopenable));
    for other in [
        Context::answer(412_346, BRIDGE, 43),
        Context::answer(1, BRIDGE, 42),
        Context::answer(412_346, [0; 20], 42),
    ] {
        assert_eq!(key.open(Purpose::Answer, &other, &sealed), Err(SealError::Unopenable));
    }
}

#[test]
fn m3_a_prompt_copied_into_another_request_does_not_open() {
    let provider = Keypair::from_seed(&[5; 32]);
    let sealed =
        seal(&provider.public_key(), Purpose::Prompt, &prompt_context(), b"Alice's secret")
            .unwrap();
    assert_eq!(
        provider.open(Purpose::Prompt, &prompt_context(), &sealed).unwrap(),
        b"Alice's secret"
    );
    let others = [
        PromptPlace { requester: [0xEE; 20], ..place() },
        PromptPlace { payer: [0xEE; 20], ..place() },
        PromptPlace { requester_key: [0xEE; 32], ..place() },
        PromptPlace { deadline: place().deadline + 1, ..place() },
        PromptPlace { model: 2, ..place() },
        PromptPlace { bridge: [0; 20], ..place() },
        PromptPlace { chain_id: 1, ..place() },
    ];
    for other in others {
        assert_eq!(
            provider.open(Purpose::Prompt, &Context::prompt(&other), &sealed),
            Err(SealError::Unopenable),
            "{other:?}"
        );
    }
}

#[test]
fn m3_prompt_context_layout_is_fixed_width() {
    let bytes = prompt_context().as_bytes().to_vec();
    assert_eq!(bytes.len(), PROMPT_CONTEXT_LEN);
    let expected = [
        &412_346u64.to_be_bytes()[..],
        &BRIDGE,
        &1u32.to_be_bytes(),
        &[0xA1; 20],
        &[0xA2; 20],
        &[0xA3; 32],
        &1_900_000_000u64.to_be_bytes(),
    ]
    .concat();
    assert_eq!(bytes, expected);
}

#[test]
fn m3_enc_of_is_the_fresh_key_at_the_front() {
    let key = Keypair::generate();
    let a = seal(&key.public_key(), Purpose::Prompt, &prompt_context(), b"x").unwrap();
    let b = seal(&key.public_key(), Purpose::Prompt, &prompt_context(), b"x").unwrap();
    assert_eq!(enc_of(&a).unwrap()[..], a[1..=ENC_LEN]);
    assert_ne!(enc_of(&a), enc_of(&b));
    assert_eq!(enc_of(&a[..MIN_SEALED_LEN - 1]), None);
    let mut other_version = a.clone();
    other_version[0] = 2;
    assert_eq!(enc_of(&other_version), None);
}

#[test]
fn tampered_or_malformed_messages_are_rejected() {
    let key = Keypair::generate();
    let sealed = seal(&key.public_key(), Purpose::Prompt, &prompt_context(), b"secret").unwrap();
    for at in [1, ENC_LEN, ENC_LEN + 1, sealed.len() - 1] {
        let mut tampered = sealed.clone();
        tampered[at] ^= 0x01;
        assert_eq!(
            key.open(Purpose::Prompt, &prompt_context(), &tampered),
            Err(SealError::Unopenable),
            "byte {at}"
        );
    }
    let mut other_version = sealed.clone();
    other_version[0] = 2;
    assert_eq!(
        key.open(Purpose::Prompt, &prompt_context(), &other_version),
        Err(SealError::UnknownVersion(2))
    );
    let short = &sealed[..MIN_SEALED_LEN - 1];
    assert_eq!(
        key.open(Purpose::Prompt, &prompt_context(), short),
        Err(SealError::TooShort(MIN_SEALED_LEN - 1))
    );
}

#[test]
fn seeds_give_stable_keys_and_sealing_is_randomised() {
    assert_eq!(
        Keypair::from_seed(&[1; 32]).public_key(),
        Keypair::from_seed(&[1; 32]).public_key()
    );
    assert_ne!(
        Keypair::from_seed(&[1; 32]).public_key(),
        Keypair::from_seed(&[2; 32]).public_key()
    );
    let key = Keypair::from_seed(&[1; 32]);
    let a = seal(&key.public_key(), Purpose::Prompt, &prompt_context(), b"same").unwrap();
    let b = seal(&key.public_key(), Purpose::Prompt, &prompt_context(), b"same").unwrap();
    assert_ne!(a, b, "a fresh ephemeral key per message");
    assert!(!format!("{key:?}").contains("secret"));
}

proptest! {
    #[test]
    fn any_plaintext_round_trips(plaintext in proptest::collection::vec(any::<u8>(), 0..2048), id: u64) {
        let key = Keypair::from_seed(&[9; 32]);
        let context = Context::answer(412_346, BRIDGE, id);
        let sealed = seal(&key.public_key(), Purpose::Answer, &context, &plaintext).unwrap();
        prop_assert_eq!(key.open(Purpose::Answer, &context, &sealed).unwrap(), plaintext);
    }

    #[test]
    fn arbitrary_bytes_never_open_and_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let key = Keypair::from_seed(&[9; 32]);
        prop_assert!(key.open(Purpose::Prompt, &prompt_context(), &bytes).is_err());
    }
}

/// The prompt vector shared with the TypeScript client
/// (`clients/ts/test/sealing.test.ts` reads the same file): the same place
/// gives the same bytes on both sides, and both open the same message.
const VECTOR: &str = include_str!("../vectors/prompt-v1.json");

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::from("0x"), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Vec<u8> {
    let text = text.strip_prefix("0x").unwrap();
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn vector_place(v: &serde_json::Value) -> PromptPlace {
    let field = |name: &str| unhex(v[name].as_str().unwrap());
    PromptPlace {
        chain_id: v["chainId"].as_u64().unwrap(),
        bridge: field("bridge").try_into().unwrap(),
        model: u32::try_from(v["model"].as_u64().unwrap()).unwrap(),
        payer: field("payer").try_into().unwrap(),
        requester: field("requester").try_into().unwrap(),
        requester_key: field("requesterKey").try_into().unwrap(),
        deadline: v["deadline"].as_u64().unwrap(),
    }
}

#[test]
fn m3_the_shared_vector_opens_and_its_context_matches() {
    let v: serde_json::Value = serde_json::from_str(VECTOR).unwrap();
    let seed: [u8; 32] = unhex(v["seed"].as_str().unwrap()).try_into().unwrap();
    let key = Keypair::from_seed(&seed);
    assert_eq!(hex(&key.public_key()), v["publicKey"].as_str().unwrap());
    let context = Context::prompt(&vector_place(&v));
    assert_eq!(hex(context.as_bytes()), v["context"].as_str().unwrap());
    let sealed = unhex(v["sealed"].as_str().unwrap());
    let opened = key.open(Purpose::Prompt, &context, &sealed).unwrap();
    assert_eq!(hex(&opened), v["plaintext"].as_str().unwrap());
    let elsewhere = PromptPlace { requester: [0; 20], ..vector_place(&v) };
    assert!(key.open(Purpose::Prompt, &Context::prompt(&elsewhere), &sealed).is_err());
}

/// Writes the shared vector (run once by hand with
/// `COMPUTE_FI_WRITE_VECTOR=1 cargo test -p sealing write_the_shared_vector -- --ignored`;
/// the committed file must not change afterwards).
#[test]
#[ignore = "writes the committed vector file"]
fn write_the_shared_vector() {
    if std::env::var_os("COMPUTE_FI_WRITE_VECTOR").is_none() {
        return;
    }
    let seed = [0x33; 32];
    let key = Keypair::from_seed(&seed);
    let place = place();
    let plaintext = "A private question, sealed in Rust ✓".as_bytes();
    let sealed =
        seal(&key.public_key(), Purpose::Prompt, &Context::prompt(&place), plaintext).unwrap();
    let v = serde_json::json!({
        "comment": "sealing::Context::prompt / promptContext conformance (offchain/sealing/src/tests.rs, clients/ts/test/sealing.test.ts)",
        "seed": hex(&seed),
        "publicKey": hex(&key.public_key()),
        "chainId": place.chain_id,
        "bridge": hex(&place.bridge),
        "model": place.model,
        "payer": hex(&place.payer),
        "requester": hex(&place.requester),
        "requesterKey": hex(&place.requester_key),
        "deadline": place.deadline,
        "context": hex(Context::prompt(&place).as_bytes()),
        "plaintext": hex(plaintext),
        "sealed": hex(&sealed),
    });
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/prompt-v1.json");
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
}
