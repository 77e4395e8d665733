//! What the screen shows of a lead: a confidential lead (rule 8) masked as the report masks it,
//! unless `u` revealed it and it is the current lead.

use super::state::State;
use crate::model::Lead;

impl State {
    /// The creditor as the screen shows it: a confidential lead's masked as the report masks it
    /// (rule 8: the list may be seen over the inspector's shoulder), unless `u` revealed it and
    /// it is the current lead.
    pub fn creditor_shown<'a>(&self, lead: &'a Lead) -> std::borrow::Cow<'a, str> {
        if !lead.confidential || self.is_revealed(lead) {
            return std::borrow::Cow::Borrowed(&lead.creditor);
        }
        std::borrow::Cow::Owned(crate::report::mask(&lead.creditor))
    }

    /// The contact person and phone found on site, as the screen shows them (masked with the
    /// lead: the family name, the last four digits), or `None` when neither is known.
    pub fn contact_shown(&self, lead: &Lead) -> Option<String> {
        let masked = lead.confidential && !self.is_revealed(lead);
        let name = lead.contact.as_deref().map(|n| {
            if masked {
                crate::report::mask_person(n)
            } else {
                n.to_string()
            }
        });
        let phone = lead.phone.as_deref().map(|p| {
            if masked {
                crate::report::mask_phone(p)
            } else {
                p.to_string()
            }
        });
        match (name, phone) {
            (None, None) => None,
            (name, phone) => Some(
                [name, phone]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("  "),
            ),
        }
    }

    /// The matter as the screen shows it: a masked lead's creditor named in it masked too (the
    /// mask keeps every character's place, so the search's highlights still fit).
    pub fn matter_shown<'a>(&self, lead: &'a Lead) -> std::borrow::Cow<'a, str> {
        self.text_shown(lead, &lead.matter)
    }

    /// Any text about a lead (its matter, a visit's next step or notes) as the screen shows it:
    /// the lead's creditor named in it masked while the lead is.
    pub fn text_shown<'a>(&self, lead: &Lead, text: &'a str) -> std::borrow::Cow<'a, str> {
        if !lead.confidential || self.is_revealed(lead) || lead.creditor.is_empty() {
            return std::borrow::Cow::Borrowed(text);
        }
        let masked = crate::report::mask(&lead.creditor);
        std::borrow::Cow::Owned(text.replace(&lead.creditor, &masked))
    }

    /// Is this confidential lead shown in full now?
    pub fn is_revealed(&self, lead: &Lead) -> bool {
        self.revealed.as_deref() == Some(lead.id.as_str())
            && self.selected_lead().is_some_and(|l| l.id == lead.id)
    }
}
