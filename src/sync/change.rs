//! One entry of a device's change log, and the lead fields a change can set.

use serde::{Deserialize, Serialize};

use super::Hlc;
use crate::model::{Lead, Status, site_lead};

/// `{id, device, idx, author, clock, entity, field, value}` (DESIGN.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// UUIDv7.
    pub id: String,
    /// The device that made the change.
    pub device: String,
    /// Position in that device's log: 1, 2, 3… without gaps.
    pub idx: u64,
    /// The inspector who made it.
    pub author: String,
    pub clock: Hlc,
    /// What changed, e.g. `lead:cq-jfb-2022-3/a3/1`.
    pub entity: String,
    /// Which field, e.g. `status`.
    pub field: String,
    pub value: serde_json::Value,
    /// For a last-writer-wins field: the change whose value this one replaced (`None`: the
    /// value from the notice). Tells a later write from a concurrent one.
    #[serde(default)]
    pub base: Option<String>,
    /// A conflict resolution also replaces these concurrent values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merges: Vec<String>,
    /// The hash (`Change::hash`) of this device's change at `idx - 1`; `None` at idx 1. The
    /// device's log is a hash chain: two histories of one device cannot both link.
    #[serde(default)]
    pub prev: Option<String>,
    /// The device's ed25519 signature over `signed_bytes`, hex. Empty only on changes received
    /// before changes were signed (bundle format 1), which stay but are never relayed.
    #[serde(default)]
    pub sig: String,
}

/// What a change's signature covers: every field but the signature, under a domain prefix so
/// that no other signed thing of fieldcheck (a bundle header, a roster entry) can pass for a
/// change. serde_json writes struct fields in declaration order and object keys sorted (no
/// `preserve_order`), so the bytes are canonical for a given change.
#[derive(Serialize)]
struct Signed<'a> {
    id: &'a str,
    device: &'a str,
    idx: u64,
    author: &'a str,
    clock: Hlc,
    entity: &'a str,
    field: &'a str,
    value: &'a serde_json::Value,
    base: &'a Option<String>,
    merges: &'a [String],
    prev: &'a Option<String>,
}

/// A change's hash from its signed bytes (`Change::signed_bytes`).
pub fn hash_of(signed: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(signed))
}

/// The prefix of every change's signed bytes.
pub const CHANGE_DOMAIN: &[u8] = b"fieldcheck change v2\n";

impl Change {
    /// The bytes the device signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = CHANGE_DOMAIN.to_vec();
        let signed = Signed {
            id: &self.id,
            device: &self.device,
            idx: self.idx,
            author: &self.author,
            clock: self.clock,
            entity: &self.entity,
            field: &self.field,
            value: &self.value,
            base: &self.base,
            merges: &self.merges,
            prev: &self.prev,
        };
        // Strings, numbers and JSON values always serialize.
        out.extend(serde_json::to_vec(&signed).unwrap_or_default());
        out
    }

    /// SHA-256 of the signed bytes, hex: what the device's next change links to.
    pub fn hash(&self) -> String {
        hash_of(&self.signed_bytes())
    }

    /// Signs the change with its device's key.
    pub fn sign(&mut self, key: &ed25519_dalek::SigningKey) {
        self.sig = super::keys::sign(key, &self.signed_bytes());
    }

    /// Does the signature hold for `public` (hex)?
    pub fn verify(&self, public: &str) -> bool {
        super::keys::verify(public, &self.signed_bytes(), &self.sig)
    }

    /// Same change, signature aside? (Two changes at one slot with the same content are the same
    /// change; with other content, the device equivocated.)
    pub fn same_content(&self, other: &Change) -> bool {
        self.signed_bytes() == other.signed_bytes()
    }
}

impl Change {
    /// A lead recorded on site may only be created by the device whose namespace its id is in
    /// (a bundle cannot bring a lead in another laptop's name, nor take an id it will use): the
    /// device id as the roster spells it (lower case), the number after it the lead's `seq`, the
    /// notice the namespace, a deadline (rule 4).
    fn own_site_lead(&self, lead: &crate::model::Lead) -> bool {
        let canonical = !self.device.chars().any(|c| c.is_ascii_uppercase());
        let space = site_lead::namespace(&self.device);
        let number = lead
            .id
            .strip_prefix(&space)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|n| n.parse::<u32>().ok());
        canonical && number == Some(lead.seq) && lead.notice == space && lead.deadline.is_some()
    }

    /// Is the value one its field can hold? (Checked before a bundle is applied, so a bad value
    /// never reaches the store.)
    pub fn is_valid(&self) -> bool {
        // idx counts 1, 2, 3… (never 0, never the last u64, which has no next); the first change
        // links to nothing and every later one to its predecessor.
        let linked = (self.idx == 1) == self.prev.is_none();
        if !self.clock.is_plausible() || self.idx == 0 || self.idx == u64::MAX || !linked {
            return false;
        }
        let (kind, id) = self.entity.split_once(':').unwrap_or(("", ""));
        let value = || self.value.clone();
        match (kind, self.field.as_str()) {
            ("lead", "created") => {
                serde_json::from_value::<crate::model::Lead>(value()).is_ok_and(|l| {
                    l.id == id
                        && sound_lead(&l)
                        && (!site_lead::is_site_lead(id) || self.own_site_lead(&l))
                })
            }
            ("channel", "created") => {
                serde_json::from_value::<crate::model::Channel>(value()).is_ok_and(|c| c.id == id)
            }
            ("notice", "created") => serde_json::from_value::<crate::model::NoticeMeta>(value())
                .is_ok_and(|n| n.id == id),
            ("visit", "visit") => serde_json::from_value::<crate::model::Visit>(value())
                .is_ok_and(|v| v.id == id && is_text(&v.reason, MAX_REASON_CHARS)),
            ("lead", field) if is_register(field) => {
                LeadField::from_change(field, &self.value).is_some()
            }
            _ => false,
        }
    }
}

