//! The parse stage: document text to syntax tree, within the parser's
//! limits. A document past `max_tokens` or `max_recursion` is refused
//! while it is read, before it costs more than the reading.

use apollo_compiler::ast::Document;
use apollo_compiler::parser::Parser;

use super::limits::{Exceeded, Limit, LimitsConfig};
use crate::graphql;

pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";

#[derive(Debug, Clone, thiserror::Error)]
pub enum ParseError {
    #[error("the query does not parse")]
    Syntax(Vec<graphql::Error>),
    #[error("{0}")]
    Limit(Exceeded),
}

impl ParseError {
    pub fn to_graphql_errors(&self) -> Vec<graphql::Error> {
        match self {
            ParseError::Syntax(errors) => errors.clone(),
            ParseError::Limit(exceeded) => vec![exceeded.to_graphql_error()],
        }
    }
}

/// A parsed document, and the token limit it passed only by warning.
#[derive(Debug)]
pub struct Parsed {
    pub document: Document,
    pub warned: Option<Exceeded>,
}

/// Parses `text` under `limits`. The nesting limit always refuses (it
/// guards the parser's stack); the token limit only warns when
/// `warn_only` covers it.
pub fn parse(text: &str, limits: &LimitsConfig) -> Result<Parsed, ParseError> {
    let max_tokens = limits.max(Limit::MaxTokens);
    let warn_tokens = limits.warn_only.covers(Limit::MaxTokens);
    let mut parser = Parser::new();
    if let Some(max) = limits.max(Limit::MaxRecursion) {
        parser = parser.recursion_limit(max as usize);
    }
    if let (Some(max), false) = (max_tokens, warn_tokens) {
        parser = parser.token_limit(max as usize);
    }
    let parsed = parser.parse_ast(text, "query.graphql");
    let past = |limit: Limit, reached: usize| {
        let max = limits.max(limit)?;
        (reached as u64 > max).then_some(Exceeded {
            limit,
            measured: reached as u64,
            max,
        })
    };
    let tokens = past(Limit::MaxTokens, parser.tokens_reached());
    match parsed {
        Ok(document) => Ok(Parsed {
            document,
            warned: tokens,
        }),
        Err(invalid) => {
            if let Some(exceeded) = past(Limit::MaxRecursion, parser.recursion_reached()) {
                return Err(ParseError::Limit(exceeded));
            }
            if let (Some(exceeded), false) = (tokens, warn_tokens) {
                return Err(ParseError::Limit(exceeded));
            }
            Err(ParseError::Syntax(
                invalid
                    .errors
                    .iter()
                    .map(|d| graphql::Error::from_compiler(d.to_json(), PARSE_FAILED))
                    .collect(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_tokens: usize, max_recursion: usize) -> LimitsConfig {
        LimitsConfig {
            max_tokens,
            max_recursion,
            ..LimitsConfig::default()
        }
    }

    fn code(err: &ParseError) -> String {
        err.to_graphql_errors()[0].extensions["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn syntax_errors_have_locations_and_the_parse_code() {
        let err = parse("{ product(id: 1) { name }", &LimitsConfig::default()).unwrap_err();
        assert_eq!(code(&err), PARSE_FAILED);
        assert!(!err.to_graphql_errors()[0].locations.is_empty());
    }

    #[test]
    fn the_token_limit_refuses_past_it_and_not_at_it() {
        // `{`, `a`, `}`: three tokens (and the end).
        let text = "{ a }";
        let tokens = (1..10)
            .find(|&max| parse(text, &limits(max, 0)).is_ok())
            .unwrap();
        let err = parse(text, &limits(tokens - 1, 0)).unwrap_err();
        assert_eq!(code(&err), "MAX_TOKENS_EXCEEDED");
        let ParseError::Limit(exceeded) = err else {
            panic!()
        };
        assert_eq!(exceeded.max, tokens as u64 - 1);
        let long = format!("{{ {} }}", "a ".repeat(20_000));
        let err = parse(&long, &LimitsConfig::default()).unwrap_err();
        assert_eq!(code(&err), "MAX_TOKENS_EXCEEDED");
    }

    #[test]
    fn the_token_limit_can_only_warn() {
        let mut config = limits(3, 0);
        config.warn_only = super::super::limits::WarnOnly::These(vec![Limit::MaxTokens]);
        let parsed = parse("{ a b c d }", &config).unwrap();
        assert_eq!(parsed.warned.unwrap().limit, Limit::MaxTokens);
    }

    #[test]
    fn deep_nesting_is_refused_with_its_own_code() {
        let deep = format!("{}{}", "{ a ".repeat(600), "}".repeat(600));
        let err = parse(&deep, &LimitsConfig::default()).unwrap_err();
        assert_eq!(code(&err), "MAX_RECURSION_EXCEEDED");
        let list = format!("{{ a(x: {}1{}) }}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&list, &limits(0, 500)).unwrap_err();
        assert_eq!(code(&err), "MAX_RECURSION_EXCEEDED");
        assert!(
            parse(
                &format!("{}{}", "{ a ".repeat(50), "}".repeat(50)),
                &limits(0, 500)
            )
            .is_ok()
        );
    }
}
