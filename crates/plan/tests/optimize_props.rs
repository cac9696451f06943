//! Property tests of the plant optimizer on small generated plants: whatever it returns is feasible, no worse
//! than the start, keeps pins, and survives a save/load round trip with the same figures.

use std::sync::atomic::AtomicBool;

use proptest::prelude::*;
use takt_plan::plant::generate::{GeneratorConfig, generate};
use takt_plan::plant::{OptimizeConfig, Plan, check_feasible, optimize};

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn optimized_plans_are_feasible_and_round_trip(
        operations in 20usize..160,
        seed in 0u64..1_000,
        pinned_share in 0.0f64..0.1,
        slack in 0.5f64..3.0,
        iterations in 1u64..300,
    ) {
        let input = generate(&GeneratorConfig { operations, seed, pinned_share, slack });
        let start = Plan::from_input(&input).expect("generated plans load");
        let config = OptimizeConfig {
            time_limit: None,
            max_iterations: Some(iterations),
            seed,
            threads: 1,
            ..OptimizeConfig::default()
        };
        let res = optimize(&start, &config, &AtomicBool::new(false), &|_| {});
        prop_assert!(res.best.objective <= res.initial.objective);
        check_feasible(&res.plan).map_err(TestCaseError::fail)?;

        // Saved and loaded again: same assignment, sequences, timings and figures.
        let saved = res.plan.to_input(&input);
        let loaded = Plan::from_input(&saved).expect("a saved plan loads");
        let n_ops = input.operations.len() as u32;
        let n_wc = input.work_centers.len() as u32;
        for w in 0..n_wc {
            prop_assert_eq!(loaded.sequence(w), res.plan.sequence(w));
        }
        for op in 0..n_ops {
            prop_assert_eq!(loaded.work_center_of(op), res.plan.work_center_of(op));
            prop_assert_eq!(loaded.timing(op), res.plan.timing(op));
            prop_assert_eq!(loaded.pinned_start(op), start.pinned_start(op));
            if start.pinned_start(op).is_some() {
                prop_assert_eq!(loaded.timing(op).start, start.timing(op).start);
            }
        }
        let kpis = loaded.kpis();
        prop_assert!((kpis.weighted_tardiness_h - res.best.weighted_tardiness_h).abs() < 1e-6);
        prop_assert!((kpis.makespan_ms as f64 / 3_600_000.0 - res.best.makespan_h).abs() < 1e-9);
        prop_assert_eq!(kpis.late_orders, res.best.late_orders);
    }
}
