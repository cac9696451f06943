//! The memory of this process over time: VmRSS sampled on a thread of its own, and what the samples say
//! about growth (for `takt bench birth-storm`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Resident and peak resident memory of this process in bytes (Linux /proc; None elsewhere).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss: u64,
    pub hwm: u64,
}

pub fn memory() -> Option<Memory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some(Memory {
        rss: field("VmRSS:")?,
        hwm: field("VmHWM:")?,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub rss: u64,
    /// Births processed when the sample was taken.
    pub processed: u64,
}

/// Samples VmRSS every 100 ms on a thread of its own, so a busy runtime cannot skip samples.
pub struct Sampler {
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    pub fn start(processed: Arc<AtomicU64>) -> Sampler {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (out, done) = (samples.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Some(m) = memory() {
                    let sample = Sample {
                        rss: m.rss,
                        processed: processed.load(Ordering::Relaxed),
                    };
                    out.lock().unwrap_or_else(|e| e.into_inner()).push(sample);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Sampler {
            samples,
            stop,
            thread,
        }
    }

    pub fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        std::mem::take(&mut *self.samples.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// What the samples say about growth once the storm is under way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Growth {
    /// RSS at the first sample with `from` births processed.
    pub at_from: u64,
    pub peak: u64,
    /// Least-squares slope of RSS over births processed, from birth `from` on (bytes per birth).
    pub slope: f64,
}

pub fn growth(samples: &[Sample], from: u64) -> Option<Growth> {
    let after: Vec<&Sample> = samples.iter().filter(|s| s.processed >= from).collect();
    let first = after.first()?;
    let peak = samples.iter().map(|s| s.rss).max()?;
    let n = after.len() as f64;
    let mean_x = after.iter().map(|s| s.processed as f64).sum::<f64>() / n;
    let mean_y = after.iter().map(|s| s.rss as f64).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for s in &after {
        let dx = s.processed as f64 - mean_x;
        sxy += dx * (s.rss as f64 - mean_y);
        sxx += dx * dx;
    }
    Some(Growth {
        at_from: first.rss,
        peak,
        slope: if sxx > 0.0 { sxy / sxx } else { 0.0 },
    })
}

/// Peak RSS over births `from..mid` and `mid..=to` (`mid` halfway): a second half far above the first is a
/// growth trend.
pub fn halves(samples: &[Sample], from: u64, to: u64) -> Option<(u64, u64)> {
    let mid = from + (to.checked_sub(from)? / 2);
    let peak = |range: std::ops::RangeInclusive<u64>| {
        samples
            .iter()
            .filter(|s| range.contains(&s.processed))
            .map(|s| s.rss)
            .max()
    };
    Some((peak(from..=mid.checked_sub(1)?)?, peak(mid..=to)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_measured_from_the_birth_asked() {
        let sample = |processed, mb: u64| Sample {
            rss: mb * 1_000_000,
            processed,
        };
        // Up to birth 20 memory grows; then it stays flat.
        let mut samples: Vec<Sample> = (0..20).map(|b| sample(b, 100 + b * 10)).collect();
        samples.extend((20..200).map(|b| sample(b, 300 + b % 2)));
        let g = growth(&samples, 20).expect("samples after birth 20");
        assert_eq!(g.at_from, 300_000_000);
        assert_eq!(g.peak, 301_000_000);
        assert!(g.slope.abs() < 10_000.0, "flat: {}", g.slope);
        // Growing by 1 MB per birth reads as 1 MB per birth.
        let rising: Vec<Sample> = (0..100).map(|b| sample(b, 100 + b)).collect();
        let g = growth(&rising, 20).expect("samples");
        assert!((g.slope - 1_000_000.0).abs() < 1.0, "{}", g.slope);
        assert!(growth(&rising, 500).is_none());
    }

    #[test]
    fn halves_split_the_storm_after_the_warm_up() {
        let samples: Vec<Sample> = (0..=100)
            .map(|b| Sample {
                rss: 1_000 + b,
                processed: b,
            })
            .collect();
        assert_eq!(halves(&samples, 40, 100), Some((1_069, 1_100)));
        assert_eq!(halves(&samples, 100, 100), None, "no first half");
        assert_eq!(halves(&samples, 120, 100), None);
    }
}