/// A lead's fields merged last-writer-wins by (clock, device), with conflicts kept for a person.
pub const REGISTERS: [&str; 10] = [
    "status",
    "supervised",
    "confidential",
    "assignee",
    "deadline",
    "attention",
    "debtor",
    "amount_yuan",
    "contact",
    "phone",
];

/// The longest debtor's name a change may carry, in characters.
pub const MAX_DEBTOR_CHARS: usize = 200;

/// The longest contact person's name a change may carry, in characters.
pub const MAX_CONTACT_CHARS: usize = 50;

/// The longest phone number a change may carry, in characters.
pub const MAX_PHONE_CHARS: usize = 40;

/// The longest correction reason a visit may carry, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Text a change may carry: at most `max` characters, no control character but a line break
/// or a tab (an escape sequence needs ESC or another control character).
fn is_text(text: &str, max: usize) -> bool {
    text.chars().count() <= max
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
}

/// A lead a `created` change may bring: its text without control characters (a line break in
/// the matter), of sane lengths, and its facts as their registers would take them.
fn sound_lead(l: &Lead) -> bool {
    let names = [&l.creditor, &l.district, &l.notice];
    let facts = [
        ("debtor", &l.debtor),
        ("contact", &l.contact),
        ("phone", &l.phone),
        ("assignee", &l.assignee),
    ];
    names.iter().all(|t| is_text(t, 500) && !t.contains('\n'))
        && is_text(&l.matter, 20_000)
        && l.amount_yuan
            .is_none_or(|a| (0..=MAX_AMOUNT_YUAN).contains(&a))
        && facts.iter().all(|(field, value)| match value {
            None => true,
            Some(v) => {
                !v.contains('\n')
                    && is_text(v, MAX_DEBTOR_CHARS)
                    && LeadField::from_change(field, &serde_json::Value::from(v.as_str())).is_some()
            }
        })
}

/// A name a change may carry: not blank, at most `max` characters, no control characters (a
/// hostile bundle's terminal escapes never reach a screen).
fn is_name(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// A name as a person typed it: `Some(None)` for nothing or `none` (clears it), `None` when it
/// cannot be taken.
fn typed_name(text: &str, max: usize) -> Option<Option<String>> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("none") {
        return Some(None);
    }
    is_name(text, max).then(|| Some(text.to_string()))
}

/// A phone number a change may carry: digits with `-`, spaces, `+`, brackets or 转 (extension)
/// between, at least three digits, at most `MAX_PHONE_CHARS` characters.
pub fn is_phone(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    digits >= 3
        && text.chars().count() <= MAX_PHONE_CHARS
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+' | '(' | ')' | '转'))
}

/// The largest amount a change may carry, in yuan (a trillion: more than any complaint).
pub const MAX_AMOUNT_YUAN: i64 = 1_000_000_000_000;

/// Is `field` one of the `REGISTERS`?
pub fn is_register(field: &str) -> bool {
    REGISTERS.contains(&field)
}

/// A last-writer-wins field of a lead, with its new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadField {
    Status(Status),
    Supervised(bool),
    Confidential(bool),
    Assignee(Option<String>),
    Deadline(Option<chrono::NaiveDate>),
    Attention(bool),
    /// Who owes: found on site when the notice did not say (不详).
    Debtor(Option<String>),
    /// The amount owed, in yuan, as found on site.
    Amount(Option<i64>),
    /// The enterprise's contact person, as found on site.
    Contact(Option<String>),
    /// The contact's phone number.
    Phone(Option<String>),
}

