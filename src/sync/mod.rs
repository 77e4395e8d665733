//! The change log (DESIGN.md's sync model): every mutation is a `Change` appended, in the same
//! write transaction as the state it changes, to its device's log. Bundles and merging build on
//! this.

pub mod change;
pub mod clock;

pub use change::{Change, LeadField};
pub use clock::Hlc;
