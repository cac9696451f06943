//! A sliding message rate: counts in one-second buckets over the last [`RATE_WINDOW_S`] seconds.

use takt_model::TimestampMs;

/// Whole seconds a rate is averaged over: long enough to be steady, short enough that a topic
/// that went quiet reads 0 soon after.
pub const RATE_WINDOW_S: i64 = 10;

/// One bucket more than the window: the second being counted now takes a slot of its own.
const SLOTS: usize = RATE_WINDOW_S as usize + 1;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RateWindow {
    /// `(second, count)` in slot `second % SLOTS`; a slot holding an older second is stale.
    slots: [(i64, u32); SLOTS],
}

impl RateWindow {
    pub(crate) fn add(&mut self, now_ms: TimestampMs) {
        let second = now_ms.div_euclid(1_000);
        let slot = &mut self.slots[second.rem_euclid(SLOTS as i64) as usize];
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 = slot.1.saturating_add(1);
    }

    /// Messages per second over the whole seconds before `now_ms`. The current second is left
    /// out: counting a part of it would make a steady stream read low.
    pub(crate) fn per_second(&self, now_ms: TimestampMs) -> f64 {
        let current = now_ms.div_euclid(1_000);
        let window = current - RATE_WINDOW_S..current;
        let sum: u64 = self
            .slots
            .iter()
            .filter(|(second, _)| window.contains(second))
            .map(|&(_, count)| u64::from(count))
            .sum();
        sum as f64 / RATE_WINDOW_S as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_stream_reads_its_rate_and_a_silent_one_decays_to_zero() {
        let mut rate = RateWindow::default();
        // 20 messages a second for 30 s, starting at t = 100 s.
        for ms in (100_000..130_000).step_by(50) {
            rate.add(ms);
        }
        assert_eq!(rate.per_second(130_000), 20.0);
        // Half the window silent: half the rate.
        assert_eq!(rate.per_second(135_000), 10.0);
        assert_eq!(rate.per_second(139_999), 2.0);
        assert_eq!(rate.per_second(140_000), 0.0);
        assert_eq!(rate.per_second(1_000_000), 0.0);
    }

    #[test]
    fn the_current_second_and_a_clock_going_back_do_not_count() {
        let mut rate = RateWindow::default();
        rate.add(50_000);
        rate.add(50_900);
        assert_eq!(rate.per_second(50_999), 0.0, "second 50 is not over yet");
        assert_eq!(rate.per_second(51_000), 0.2);
        assert_eq!(rate.per_second(49_000), 0.0);
    }

    #[test]
    fn a_slot_reused_after_the_window_starts_over() {
        let mut rate = RateWindow::default();
        rate.add(1_000);
        // Same slot, SLOTS seconds later.
        rate.add(1_000 + SLOTS as i64 * 1_000);
        assert_eq!(rate.per_second(2_000 + SLOTS as i64 * 1_000), 0.1);
    }
}