impl LeadField {
    /// The field's name in changes and JSON.
    pub fn name(&self) -> &'static str {
        match self {
            LeadField::Status(_) => "status",
            LeadField::Supervised(_) => "supervised",
            LeadField::Confidential(_) => "confidential",
            LeadField::Assignee(_) => "assignee",
            LeadField::Deadline(_) => "deadline",
            LeadField::Attention(_) => "attention",
            LeadField::Debtor(_) => "debtor",
            LeadField::Amount(_) => "amount_yuan",
            LeadField::Contact(_) => "contact",
            LeadField::Phone(_) => "phone",
        }
    }

    pub fn value(&self) -> serde_json::Value {
        match self {
            LeadField::Status(s) => serde_json::Value::from(s.code()),
            LeadField::Supervised(b) | LeadField::Confidential(b) | LeadField::Attention(b) => {
                serde_json::Value::from(*b)
            }
            LeadField::Assignee(a)
            | LeadField::Debtor(a)
            | LeadField::Contact(a)
            | LeadField::Phone(a) => a.clone().map_or(serde_json::Value::Null, Into::into),
            LeadField::Amount(a) => a.map_or(serde_json::Value::Null, Into::into),
            LeadField::Deadline(d) => d.map_or(serde_json::Value::Null, |d| d.to_string().into()),
        }
    }

    /// Sets the field on a lead.
    pub fn apply(&self, lead: &mut Lead) {
        match self {
            LeadField::Status(s) => lead.status = *s,
            LeadField::Supervised(b) => lead.supervised = *b,
            LeadField::Confidential(b) => lead.confidential = *b,
            LeadField::Assignee(a) => lead.assignee = a.clone(),
            LeadField::Deadline(d) => lead.deadline = *d,
            LeadField::Attention(b) => lead.attention = *b,
            LeadField::Debtor(d) => lead.debtor = d.clone(),
            LeadField::Amount(a) => lead.amount_yuan = *a,
            LeadField::Contact(c) => lead.contact = c.clone(),
            LeadField::Phone(p) => lead.phone = p.clone(),
        }
    }

    /// The field a change sets, read back from its name and JSON value.
    pub fn from_change(field: &str, value: &serde_json::Value) -> Option<LeadField> {
        let text = || value.as_str().map(str::to_string);
        Some(match field {
            "status" => LeadField::Status(Status::parse(value.as_str()?)?),
            "supervised" => LeadField::Supervised(value.as_bool()?),
            "confidential" => LeadField::Confidential(value.as_bool()?),
            "attention" => LeadField::Attention(value.as_bool()?),
            "assignee" => LeadField::Assignee(if value.is_null() { None } else { Some(text()?) }),
            "debtor" if value.is_null() => LeadField::Debtor(None),
            "debtor" => LeadField::Debtor(Some(text().filter(|d| is_name(d, MAX_DEBTOR_CHARS))?)),
            "contact" if value.is_null() => LeadField::Contact(None),
            "contact" => {
                LeadField::Contact(Some(text().filter(|c| is_name(c, MAX_CONTACT_CHARS))?))
            }
            "phone" if value.is_null() => LeadField::Phone(None),
            "phone" => LeadField::Phone(Some(text().filter(|p| is_phone(p))?)),
            "amount_yuan" => LeadField::Amount(if value.is_null() {
                None
            } else {
                Some(
                    value
                        .as_i64()
                        .filter(|a| (0..=MAX_AMOUNT_YUAN).contains(a))?,
                )
            }),
            "deadline" => LeadField::Deadline(if value.is_null() {
                None
            } else {
                Some(chrono::NaiveDate::parse_from_str(value.as_str()?, "%Y-%m-%d").ok()?)
            }),
            _ => return None,
        })
    }

    /// A fact found on site as a person typed it, by its register's name (`debtor`,
    /// `amount_yuan` in 万元, `contact`, `phone`); `None` when it cannot be taken.
    pub fn typed_fact(field: &str, text: &str) -> Option<LeadField> {
        match field {
            "debtor" => LeadField::typed_debtor(text),
            "amount_yuan" => LeadField::typed_amount_wan(text),
            "contact" => LeadField::typed_contact(text),
            "phone" => LeadField::typed_phone(text),
            _ => None,
        }
    }

    /// A debtor as a person typed it: `none` or nothing clears it; too long a name is refused.
    pub fn typed_debtor(text: &str) -> Option<LeadField> {
        typed_name(text, MAX_DEBTOR_CHARS).map(LeadField::Debtor)
    }

    /// A contact person as typed: `none` or nothing clears it.
    pub fn typed_contact(text: &str) -> Option<LeadField> {
        typed_name(text, MAX_CONTACT_CHARS).map(LeadField::Contact)
    }

    /// A phone number as typed (typographic dashes and full-width digits read as `-` and
    /// digits): `none` or nothing clears it.
    pub fn typed_phone(text: &str) -> Option<LeadField> {
        let text = crate::model::phone::normalize_dashes(text);
        if text.is_empty() || text.eq_ignore_ascii_case("none") {
            return Some(LeadField::Phone(None));
        }
        is_phone(&text).then_some(LeadField::Phone(Some(text)))
    }

    /// An amount in 万元 as a person typed it (`76.6`): `none` or nothing clears it.
    pub fn typed_amount_wan(text: &str) -> Option<LeadField> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("none") {
            return Some(LeadField::Amount(None));
        }
        let yuan =
            crate::model::amount::parse_amount(text, crate::model::amount::YUAN_PER_WAN).ok()?;
        yuan.is_none_or(|y| (0..=MAX_AMOUNT_YUAN).contains(&y))
            .then_some(LeadField::Amount(yuan))
    }

    /// The entity name of a lead in changes.
    pub fn entity(lead_id: &str) -> String {
        format!("lead:{lead_id}")
    }
}
