//! The work `update` asks for: what the effect runner (`effects.rs`) carries out, its results
//! coming back as actions.

use super::state::{Tab, Work};
use crate::model::form::VisitForm;
use crate::sync::LeadField;

/// Work for the effect runner.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Search `query` in the list of `tab`; the result comes back as `Action::SearchDone`.
    Search {
        generation: u64,
        tab: Tab,
        query: String,
    },
    /// List the removable drives mounted; comes back as `DrivesReady`.
    ListDrives,
    /// Record a new lead found on site; comes back as `SyncDone` with the records read again
    /// and the new lead to show.
    AddLead(Box<crate::model::site_lead::NewLead>),
    /// Save a lead field (and log the change); comes back as `Saved` or `Failed`.
    SetLeadField {
        lead_id: String,
        field: LeadField,
    },
    /// Save the form typed so far as the lead's draft.
    SaveDraft(VisitForm),
    /// Delete a lead's draft.
    DiscardDraft(String),
    /// Check and finalize a visit; comes back as `Finalized`, `Rejected` or `Failed`.
    Finalize(VisitForm),
    /// Write a bundle of the changes not exported yet (into the bundles folder).
    Export,
    /// The same, into this folder or file.
    ExportTo(String),
    /// List the bundles that can be imported (for the path prompt): those of the bundles
    /// folder, or of the folder typed (`Some`, as the prompt spells it, ending in a separator).
    ListBundles(Option<String>),
    Import(String),
    Resolve {
        id: String,
        keep: crate::store::Keep,
    },
    /// Save the names the identity screen was given; comes back as `IdentitySaved` or `Failed`.
    SaveIdentity {
        inspector: String,
        device: String,
        district: String,
    },
    /// Trust the packer of a refused bundle under this name (as headquarters: `hq`), then
    /// import the bundle.
    TrustAndImport {
        path: String,
        key: String,
        name: String,
        hq: bool,
    },
    /// Free records the app no longer shows, off the UI thread.
    Release(Box<super::action::Records>),
    /// Read the whole records of the selected visit and of the selected lead's visits (the app
    /// keeps only rows of each visit); comes back as `Opened`.
    Open {
        visit: Option<String>,
        lead: Option<String>,
    },
}

impl Effect {
    /// The long work this effect is, if it runs off the UI thread.
    pub fn work(&self) -> Option<Work> {
        match self {
            Effect::Import(_) | Effect::TrustAndImport { .. } => Some(Work::Import),
            Effect::Export | Effect::ExportTo(_) => Some(Work::Export),
            Effect::Resolve { .. } => Some(Work::Resolve),
            Effect::AddLead(_) => Some(Work::AddLead),
            _ => None,
        }
    }
}
