//! A probe for the machine's own slow spells, run beside a latency measurement.
//!
//! A thread wakes every millisecond and times a fixed piece of CPU work (about 20 µs).
//! When the same work takes several times its median, the CPU itself was slow at that
//! moment, whatever the code under test was doing. The benchmark reports its latency
//! tail both over every message and over the messages that no such spell touched
//! (`docs/PERFORMANCE.md`).

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A piece of work counts as slow at this multiple of the median.
const SLOW_FACTOR: u32 = 4;
/// Slow pieces closer together than this belong to one spell.
const MERGE_GAP: Duration = Duration::from_micros(2_500);
/// At most this many samples are kept (about 10 minutes at one a millisecond).
const MAX_SAMPLES: usize = 600_000;

/// The probe while it runs.
#[derive(Debug)]
pub struct StallProbe {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<(Instant, Duration)>>,
    started: Instant,
}

/// What the probe saw.
#[derive(Debug)]
pub struct Stalls {
    /// The spells, start and end, in time order.
    pub windows: Vec<(Instant, Instant)>,
    /// The median time of the probe's piece of work.
    pub median: Duration,
    /// How long the probe ran.
    pub span: Duration,
    /// Times the probe itself could not run for over `LATE` past its wake-up time.
    pub late: Vec<(Instant, Duration)>,
}

/// The probe counts itself late when a piece of work starts this long after the last.
const LATE: Duration = Duration::from_millis(5);

fn work(rounds: u64) -> u64 {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    for i in 0..black_box(rounds) {
        x = x.rotate_left(7) ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d);
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
    }
    x
}

/// Rounds of `work` that take about `target` at the machine's best speed: the fastest of
/// several timings, so that a slow spell during calibration does not shrink the work.
fn calibrate(target: Duration) -> u64 {
    const TRIAL: u64 = 100_000;
    let best = (0..20)
        .map(|_| {
            let t = Instant::now();
            black_box(work(TRIAL));
            t.elapsed()
        })
        .min()
        .unwrap_or(Duration::from_micros(100));
    let per_round = best.as_secs_f64() / TRIAL as f64;
    ((target.as_secs_f64() / per_round.max(1e-12)) as u64).max(1)
}

impl StallProbe {
    /// Starts the probe thread.
    pub fn start() -> std::io::Result<Self> {
        let rounds = calibrate(Duration::from_micros(20));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("stall-probe".into())
            .spawn(move || {
                let mut samples = Vec::with_capacity(64 * 1024);
                while !flag.load(Ordering::Relaxed) && samples.len() < MAX_SAMPLES {
                    std::thread::sleep(Duration::from_millis(1));
                    let t = Instant::now();
                    black_box(work(rounds));
                    samples.push((t, t.elapsed()));
                }
                samples
            })?;
        Ok(Self {
            stop,
            thread,
            started: Instant::now(),
        })
    }

    /// Stops the probe and returns its spells.
    pub fn finish(self) -> Stalls {
        self.stop.store(true, Ordering::Relaxed);
        let span = self.started.elapsed();
        let samples = self.thread.join().unwrap_or_default();
        Stalls::from_samples(&samples, span)
    }
}

impl Stalls {
    /// Spells from timed pieces of work: pieces slower than `SLOW_FACTOR` × the median,
    /// merged when they follow each other closely.
    pub fn from_samples(samples: &[(Instant, Duration)], span: Duration) -> Self {
        let mut took: Vec<Duration> = samples.iter().map(|s| s.1).collect();
        took.sort_unstable();
        let median = took.get(took.len() / 2).copied().unwrap_or_default();
        let mut windows: Vec<(Instant, Instant)> = Vec::new();
        for &(at, d) in samples {
            if median.is_zero() || d <= median * SLOW_FACTOR {
                continue;
            }
            let end = at + d;
            match windows.last_mut() {
                Some(last) if at <= last.1 + MERGE_GAP => last.1 = last.1.max(end),
                _ => windows.push((at, end)),
            }
        }
        let late = samples
            .windows(2)
            .filter_map(|w| {
                let gap = w[1].0 - w[0].0;
                (gap > LATE).then_some((w[0].0, gap))
            })
            .collect();
        Self {
            late,
            windows,
            median,
            span,
        }
    }

    /// The share of the probe's run spent in spells.
    pub fn fraction(&self) -> f64 {
        let slow: Duration = self.windows.iter().map(|(a, b)| *b - *a).sum();
        slow.as_secs_f64() / self.span.as_secs_f64().max(1e-9)
    }

    /// The longest spell.
    pub fn longest(&self) -> Duration {
        self.windows
            .iter()
            .map(|(a, b)| *b - *a)
            .max()
            .unwrap_or_default()
    }

