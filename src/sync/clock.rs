//! A hybrid logical clock: wall-clock milliseconds plus a counter, so changes made on one device
//! are strictly ordered even when the wall clock stands still or steps back.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (UTC).
    pub ms: u64,
    /// Orders events within one millisecond, or while the wall clock is behind `ms`.
    pub n: u32,
}

impl Hlc {
    /// The clock for a new local event, given the wall clock now and the last clock issued. A
    /// last clock more than a day ahead of the wall clock (a store that followed a wrong clock
    /// before such changes were kept apart) is not followed: the store's own clock stays within
    /// its wall clock plus that bound, so its bundles are never refused for their clock.
    pub fn tick(last: Hlc, now_ms: u64) -> Hlc {
        if last.ms > now_ms.saturating_add(AHEAD_REPORTED_MS) {
            return Hlc { ms: now_ms, n: 0 };
        }
        if now_ms > last.ms {
            Hlc { ms: now_ms, n: 0 }
        } else if last.n == u32::MAX {
            Hlc {
                ms: last.ms + 1,
                n: 0,
            }
        } else {
            Hlc {
                ms: last.ms,
                n: last.n + 1,
            }
        }
    }

    /// A clock no honest device writes: the year 9999's last millisecond or later. A change
    /// carrying one is refused, so the local clock, which follows the latest change received,
    /// always has room to tick without becoming implausible itself.
    pub fn is_plausible(self) -> bool {
        self.ms < LATEST_PLAUSIBLE_MS
    }

    /// How far ahead of `now_ms` this clock is, if more than a day: the sending device's clock
    /// is wrong. Such changes are kept apart, not applied.
    pub fn ahead_of(self, now_ms: u64) -> Option<u64> {
        self.ms
            .checked_sub(now_ms)
            .filter(|ahead| *ahead > AHEAD_REPORTED_MS)
    }

    /// Written into the store's meta table as `ms.n`.
    pub fn encode(self) -> String {
        format!("{}.{}", self.ms, self.n)
    }

    pub fn decode(text: &str) -> Option<Hlc> {
        let (ms, n) = text.split_once('.')?;
        Some(Hlc {
            ms: ms.parse().ok()?,
            n: n.parse().ok()?,
        })
    }
}

/// 9999-12-31T23:59:59.999Z in milliseconds since the epoch.
const LATEST_PLAUSIBLE_MS: u64 = 253_402_300_799_999;

/// Changes dated more than this ahead of the wall clock are kept apart on import: one day.
pub const AHEAD_REPORTED_MS: u64 = 24 * 60 * 60 * 1000;

/// The wall clock in milliseconds since the epoch.
pub fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_strictly_increasing_even_when_time_steps_back() {
        let a = Hlc::tick(Hlc::default(), 1000);
        let b = Hlc::tick(a, 1000);
        let c = Hlc::tick(b, 900);
        let d = Hlc::tick(c, 1001);
        assert!(a < b && b < c && c < d);
        assert_eq!(d, Hlc { ms: 1001, n: 0 });
    }

    #[test]
    fn a_clock_far_ahead_of_the_wall_clock_is_not_followed() {
        let day = 24 * 60 * 60 * 1000;
        let now = 1_700_000_000_000;
        let poisoned = Hlc {
            ms: 253_402_300_799_998,
            n: u32::MAX,
        };
        assert_eq!(Hlc::tick(poisoned, now), Hlc { ms: now, n: 0 });
        let near = Hlc {
            ms: now + day,
            n: 3,
        };
        assert_eq!(
            Hlc::tick(near, now),
            Hlc {
                ms: now + day,
                n: 4
            }
        );
    }

    #[test]
    fn a_full_counter_moves_to_the_next_millisecond() {
        let full = Hlc {
            ms: 5_000,
            n: u32::MAX,
        };
        let next = Hlc::tick(full, 10);
        assert!(next > full);
        assert_eq!(next, Hlc { ms: 5_001, n: 0 });
    }

    #[test]
    fn clocks_far_ahead_are_reported_and_absurd_ones_implausible() {
        let day = 24 * 60 * 60 * 1000;
        let now = 1_700_000_000_000;
        let at = |ms| Hlc { ms, n: 0 };
        assert_eq!(at(now + day).ahead_of(now), None);
        assert_eq!(at(now + day + 1).ahead_of(now), Some(day + 1));
        assert_eq!(at(now - 5).ahead_of(now), None);
        assert!(at(LATEST_PLAUSIBLE_MS - 1).is_plausible());
        assert!(!at(LATEST_PLAUSIBLE_MS).is_plausible());
        assert_eq!(
            chrono::DateTime::from_timestamp_millis(LATEST_PLAUSIBLE_MS as i64)
                .unwrap()
                .to_rfc3339(),
            "9999-12-31T23:59:59.999+00:00"
        );
    }

    #[test]
    fn encodes_and_decodes() {
        let h = Hlc {
            ms: 1_700_000_000_123,
            n: 4,
        };
        assert_eq!(Hlc::decode(&h.encode()), Some(h));
        assert_eq!(Hlc::decode("x"), None);
    }
}
