//! The leads each channel answers for (a district's own, a province's for a provincial channel:
//! the rule of `model::leads_of`), as positions, grouped once where the records are read, so the
//! directory's detail pane never scans every lead to draw a frame.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{Channel, Lead, Scope, region};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadGroups {
    by_district: HashMap<String, Vec<usize>>,
    by_province: HashMap<&'static str, Vec<usize>>,
}

impl LeadGroups {
    pub fn of(leads: &[Arc<Lead>]) -> LeadGroups {
        let mut groups = LeadGroups::default();
        let mut provinces: HashMap<&str, Option<&'static str>> = HashMap::new();
        for (i, lead) in leads.iter().enumerate() {
            groups
                .by_district
                .entry(lead.district.clone())
                .or_default()
                .push(i);
            let province = *provinces
                .entry(lead.notice.as_str())
                .or_insert_with(|| region::province_of(&lead.notice));
            if let Some(p) = province {
                groups.by_province.entry(p).or_default().push(i);
            }
        }
        groups
    }

    /// The positions of the leads `channel` answers for, in the leads' order.
    pub fn of_channel(&self, channel: &Channel) -> &[usize] {
        let found = match channel.scope {
            Scope::Chongqing => self.by_district.get(channel.name.as_str()),
            Scope::National => self.by_province.get(channel.name.as_str()),
        };
        found.map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channels_group_is_what_the_rule_finds() {
        let store = crate::store::Store::memory(&Default::default()).unwrap();
        crate::generate::generate(&store, 2_000, 0, 9, None).unwrap();
        let (leads, channels) = (store.leads().unwrap(), store.channels().unwrap());
        let shared: Vec<Arc<Lead>> = leads.iter().cloned().map(Arc::new).collect();
        let groups = LeadGroups::of(&shared);
        let mut nonempty = 0;
        for channel in &channels {
            let want: Vec<&str> = crate::model::leads_of(channel, &leads)
                .iter()
                .map(|l| l.id.as_str())
                .collect();
            let got: Vec<&str> = groups
                .of_channel(channel)
                .iter()
                .map(|&i| leads[i].id.as_str())
                .collect();
            assert_eq!(got, want, "{}", channel.name);
            nonempty += usize::from(!got.is_empty());
        }
        assert!(nonempty > 10, "{nonempty} channels with leads");
    }
}
