//! A seeded generator of realistic plant instances, to size benchmarks and to feed property tests.
//!
//! The plant: production lines of 3–5 stages (e.g. mix → form → cure → pack), each stage with one to three
//! parallel work centers at different rates; some stages can also run on the sister line's work center, slower
//! (alternative resources). Products belong to a line and to a colour family; changeovers are short within a
//! family and long across. Three calendars (three shifts on weekdays, two shifts on weekdays, and around the
//! clock) with breaks and one public holiday; preventive maintenance every two weeks per work center. Orders
//! carry quantities, release and due dates with varied slack, and priority weights; a few operations are
//! running at "now" and about 1 % are pinned where the earliest-due-date schedule puts them.

use crate::plant::input::*;
use crate::plant::plan::Plan;
use crate::rng::Rng;

/// Shape of a generated plant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneratorConfig {
    pub operations: usize,
    pub seed: u64,
    /// Share of operations pinned at their initial start.
    pub pinned_share: f64,
    /// Due-date tightness: larger is looser (2.5 gives a mix of on-time and late orders under EDD).
    pub slack: f64,
}

impl GeneratorConfig {
    pub fn new(operations: usize, seed: u64) -> Self {
        Self {
            operations,
            seed,
            pinned_share: 0.01,
            slack: 2.5,
        }
    }
}

/// Monday 2026-11-30 00:00 UTC: the generated plans' week start; "now" is 06:00 that day.
const EPOCH_MONDAY: Time = 1_795_996_800_000;
const DAY: Millis = 24 * HOUR_MS;
const WEEK: Millis = 7 * DAY;

struct Stage {
    work_centers: Vec<(String, f64)>,
    may_pause: bool,
}

