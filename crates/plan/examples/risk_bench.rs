//! Times Monte Carlo risk on a generated 5,000-operation plan:
//! `cargo run --release -p takt-plan --example risk_bench [-- replications operations]`.

use std::time::Instant;

use takt_plan::plant::generate::{GeneratorConfig, generate};
use takt_plan::plant::input::HOUR_MS;
use takt_plan::plant::{FailureSpec, Plan, RiskConfig, simulate};

fn main() {
    let mut args = std::env::args().skip(1);
    let replications: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let operations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5000);

    let started = Instant::now();
    let plan = Plan::from_input(&generate(&GeneratorConfig::new(operations, 1))).expect("plan");
    let p = plan.problem();
    // The failure events a replication draws grow with the horizon: about horizon / MTBF per work center.
    let horizon_h = (plan.plan_end() - p.now) as f64 / HOUR_MS as f64;
    println!(
        "plan: {} operations, {} orders, {} work centers, horizon {:.0} h (generated and loaded in {:.0} ms)",
        p.operations.len(),
        p.orders.len(),
        p.work_centers.len(),
        horizon_h,
        started.elapsed().as_secs_f64() * 1e3
    );
    let config = RiskConfig {
        replications,
        seed: 1,
        models: Vec::new(),
        default_model: Some(FailureSpec::from_means(
            80.0 * HOUR_MS as f64,
            1.5,
            3.0 * HOUR_MS as f64,
            0.5,
        )),
    };
    for threads in [2, 1] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        // One warm-up run, then the best and median of five.
        pool.install(|| simulate(&plan, &config))
            .expect("simulates");
        let mut times = Vec::new();
        let mut report = None;
        for _ in 0..5 {
            let t = Instant::now();
            report = Some(
                pool.install(|| simulate(&plan, &config))
                    .expect("simulates"),
            );
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let (best, median) = (times[0], times[2]);
        let r = report.expect("ran");
        println!(
            "{threads} thread(s): {replications} replications in {median:.0} ms median, {best:.0} ms best \
             ({:.0} replications/s); weighted tardiness planned {:.0} h, mean {:.0} h, P90 {:.0} h; \
             expected on-time orders {:.1} of {}",
            replications as f64 / (median / 1e3),
            r.planned_weighted_tardiness_h,
            r.tardiness.mean_h,
            r.tardiness.p90_h,
            r.expected_on_time_orders(),
            r.orders.len()
        );
    }
}
