//! The change log (DESIGN.md's sync model): every mutation is a `Change` appended, in the same
//! write transaction as the state it changes, to its device's log. Bundles and merging build on
//! this.

pub mod bundle;
pub mod change;
pub mod clock;
pub mod keys;
pub mod roster;
pub mod seal;

pub use change::{Change, LeadField, REGISTERS, is_register};
pub use clock::Hlc;