pub fn generate(config: &GeneratorConfig) -> PlanInput {
    let mut rng = Rng::new(config.seed);
    let n_ops = config.operations.max(1);
    let n_lines = (n_ops / 700).clamp(2, 60);
    let now = EPOCH_MONDAY + 6 * HOUR_MS;

    // Lines, stages and work centers.
    let calendar_ids = ["three-shift", "two-shift", "round-the-clock"];
    let mut work_centers = Vec::new();
    let mut lines: Vec<Vec<Stage>> = Vec::new();
    for l in 0..n_lines {
        let stages = 3 + rng.below(3);
        let calendar = calendar_ids[if l % 5 == 4 { 2 } else { rng.below(2) }];
        let mut line = Vec::new();
        for s in 0..stages {
            let parallel = 1 + rng.below(3);
            let mut wcs = Vec::new();
            for k in 0..parallel {
                let id = format!("L{:02}-S{}-{}", l + 1, s + 1, (b'A' + k as u8) as char);
                let rate = rng.range(400.0, 1200.0);
                work_centers.push(WorkCenterInput {
                    id: id.clone(),
                    name: format!(
                        "Line {} stage {} {}",
                        l + 1,
                        s + 1,
                        (b'A' + k as u8) as char
                    ),
                    calendar: calendar.to_owned(),
                    default_changeover_ms: 45 * MINUTE_MS,
                    initial_product: None,
                });
                wcs.push((id, rate));
            }
            // Curing and similar stages cannot stop half-way.
            line.push(Stage {
                work_centers: wcs,
                may_pause: s != 1 || rng.unit() < 0.5,
            });
        }
        lines.push(line);
    }

    // Products: five per line, in colour families of two or three.
    let mut products = Vec::new();
    let mut product_line = Vec::new();
    let mut family = Vec::new();
    for l in 0..n_lines {
        for k in 0..5 {
            products.push(ProductInput {
                id: format!("P{:02}{}", l + 1, k + 1),
                name: format!("Product {}-{}", l + 1, k + 1),
            });
            product_line.push(l);
            family.push(k / 2);
        }
    }
    let mut changeovers = Vec::new();
    for (l, line) in lines.iter().enumerate() {
        for stage in line {
            for (wc, _) in &stage.work_centers {
                for a in 0..5 {
                    for b in 0..5 {
                        if a == b {
                            continue;
                        }
                        let (pa, pb) = (l * 5 + a, l * 5 + b);
                        let minutes = if family[pa] == family[pb] {
                            rng.range(10.0, 30.0)
                        } else {
                            rng.range(45.0, 120.0)
                        };
                        changeovers.push(ChangeoverInput {
                            work_center: wc.clone(),
                            from_product: products[pa].id.clone(),
                            to_product: products[pb].id.clone(),
                            duration_ms: (minutes as Millis) * MINUTE_MS,
                        });
                    }
                }
            }
        }
    }

    // Orders until the operation budget is used.
    let mut orders = Vec::new();
    let mut operations = Vec::new();
    // Hours of work per line and stage at the stage's combined rate: the bottleneck sets the plan's span.
    let mut stage_load: Vec<Vec<f64>> = lines.iter().map(|l| vec![0.0; l.len()]).collect();
    while operations.len() < n_ops {
        let o = orders.len();
        let l = rng.below(n_lines);
        let product = l * 5 + rng.below(5);
        let quantity = (rng.range(300.0, 4000.0) / 50.0).round() * 50.0;
        let order_id = format!("WO-{:05}", o + 1);
        let stages = &lines[l];
        let steps = stages.len().min(n_ops - operations.len());
        let mut processing = 0.0;
        let mut previous: Option<String> = None;
        for (s, stage) in stages.iter().take(steps).enumerate() {
            let mut alternatives: Vec<AlternativeInput> = stage
                .work_centers
                .iter()
                .map(|(wc, rate)| {
                    if stage.may_pause {
                        AlternativeInput {
                            work_center: wc.clone(),
                            rate_per_hour: Some(*rate),
                            duration_ms: None,
                            setup_ms: 15 * MINUTE_MS,
                        }
                    } else {
                        // A batch (curing, annealing) that cannot stop: a fixed duration that fits a shift half.
                        AlternativeInput {
                            work_center: wc.clone(),
                            rate_per_hour: None,
                            duration_ms: Some(HOUR_MS + (quantity / rate * 600_000.0) as Millis),
                            setup_ms: 0,
                        }
                    }
                })
                .collect();
            // The sister line's same stage, if it has one, at 70 % of the rate.
            let sister = (l + 1) % n_lines;
            if sister != l
                && rng.unit() < 0.3
                && let Some(other) = lines[sister].get(s)
            {
                let (wc, rate) = &other.work_centers[0];
                alternatives.push(AlternativeInput {
                    work_center: wc.clone(),
                    rate_per_hour: Some(rate * 0.7),
                    duration_ms: None,
                    setup_ms: 30 * MINUTE_MS,
                });
            }
            let mean_rate = stage.work_centers.iter().map(|w| w.1).sum::<f64>()
                / stage.work_centers.len() as f64;
            processing += quantity / mean_rate;
            let combined_rate: f64 = stage.work_centers.iter().map(|w| w.1).sum();
            stage_load[l][s] += quantity / combined_rate + 0.5;
            let id = format!("{order_id}/{}", (s + 1) * 10);
            operations.push(OperationInput {
                id: id.clone(),
                order: order_id.clone(),
                predecessors: previous.iter().cloned().collect(),
                alternatives,
                may_pause: stage.may_pause,
                assigned: None,
                pinned_start: None,
                not_before: None,
                in_progress: None,
            });
            previous = Some(id);
        }
        let release_offset = if rng.unit() < 0.6 {
            0.0
        } else {
            rng.range(0.0, 1.0)
        };
        orders.push((order_id, product, quantity, l, release_offset, processing));
    }

    // Horizon: enough weeks for the busiest stage's work at two shifts (75 h a week), with a margin.
    let busiest_h = stage_load.iter().flatten().cloned().fold(0.0, f64::max);
    let span_weeks = ((busiest_h / 75.0).ceil() as i64).max(1);
    let calendar_weeks = span_weeks * 3 + 4;
    let holiday =
        EPOCH_MONDAY + (1 + rng.below(span_weeks.max(1) as usize) as i64) * WEEK + 2 * DAY;
    let calendars = vec![
        calendar(
            "three-shift",
            calendar_weeks,
            5,
            &[(6, 14), (14, 22), (22, 30)],
            holiday,
        ),
        calendar(
            "two-shift",
            calendar_weeks,
            5,
            &[(6, 14), (14, 22)],
            holiday,
        ),
        calendar(
            "round-the-clock",
            calendar_weeks,
            7,
            &[(6, 14), (14, 22), (22, 30)],
            i64::MIN,
        ),
    ];

    let span_ms = span_weeks * WEEK;
    let order_inputs: Vec<OrderInput> = orders
        .iter()
        .map(
            |(id, product, quantity, _line, release_offset, processing_h)| {
                let release = now + (release_offset * span_ms as f64 * 0.5) as Millis;
                let lead = processing_h * config.slack * rng.range(0.6, 1.6) * HOUR_MS as f64
                    + rng.range(0.0, 0.8) * span_ms as f64;
                let r = rng.unit();
                OrderInput {
                    id: id.clone(),
                    product: products[*product].id.clone(),
                    quantity: *quantity,
                    release,
                    due: release + lead as Millis,
                    weight: if r < 0.7 {
                        1.0
                    } else if r < 0.9 {
                        2.0
                    } else {
                        5.0
                    },
                }
            },
        )
        .collect();

    // Preventive maintenance: every other week per work center, 4–8 h on a weekday morning.
    let mut downtimes = Vec::new();
    for (k, wc) in work_centers.iter().enumerate() {
        let mut week = (k % 2) as i64;
        while week < span_weeks + 1 {
            let day = rng.below(5) as i64;
            let start = EPOCH_MONDAY + week * WEEK + day * DAY + 7 * HOUR_MS;
            let hours = 4 + rng.below(5) as i64;
            downtimes.push(Downtime {
                id: downtimes.len() as u32 + 1,
                work_center: wc.id.clone(),
                kind: DowntimeKind::Maintenance,
                interval: Interval::new(start, start + hours * HOUR_MS),
                note: "preventive maintenance".to_owned(),
            });
            week += 2;
        }
    }

    let mut input = PlanInput {
        now,
        calendars,
        work_centers,
        products,
        changeovers,
        orders: order_inputs,
        operations,
        sequences: Vec::new(),
        extra_shifts: Vec::new(),
        downtimes,
    };

    // A few first operations are running: started an hour ago, half done.
    let mut running_on = std::collections::HashSet::new();
    let target_running = (n_lines * 2).min(input.orders.len() / 4);
    for o in 0..input.orders.len() {
        if running_on.len() >= target_running {
            break;
        }
        let first = input
            .operations
            .iter()
            .position(|op| op.order == input.orders[o].id && op.predecessors.is_empty());
        let Some(i) = first else { continue };
        let wc = input.operations[i].alternatives[0].work_center.clone();
        if input.orders[o].release <= now && running_on.insert(wc.clone()) {
            input.operations[i].assigned = Some(wc);
            input.operations[i].in_progress = Some(InProgress {
                started: now - HOUR_MS,
                remaining_quantity: input.orders[o].quantity * 0.5,
            });
        }
    }

    // Pins: where the earliest-due-date schedule puts them, so the instance is feasible by construction.
    if config.pinned_share > 0.0
        && let Ok(plan) = Plan::from_input(&input)
    {
        let saved = plan.to_input(&input);
        input.sequences = saved.sequences;
        for (i, op) in input.operations.iter_mut().enumerate() {
            op.assigned = saved.operations[i].assigned.clone();
            if op.in_progress.is_none() && rng.unit() < config.pinned_share {
                op.pinned_start = Some(plan.timing(i as u32).start);
            }
        }
    }
    input
}

