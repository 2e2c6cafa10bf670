//! The clock, injected so that tests and the audit trail's golden vectors control time.

use std::sync::Mutex;

use c981_domain::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system clock; never goes backwards within a process, so audit entries keep their
/// order even if the wall clock is stepped back.
#[derive(Debug, Default)]
pub struct SystemClock {
    last: Mutex<i64>,
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        #[allow(clippy::disallowed_methods)]
        let now = jiff::Timestamp::now().as_microsecond();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        *last = (*last).max(now);
        Timestamp::from_micros(*last)
    }
}

/// A clock that stands still (tests).
#[derive(Debug)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// A clock that moves only when told to (tests of timeouts and expiry).
#[derive(Debug)]
pub struct ManualClock(Mutex<i64>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Mutex::new(start.micros()))
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance(&self, secs: i64) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += secs * 1_000_000;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_micros(*self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
