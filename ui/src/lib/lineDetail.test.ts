import { describe, expect, it } from "vitest";
import { filterDowntime, fraction, mergeCandidate, pan, parseTimeNear, ticks, waterfall, zoom } from "./lineDetail";
import { DemoLineDetails } from "../dev/demoLineDetail";

const H = 3_600_000;

describe("loss waterfall", () => {
  it("takes the six losses off planned time and lands on fully productive time", () => {
    const detail = new DemoLineDetails(10 * H).detail("acme/s/a/l1").detail;
    const steps = waterfall(detail.total);
    expect(steps[0]).toMatchObject({ label: "Planned", kind: "total", from: 0, to: detail.total.planned_time_ms });
    const last = steps[steps.length - 1]!;
    expect(last).toMatchObject({ label: "Fully productive", to: detail.total.fully_productive_time_ms });
    expect(steps.find((s) => s.label === "Run time")?.to).toBe(detail.total.run_time_ms);
    expect(steps.find((s) => s.label === "Net run")?.to).toBe(detail.total.net_run_time_ms);
    // No data appears only when some planned time had no state.
    expect(steps.map((s) => s.label)).not.toContain("No data");
    expect(waterfall({ ...detail.total, no_data_ms: 60_000, losses: { ...detail.total.losses, breakdowns: detail.total.losses.breakdowns + 60_000 } }).map((s) => s.label)).toContain("No data");
    // Each loss hangs from where the previous step ended.
    for (let i = 1; i < steps.length; i++) {
      const s = steps[i]!;
      if (s.kind === "loss") expect(s.from).toBe(steps[i - 1]!.to);
    }
  });
});

describe("time axis", () => {
  const bounds = { start: 0, end: 8 * H };

  it("zooms around the anchor, never past the bounds or below a minute", () => {
    const w = zoom(bounds, 0.5, 2 * H, bounds);
    expect(w.end - w.start).toBe(4 * H);
    expect(fraction(2 * H, w)).toBeCloseTo(0.25); // the anchor stays under the cursor
    expect(zoom(w, 10, 2 * H, bounds)).toEqual(bounds);
    let tiny = w;
    for (let i = 0; i < 50; i++) tiny = zoom(tiny, 0.5, 3 * H, bounds);
    expect(tiny.end - tiny.start).toBe(60_000);
  });

  it("pans inside the bounds", () => {
    expect(pan({ start: H, end: 3 * H }, -5 * H, bounds)).toEqual({ start: 0, end: 2 * H });
    expect(pan({ start: H, end: 3 * H }, 50 * H, bounds)).toEqual({ start: 6 * H, end: 8 * H });
  });

  it("puts ticks on whole steps, at most as many as asked", () => {
    const t = ticks({ start: 0, end: 8 * H }, 12);
    expect(t.length).toBeLessThanOrEqual(12);
    expect(t.length).toBeGreaterThan(3);
    const step = t[1]! - t[0]!;
    expect(step % 60_000).toBe(0);
  });
});

describe("downtime list", () => {
  const rows = new DemoLineDetails(10 * H).detail("acme/s/a/l1").detail.downtime;

  it("filters by work center, micro-stops and missing reasons", () => {
    expect(filterDowntime(rows, { workCenter: null, hideMicroStops: false, unexplainedOnly: false })).toHaveLength(4);
    expect(filterDowntime(rows, { workCenter: null, hideMicroStops: true, unexplainedOnly: false })).toHaveLength(3);
    expect(filterDowntime(rows, { workCenter: "acme/s/a/l1/labeler", hideMicroStops: false, unexplainedOnly: false })).toHaveLength(2);
    expect(filterDowntime(rows, { workCenter: null, hideMicroStops: true, unexplainedOnly: true }).every((r) => r.event.reason === null)).toBe(true);
  });

  it("offers a merge only with the touching stop before", () => {
    expect(mergeCandidate(rows, rows[2]!)?.event.id).toBe(rows[1]!.event.id);
    expect(mergeCandidate(rows, rows[1]!)).toBeNull();
  });

  it("reads split times near the stop, across midnight", () => {
    const near = new Date(2026, 10, 26, 23, 50).getTime();
    expect(parseTimeNear("00:10", near)).toBe(new Date(2026, 10, 27, 0, 10).getTime());
    expect(parseTimeNear("23:40:30", near)).toBe(new Date(2026, 10, 26, 23, 40, 30).getTime());
    expect(parseTimeNear("24:00", near)).toBeNull();
    expect(parseTimeNear("noon", near)).toBeNull();
  });
});
