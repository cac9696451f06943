//! Loss Pareto by reason: the few reasons that cause most of the stop time (or stops).

use crate::downtime::StopCategory;
use crate::oee::ReasonLoss;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::BTreeMap;

/// What the Pareto ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ParetoBy {
    Duration,
    Events,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ParetoRow {
    /// The reason code, cut to `depth` levels; `None` for stops without a reason, which are
    /// kept apart per category (an unexplained micro-stop is not an unexplained breakdown).
    pub reason: Option<String>,
    pub category: StopCategory,
    pub duration_ms: i64,
    pub events: u32,
    /// This row's share of the ranked metric, 0–1.
    pub share: f64,
    /// Share of this row and every row above it, 0–1; the last row is 1 (when non-empty).
    pub cumulative_share: f64,
}

/// Ranks reason losses (e.g. [`crate::Oee::by_reason`] of a plant-wide [`crate::Oee::sum`]).
///
/// `depth` rolls codes up the tree (`Some(1)`: `mech/jam` and `mech/motor` become `mech`).
/// Rows are sorted by the metric, descending; ties by the other metric, then category and
/// reason, so the order is deterministic. Zero rows are dropped.
pub fn pareto(losses: &[ReasonLoss], by: ParetoBy, depth: Option<usize>) -> Vec<ParetoRow> {
    let mut grouped: BTreeMap<(StopCategory, Option<String>), (i64, u32)> = BTreeMap::new();
    for l in losses {
        let reason = l.reason.as_ref().map(|r| match depth {
            Some(d) => r.split('/').take(d.max(1)).collect::<Vec<_>>().join("/"),
            None => r.clone(),
        });
        let e = grouped.entry((l.category, reason)).or_default();
        e.0 += l.duration_ms;
        e.1 += l.events;
    }
    let mut rows: Vec<ParetoRow> = grouped
        .into_iter()
        .filter(|(_, (ms, n))| *ms > 0 || *n > 0)
        .map(|((category, reason), (duration_ms, events))| ParetoRow {
            reason,
            category,
            duration_ms,
            events,
            share: 0.0,
            cumulative_share: 0.0,
        })
        .collect();
    let metric = |r: &ParetoRow| match by {
        ParetoBy::Duration => (r.duration_ms, i64::from(r.events)),
        ParetoBy::Events => (i64::from(r.events), r.duration_ms),
    };
    rows.sort_by(|a, b| {
        metric(b)
            .cmp(&metric(a))
            .then_with(|| (a.category, &a.reason).cmp(&(b.category, &b.reason)))
    });
    let total: i64 = rows.iter().map(|r| metric(r).0).sum();
    let mut running = 0;
    for r in &mut rows {
        running += metric(r).0;
        if total > 0 {
            r.share = metric(r).0 as f64 / total as f64;
            r.cumulative_share = running as f64 / total as f64;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss(reason: Option<&str>, category: StopCategory, ms: i64, n: u32) -> ReasonLoss {
        ReasonLoss {
            reason: reason.map(str::to_owned),
            category,
            duration_ms: ms,
            events: n,
        }
    }

    #[test]
    fn ranks_with_cumulative_share() {
        use StopCategory::*;
        let losses = [
            loss(Some("mech/jam"), Breakdown, 300, 10),
            loss(Some("mech/motor"), Breakdown, 500, 1),
            loss(None, MicroStop, 200, 40),
            loss(None, Breakdown, 0, 0),
        ];
        let rows = pareto(&losses, ParetoBy::Duration, None);
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.reason.as_deref(), r.duration_ms, r.cumulative_share))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("mech/motor"), 500, 0.5),
                (Some("mech/jam"), 300, 0.8),
                (None, 200, 1.0)
            ]
        );
        let rows = pareto(&losses, ParetoBy::Events, None);
        assert_eq!(rows[0].reason, None);
        assert_eq!(rows[0].share, 40.0 / 51.0);
        let rolled = pareto(&losses, ParetoBy::Duration, Some(1));
        assert_eq!(rolled[0].reason.as_deref(), Some("mech"));
        assert_eq!((rolled[0].duration_ms, rolled[0].events), (800, 11));
        assert!(pareto(&[], ParetoBy::Duration, None).is_empty());
    }
}