    /// Which of `flights` (send and arrival, in send order) a spell touched: those that
    /// cross a spell, and those sent while an earlier touched flight was still under way,
    /// which queued behind the work that the spell held up.
    pub fn touched(&self, flights: &[(Instant, Instant)]) -> Vec<bool> {
        let mut busy_until: Option<Instant> = None;
        flights
            .iter()
            .map(|&(sent, arrived)| {
                let hit = self.overlaps(sent, arrived) || busy_until.is_some_and(|b| sent < b);
                if hit {
                    busy_until = Some(busy_until.map_or(arrived, |b| b.max(arrived)));
                }
                hit
            })
            .collect()
    }

    /// Whether the interval `from..=to` meets a spell.
    pub fn overlaps(&self, from: Instant, to: Instant) -> bool {
        // Windows are in time order: the first that ends at or after `from` decides.
        let i = self.windows.partition_point(|w| w.1 < from);
        self.windows.get(i).is_some_and(|w| w.0 <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_pieces_close_together_make_one_spell_and_flights_are_judged_against_it() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let us = Duration::from_micros;
        // 1 ms apart, 20 µs each, but three slow ones (in a row) and one alone later.
        let mut samples: Vec<(Instant, Duration)> =
            (0..100).map(|i| (t0 + ms(i), us(20))).collect();
        samples[10].1 = us(200);
        samples[11].1 = us(300);
        samples[12].1 = us(250);
        samples[50].1 = us(100);
        samples[70].1 = us(80); // exactly 4 × the median: not slow
        let s = Stalls::from_samples(&samples, ms(100));
        assert_eq!(s.median, us(20));
        assert_eq!(s.windows.len(), 2, "{:?}", s.windows);
        assert_eq!(s.windows[0], (t0 + ms(10), t0 + ms(12) + us(250)));
        assert_eq!(s.windows[1], (t0 + ms(50), t0 + ms(50) + us(100)));
        let slow = (ms(2) + us(250) + us(100)).as_secs_f64() / 0.1;
        assert!((s.fraction() - slow).abs() < 1e-9);
        assert_eq!(s.longest(), ms(2) + us(250));
        // A flight that ends before, starts after, or spans a spell.
        assert!(!s.overlaps(t0 + ms(1), t0 + ms(9)));
        assert!(!s.overlaps(t0 + ms(13), t0 + ms(49)));
        assert!(s.overlaps(t0 + ms(9), t0 + ms(10)));
        assert!(s.overlaps(t0 + ms(11), t0 + ms(11)));
        assert!(s.overlaps(t0 + ms(40), t0 + ms(60)));
        assert!(!s.overlaps(t0 + ms(51), t0 + ms(99)));
    }

    #[test]
    fn flights_queued_behind_a_spell_count_as_touched_until_the_queue_has_drained() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let samples: Vec<(Instant, Duration)> = (0..100)
            .map(|i| {
                (
                    t0 + ms(i),
                    if i == 20 {
                        ms(10)
                    } else {
                        ms(0) + Duration::from_micros(20)
                    },
                )
            })
            .collect();
        let s = Stalls::from_samples(&samples, ms(100));
        assert_eq!(s.windows, vec![(t0 + ms(20), t0 + ms(30))]);
        let flights = vec![
            (t0 + ms(10), t0 + ms(12)), // before the spell
            (t0 + ms(25), t0 + ms(40)), // crosses it
            (t0 + ms(32), t0 + ms(41)), // after it, but queued behind the one before
            (t0 + ms(40), t0 + ms(45)), // still behind the one before (until 41 ms)
            (t0 + ms(50), t0 + ms(60)), // slow, but nothing before it was held up
        ];
        assert_eq!(s.touched(&flights), vec![false, true, true, true, false]);
    }

    #[test]
    fn a_probe_kept_from_running_says_so() {
        let t0 = Instant::now();
        let us = Duration::from_micros;
        let samples = vec![
            (t0, us(20)),
            (t0 + us(1_000), us(20)),
            (t0 + us(9_000), us(20)),
            (t0 + us(10_000), us(20)),
        ];
        let s = Stalls::from_samples(&samples, us(10_020));
        assert_eq!(s.late, vec![(t0 + us(1_000), us(8_000))]);
        assert!(s.windows.is_empty());
    }

    #[test]
    fn a_quiet_run_has_no_spells() {
        let t0 = Instant::now();
        let samples: Vec<(Instant, Duration)> = (0..50)
            .map(|i| {
                (
                    t0 + Duration::from_millis(i),
                    Duration::from_micros(20 + i % 3),
                )
            })
            .collect();
        let s = Stalls::from_samples(&samples, Duration::from_millis(50));
        assert!(s.windows.is_empty());
        assert!(s.late.is_empty());
        assert_eq!(s.fraction(), 0.0);
        assert!(!s.overlaps(t0, t0 + Duration::from_millis(50)));
    }
}
