//! The judge: a live database read into a canonical model, fingerprinted, and compared with
//! another so that no diverged schema is ever called converged.

mod classify;
mod diff;
mod fingerprint;
mod granted;
mod introspect;
mod kind;
mod left_out;
mod model;
mod path;
mod prop;
mod queries;
mod text_rows;

pub use classify::{Class, added, changed, removed};
pub use diff::{Change, Difference, diff};
pub use fingerprint::{FORMAT, Fingerprint, fingerprint};
pub use granted::{DefaultsFor, Granted, ObjectClass};
pub use introspect::{IntrospectOptions, introspect};
pub use kind::{Kind, Parent};
pub use left_out::LeftOut;
pub use model::{Catalog, Object};
pub use path::ObjectPath;
pub use prop::{IdentitySpec, Prop, SequenceOptions, Value};
pub use text_rows::{TextRow, text_rows};
