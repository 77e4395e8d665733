//! Dates as the inspectors see them: China Standard Time (UTC+8, no daylight saving).

use chrono::{FixedOffset, NaiveDate, Offset, Utc};

/// Asia/Shanghai's offset.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The time to stamp on a new record: now, unless `today` is another day (`--today`, for
/// training and checks), then noon of that day in China.
pub fn now_on(today: NaiveDate) -> chrono::DateTime<Utc> {
    if today == self::today() {
        return Utc::now();
    }
    let noon = today.and_hms_opt(12, 0, 0).unwrap_or_default();
    noon.and_local_timezone(china())
        .single()
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// A UTC time as shown: China time in `format`.
pub fn local(time: chrono::DateTime<Utc>, format: &str) -> String {
    time.with_timezone(&china()).format(format).to_string()
}

/// Today's date in China.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&china()).date_naive()
}
