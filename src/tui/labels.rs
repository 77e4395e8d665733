//! How a lead's synced field and its value read on screen, in the user's language: the status
//! bar's questions and messages and the Sync tab's conflicts say them alike.

use crate::i18n::Lang;

/// A synced field's name (`assignee` → 分派).
pub fn field_label(field: &str, lang: Lang) -> &'static str {
    match field {
        "status" => lang.pick("状态", "status"),
        "supervised" => lang.pick("挂牌督办", "supervised"),
        "confidential" => lang.pick("保密", "confidential"),
        "assignee" => lang.pick("分派", "assignee"),
        "deadline" => lang.pick("期限", "deadline"),
        "attention" => lang.pick("需关注", "attention"),
        "debtor" => lang.pick("债务人", "debtor"),
        "amount_yuan" => lang.pick("金额（元）", "amount (yuan)"),
        "contact" => lang.pick("联系人", "contact"),
        "phone" => lang.pick("联系电话", "phone"),
        _ => lang.pick("字段", "field"),
    }
}

/// A register value as a person reads it: a state's label, 是/否, 无, or the text.
pub fn value_label(value: &serde_json::Value, lang: Lang) -> String {
    match value {
        serde_json::Value::Bool(b) => lang
            .pick(if *b { "是" } else { "否" }, if *b { "yes" } else { "no" })
            .into(),
        serde_json::Value::Null => lang.pick("无", "none").into(),
        serde_json::Value::String(s) => crate::model::Status::parse(s)
            .map_or_else(|| s.clone(), |st| st.label(lang).to_string()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_register_has_a_name_in_both_languages() {
        for field in crate::sync::REGISTERS {
            assert_ne!(field_label(field, Lang::Zh), "字段", "{field}");
            assert_ne!(field_label(field, Lang::En), "field", "{field}");
        }
        assert_eq!(value_label(&"verifying".into(), Lang::Zh), "核查中");
    }
}
