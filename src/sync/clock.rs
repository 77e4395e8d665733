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
    /// The clock for a new local event, given the wall clock now and the last clock issued.
    pub fn tick(last: Hlc, now_ms: u64) -> Hlc {
        if now_ms > last.ms {
            Hlc { ms: now_ms, n: 0 }
        } else {
            Hlc {
                ms: last.ms,
                n: last.n.saturating_add(1),
            }
        }
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
    fn encodes_and_decodes() {
        let h = Hlc {
            ms: 1_700_000_000_123,
            n: 4,
        };
        assert_eq!(Hlc::decode(&h.encode()), Some(h));
        assert_eq!(Hlc::decode("x"), None);
    }
}
