//! A seeded synthetic history: state events, counts and orders for N work centers over
//! D days of a three-shift calendar (Mon–Fri, one 30-minute break per shift, Europe/Berlin,
//! starting Monday 2026-03-02 so a 30-day history crosses the spring DST change).
//!
//! Same arguments, same history, on every platform: the generator uses its own small PRNG
//! (splitmix64), not a crate whose algorithm may change.

use crate::calendar::ShiftPlan;
use crate::downtime::{ReasonNode, ReasonTree, StopCategory};
use crate::oee::{CountEvent, OrderEvent};
use crate::timeline::StateEvent;
use crate::{Interval, TimestampMs};
use chrono::NaiveTime;
use takt_model::shift::{Day, ShiftBreak, ShiftPattern};
use takt_model::{CounterKind, EquipmentPath, Product, ShiftCalendar, StateKind};

const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;
/// 2026-03-02T00:00:00Z, a Monday.
const START: TimestampMs = 1_772_409_600_000;

/// The history of one work center.
#[derive(Debug, Clone)]
pub struct GeneratedWorkCenter {
    pub path: EquipmentPath,
    pub states: Vec<StateEvent>,
    pub counts: Vec<CountEvent>,
    pub orders: Vec<OrderEvent>,
}

#[derive(Debug, Clone)]
pub struct GeneratedHistory {
    pub range: Interval,
    pub calendar: ShiftCalendar,
    pub products: Vec<Product>,
    pub reasons: ReasonTree,
    pub work_centers: Vec<GeneratedWorkCenter>,
}

/// A small reason tree covering the three stop categories.
pub fn demo_reason_tree() -> ReasonTree {
    let n = ReasonNode::new;
    ReasonTree {
        roots: vec![
            n("mech", "Mechanical", Some(StopCategory::Breakdown))
                .with(vec![n("jam", "Jam", None), n("motor", "Motor", None)]),
            n("elec", "Electrical", Some(StopCategory::Breakdown))
                .with(vec![n("sensor", "Sensor", None), n("drive", "Drive", None)]),
            n("setup", "Setup", Some(StopCategory::Setup)).with(vec![n(
                "adjust",
                "Adjustment",
                None,
            )]),
            n("minor", "Minor stop", Some(StopCategory::MicroStop)).with(vec![n(
                "blip",
                "Sensor blip",
                None,
            )]),
        ],
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo).max(1) as u64) as i64
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

/// Generates `work_centers` × `days` of history (see the module docs).
pub fn generate_history(work_centers: usize, days: u32, seed: u64) -> GeneratedHistory {
    let weekdays = vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri];
    // One 30-minute break in the middle of each shift.
    let shift = |name: &str, s, e, brk: u32| ShiftPattern {
        name: name.into(),
        start: s,
        end: e,
        days: weekdays.clone(),
        breaks: vec![ShiftBreak {
            name: "break".into(),
            start: hm(brk, 0),
            end: hm(brk, 30),
        }],
    };
    let calendar = ShiftCalendar {
        timezone: "Europe/Berlin".into(),
        shifts: vec![
            shift("early", hm(6, 0), hm(14, 0), 10),
            shift("late", hm(14, 0), hm(22, 0), 18),
            shift("night", hm(22, 0), hm(6, 0), 2),
        ],
        holidays: vec![],
    };
    let products: Vec<Product> = [("P-20", 20), ("P-30", 30), ("P-45", 45), ("P-60", 60)]
        .into_iter()
        .map(|(code, s)| Product {
            code: code.into(),
            name: code.into(),
            ideal_cycle_ms: s * 1_000,
        })
        .collect();
    let range = Interval::new(START, START + i64::from(days) * 24 * 60 * MIN);
    let windows = ShiftPlan::from_calendar(&calendar, range)
        .map(|p| p.planned_time().windows().to_vec())
        .unwrap_or_default();
    let reasons = demo_reason_tree();
    let wcs = (0..work_centers)
        .map(|i| {
            let mut rng = Rng(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
            simulate(i, &windows, range, &products, &mut rng)
        })
        .collect();
    GeneratedHistory {
        range,
        calendar,
        products,
        reasons,
        work_centers: wcs,
    }
}