/// Weekly shifts `(start_hour, end_hour)` (end may pass midnight) on the first `days` days of each week, each
/// with a 30-minute break in its middle; the day starting at `holiday` is off.
fn calendar(
    id: &str,
    weeks: i64,
    days: i64,
    shifts: &[(i64, i64)],
    holiday: Time,
) -> CalendarInput {
    let mut working = Vec::new();
    for w in 0..weeks {
        for d in 0..days {
            let day = EPOCH_MONDAY + w * WEEK + d * DAY;
            if day == holiday {
                continue;
            }
            for &(from, to) in shifts {
                let start = day + from * HOUR_MS;
                let end = day + to * HOUR_MS;
                let middle = start + (end - start) / 2;
                working.push(Interval::new(start, middle - 15 * MINUTE_MS));
                working.push(Interval::new(middle + 15 * MINUTE_MS, end));
            }
        }
    }
    CalendarInput {
        id: id.to_owned(),
        working,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_the_requested_size_deterministically() {
        let a = generate(&GeneratorConfig::new(1000, 7));
        let b = generate(&GeneratorConfig::new(1000, 7));
        assert_eq!(a, b);
        assert_eq!(a.operations.len(), 1000);
        let plan = Plan::from_input(&a).expect("a generated plan loads");
        let kpis = plan.kpis();
        assert!(
            kpis.late_orders > 0 && kpis.on_time_orders > 0,
            "{} late, {} on time",
            kpis.late_orders,
            kpis.on_time_orders
        );
        assert_eq!(kpis.beyond_calendar, 0);
        assert!(a.operations.iter().any(|o| o.pinned_start.is_some()));
        assert!(a.operations.iter().any(|o| o.in_progress.is_some()));
        assert!(a.operations.iter().any(|o| o.alternatives.len() > 1));
        assert_ne!(generate(&GeneratorConfig::new(1000, 8)), a);
    }
}
