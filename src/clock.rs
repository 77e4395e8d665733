//! Dates as the inspectors see them: China Standard Time (UTC+8, no daylight saving).

use chrono::{FixedOffset, NaiveDate, Offset, Utc};

/// Asia/Shanghai's offset.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// Today's date in China.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&china()).date_naive()
}