fn simulate(
    index: usize,
    windows: &[Interval],
    range: Interval,
    products: &[Product],
    rng: &mut Rng,
) -> GeneratedWorkCenter {
    let path = EquipmentPath::parse(&format!(
        "acme/plant/area{}/line{}/wc{index}",
        index / 25,
        index / 5
    ))
    .unwrap_or_else(|_| EquipmentPath::parse("acme").expect("valid literal path"));
    let mut states = vec![StateEvent::new(range.start, StateKind::Idle, None)];
    let mut counts = Vec::new();
    let mut orders = Vec::new();
    let speed = 0.80 + 0.18 * rng.unit();
    let mut product = rng.between(0, products.len() as i64) as usize;
    let mut order_no = 0;
    let mut new_order = |at: TimestampMs, product: usize, orders: &mut Vec<OrderEvent>| {
        order_no += 1;
        let order = format!("WO-{index}-{order_no}");
        orders.push(OrderEvent {
            at,
            order: Some(order.clone()),
            product: Some(products[product].code.clone()),
        });
        order
    };
    let mut order = new_order(range.start, product, &mut orders);
    let mut last_start = range.start;
    for w in windows.iter().filter(|w| w.start < range.end) {
        let end = w.end.min(range.end);
        let mut t = w.start.max(range.start);
        last_start = last_start.max(t);
        while t < end {
            // Run, counting in 5-minute chunks.
            let run_end = (t + rng.between(2 * MIN, 40 * MIN)).min(end);
            states.push(StateEvent::new(t, StateKind::Running, None));
            let cycle = f64::from(products[product].ideal_cycle_ms) / speed;
            let mut made = 0.0f64;
            let mut a = t;
            while a < run_end {
                let b = (a + 5 * MIN).min(run_end);
                made += (b - a) as f64 / cycle;
                let parts = made.floor() as u64;
                made -= parts as f64;
                let scrap_rate = if a < last_start + 10 * MIN {
                    0.15
                } else {
                    0.02
                };
                let scrap = (parts as f64 * scrap_rate + rng.unit()).floor() as u64;
                let scrap = scrap.min(parts);
                let at = b - 1;
                for (kind, n) in [
                    (CounterKind::Good, parts - scrap),
                    (CounterKind::Scrap, scrap),
                ] {
                    if n > 0 {
                        counts.push(CountEvent {
                            at,
                            kind,
                            parts: n,
                            product: Some(products[product].code.clone()),
                            order: Some(order.clone()),
                        });
                    }
                }
                a = b;
            }
            t = run_end;
            if t >= end {
                break;
            }
            let r = rng.unit();
            let (kind, reason, len): (StateKind, Option<&str>, i64) = if r < 0.6 {
                let kinds = [StateKind::Down, StateKind::Blocked, StateKind::Starved];
                let k = kinds[rng.between(0, 3) as usize];
                let reason = (k == StateKind::Down && rng.unit() < 0.5).then_some("minor/blip");
                (k, reason, rng.between(10 * SEC, 110 * SEC))
            } else if r < 0.8 {
                let reasons = ["mech/jam", "mech/motor", "elec/sensor", "elec/drive"];
                let reason = reasons[rng.between(0, 4) as usize];
                (
                    StateKind::Down,
                    Some(reason),
                    rng.between(5 * MIN, 40 * MIN),
                )
            } else if r < 0.9 {
                product = rng.between(0, products.len() as i64) as usize;
                order = new_order(t, product, &mut orders);
                (StateKind::Changeover, None, rng.between(10 * MIN, 25 * MIN))
            } else {
                let k = if rng.unit() < 0.5 {
                    StateKind::Starved
                } else {
                    StateKind::Idle
                };
                (k, None, rng.between(3 * MIN, 12 * MIN))
            };
            states.push(StateEvent::new(t, kind, reason));
            t = (t + len).min(end);
            if kind == StateKind::Changeover {
                last_start = t;
            }
        }
        states.push(StateEvent::new(end, StateKind::Idle, None));
    }
    GeneratedWorkCenter {
        path,
        states,
        counts,
        orders,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_history() {
        let a = generate_history(3, 2, 7);
        let b = generate_history(3, 2, 7);
        let c = generate_history(3, 2, 8);
        assert!(a.reasons.validate().is_ok());
        assert_eq!(a.work_centers[2].states, b.work_centers[2].states);
        assert_eq!(a.work_centers[2].counts, b.work_centers[2].counts);
        assert_ne!(a.work_centers[2].states, c.work_centers[2].states);
        assert!(
            a.work_centers
                .iter()
                .all(|w| w.states.len() > 50 && !w.counts.is_empty())
        );
        // Every reason the generator uses is in the tree.
        for w in &a.work_centers {
            for s in &w.states {
                if let Some(r) = &s.reason {
                    assert!(a.reasons.contains(r), "{r}");
                }
            }
        }
    }
}
