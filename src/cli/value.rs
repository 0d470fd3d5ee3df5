//! Command-line values that name library enums (`--format json`, `--ignore cosmetic`, `--pg
//! local`): the library types stay free of clap, and each is parsed by its own names.

use clap::builder::{PossibleValuesParser, TypedValueParser};

use crate::catalog::Class;
use crate::report::Format;
use crate::server::Provider;

/// A parser accepting exactly the names of `all`, as `name` spells them.
fn named<T: Copy + Send + Sync + 'static>(all: &'static [T], name: fn(T) -> &'static str) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(all.iter().map(|value| name(*value)))
        .map(move |given| *all.iter().find(|value| name(**value) == given).expect("clap accepted one of the listed names"))
}

/// `--format text|json|github|markdown`.
pub fn format() -> impl TypedValueParser<Value = Format> {
    named(&Format::ALL, Format::as_str)
}

/// A class of differences: `destructive`, `needs-confirm`, `safe`, `cosmetic`.
pub fn class() -> impl TypedValueParser<Value = Class> {
    named(&Class::ALL, Class::as_str)
}

/// `--pg auto|local|docker|url`.
pub fn provider() -> impl TypedValueParser<Value = Provider> {
    named(&Provider::ALL, Provider::as_str)
}
