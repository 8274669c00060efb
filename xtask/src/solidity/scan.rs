//! Splits a Solidity source of interfaces into ABI statements and structs.

use std::collections::BTreeMap;

use super::Error;

/// The statements found in a source.
#[derive(Debug, Default)]
pub(super) struct Source {
    /// ABI items (`function ...`, `event ...`, `error ...`, ...), raw text
    /// without the trailing `;`.
    pub(super) items: Vec<String>,
    /// Struct name -> its fields (`"uint256 amount"`), in order.
    pub(super) structs: BTreeMap<String, Vec<String>>,
}

/// What ended a chunk of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Semicolon,
    Open,
    Close,
}

/// Removes `//` and `/* */` comments. (Stylus output has no string literals
/// in which comment markers could appear.)
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let line = rest.find("//");
        let block = rest.find("/*");
        match (line, block) {
            (Some(l), b) if b.is_none_or(|b| l < b) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            (_, Some(b)) => {
                out.push_str(&rest[..b]);
                out.push(' ');
                rest = rest[b + 2..].find("*/").map_or("", |e| &rest[b + 2 + e + 2..]);
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

struct Chunks<'a> {
    rest: &'a str,
}

impl<'a> Chunks<'a> {
    /// The text up to the next `;`, `{` or `}` (trimmed) and that delimiter;
    /// `None` at the end, with any trailing text returned as an error.
    fn next(&mut self) -> Result<Option<(&'a str, End)>, Error> {
        let Some(at) = self.rest.find([';', '{', '}']) else {
            let tail = self.rest.trim();
            self.rest = "";
            return if tail.is_empty() {
                Ok(None)
            } else {
                Err(Error::Syntax(format!("unterminated statement `{tail}`")))
            };
        };
        let end = match self.rest.as_bytes()[at] {
            b';' => End::Semicolon,
            b'{' => End::Open,
            _ => End::Close,
        };
        let text = self.rest[..at].trim();
        self.rest = &self.rest[at + 1..];
        Ok(Some((text, end)))
    }
}

fn first_word(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or("")
}

impl Source {
    /// Splits `text` into items and structs.
    pub(super) fn parse(text: &str) -> Result<Self, Error> {
        let stripped = strip_comments(text);
        let mut chunks = Chunks { rest: &stripped };
        let mut source = Self::default();
        while let Some((text, end)) = chunks.next()? {
            match end {
                End::Semicolon => source.statement(text),
                End::Open => match first_word(text) {
                    "interface" | "contract" | "abstract" | "library" => {
                        source.body(&mut chunks, text)?;
                    }
                    "struct" => source.structure(&mut chunks, text)?,
                    _ => return Err(Error::Syntax(format!("unexpected block `{text} {{`"))),
                },
                End::Close => return Err(Error::Syntax("unbalanced `}`".into())),
            }
        }
        Ok(source)
    }

    fn statement(&mut self, text: &str) {
        match first_word(text) {
            "" | "pragma" | "import" | "using" => {}
            _ => self.items.push(text.to_owned()),
        }
    }

    /// The body of an interface, after its `{`.
    fn body(&mut self, chunks: &mut Chunks<'_>, header: &str) -> Result<(), Error> {
        loop {
            match chunks.next()? {
                Some((text, End::Semicolon)) => self.statement(text),
                Some((text, End::Open)) if first_word(text) == "struct" => {
                    self.structure(chunks, text)?;
                }
                Some((text, End::Open)) => {
                    return Err(Error::Syntax(format!(
                        "unexpected block `{text} {{` in `{header}`"
                    )))
                }
                Some(("", End::Close)) => return Ok(()),
                Some((text, End::Close)) => {
                    return Err(Error::Syntax(format!("missing `;` after `{text}`")))
                }
                None => return Err(Error::Syntax(format!("`{header}` is not closed"))),
            }
        }
    }

    /// A struct's fields, after its `{`.
    fn structure(&mut self, chunks: &mut Chunks<'_>, header: &str) -> Result<(), Error> {
        let name = header.split_whitespace().nth(1).unwrap_or_default().to_owned();
        if name.is_empty() {
            return Err(Error::Syntax("struct without a name".into()));
        }
        let mut fields = Vec::new();
        loop {
            match chunks.next()? {
                Some((field, End::Semicolon)) => fields.push(field.to_owned()),
                Some(("", End::Close)) => break,
                _ => return Err(Error::Syntax(format!("malformed struct {name}"))),
            }
        }
        self.structs.insert(name, fields);
        Ok(())
    }
}
