use proptest::prelude::*;

use super::*;

const BRIDGE: [u8; 20] = [0xB7; 20];

fn prompt_context() -> Context {
    Context::prompt(412_346, BRIDGE, 1)
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
