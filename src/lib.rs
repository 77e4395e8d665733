//! fieldcheck: verify SME-arrears and enterprise-burden complaints on site, offline.
//!
//! The core (model, notice, store, search, sync) never touches the terminal; the command line
//! (`cli`) and the terminal app (`tui`) build on it.

pub mod cli;
pub mod clock;
pub mod columns;
pub mod drives;
pub mod error;
pub mod files;
pub mod generate;
pub mod i18n;
pub mod model;
pub mod notice;
pub mod progress;
pub mod report;
pub mod search;
pub mod store;
pub mod sync;
pub mod text;
pub mod tui;
