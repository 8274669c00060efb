//! The chat template, rendered from the GGUF's `tokenizer.chat_template`.
//!
//! The template is Jinja, written for Hugging Face's `apply_chat_template`;
//! rendering the model's own text (rather than hard-coding `ChatML`) keeps
//! the prompt exactly as the model was trained to see it, default system
//! prompt included, for whatever GGUF the worker is given.

use minijinja::{context, Environment, Value};
use serde::Serialize;

use crate::{ChatRequest, Error};

/// The template's name inside its environment.
const NAME: &str = "chat";

/// A compiled chat template.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

impl ChatTemplate {
    /// Compiles `source`; a syntax error is reported here, at load time.
    pub fn new(source: &str) -> Result<Self, Error> {
        let mut env = Environment::new();
        // HF renders with `trim_blocks` and `lstrip_blocks` on; templates
        // are written against that whitespace handling.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        // Some templates call `raise_exception` to reject a conversation.
        env.add_function("raise_exception", |msg: String| -> Result<Value, minijinja::Error> {
            Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, msg))
        });
        env.add_template_owned(NAME, source.to_owned()).map_err(template_error)?;
        Ok(Self { env })
    }

    /// The prompt for `req`: its messages, then the opening of the
    /// assistant's turn for the model to continue.
    pub fn render(&self, req: &ChatRequest) -> Result<String, Error> {
        let mut messages = Vec::with_capacity(req.history.len() + 2);
        if let Some(system) = &req.system {
            messages.push(Message { role: "system", content: system });
        }
        for turn in &req.history {
            messages.push(Message { role: turn.role.as_str(), content: &turn.content });
        }
        messages.push(Message { role: "user", content: &req.user });
        let template = self.env.get_template(NAME).map_err(template_error)?;
        template
            .render(context! { messages => messages, add_generation_prompt => true })
            .map_err(template_error)
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(template_error)`
fn template_error(err: minijinja::Error) -> Error {
    // minijinja's alternate form carries the line and the cause chain.
    Error::Template(format!("{err:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tokenizer.chat_template` of SmolLM2-135M-Instruct.Q4_1.gguf, byte
    /// for byte (read with the `gguf` Python package).
    pub(crate) const SMOLLM2_TEMPLATE: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    fn request(system: Option<&str>, user: &str) -> ChatRequest {
        ChatRequest {
            history: Vec::new(),
            system: system.map(str::to_owned),
            user: user.to_owned(),
            max_output_tokens: 1,
        }
    }

    #[test]
    fn smollm2_without_system_uses_its_default_system_prompt() {
        let t = ChatTemplate::new(SMOLLM2_TEMPLATE).unwrap();
        let prompt = t.render(&request(None, "What is 2+2?")).unwrap();
        assert_eq!(
            prompt,
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging \
             Face<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn smollm2_with_system_is_plain_chatml() {
        let t = ChatTemplate::new(SMOLLM2_TEMPLATE).unwrap();
        let prompt = t.render(&request(Some("Be brief."), "Hi")).unwrap();
        assert_eq!(
            prompt,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n\
             <|im_start|>assistant\n"
        );
    }

    #[test]
    fn a_conversation_renders_its_turns_in_order_before_the_new_message() {
        let t = ChatTemplate::new(SMOLLM2_TEMPLATE).unwrap();
        let mut req = request(Some("Be brief."), "And 3+3?");
        req.history = vec![
            crate::Turn { role: crate::Role::User, content: "What is 2+2?".into() },
            crate::Turn { role: crate::Role::Assistant, content: "4".into() },
        ];
        assert_eq!(
            t.render(&req).unwrap(),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n\
             <|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n\
             <|im_start|>assistant\n"
        );
    }

    #[test]
    fn content_is_inserted_verbatim_not_escaped() {
        let t = ChatTemplate::new("{{ messages[0]['content'] }}").unwrap();
        assert_eq!(t.render(&request(None, "<b>&\"'")).unwrap(), "<b>&\"'");
    }

    #[test]
    fn syntax_errors_fail_at_load_and_raise_exception_fails_at_render() {
        assert!(matches!(ChatTemplate::new("{% for %}"), Err(Error::Template(_))));
        let t = ChatTemplate::new("{{ raise_exception('no system role') }}").unwrap();
        let err = t.render(&request(None, "x")).unwrap_err().to_string();
        assert!(err.contains("no system role"), "{err}");
    }
}
