// Pure helpers of the line detail view: the loss waterfall, the time axis and its zoom,
// and downtime list filters. Kept out of the components so they can be unit-tested.
import type { DowntimeRow, Interval, Oee } from "./backend";

/** One bar of the loss waterfall: a loss hangs down from `from`; a subtotal stands on zero. */
export type WaterfallStep = {
  label: string;
  /** What fits under a narrow bar. */
  short: string;
  kind: "total" | "loss";
  /** Where the bar starts (ms of planned time). */
  from: number;
  /** Where it ends; for a loss `to` < `from`. */
  to: number;
  /** OEE term the loss reduces, for the tooltip. */
  term: "availability" | "performance" | "quality" | null;
};

/**
 * Planned time, minus each of the six big losses in the order they are taken off, with the
 * run time, net run time and fully productive time as subtotals. The losses add up to planned
 * minus fully productive time (the engine guarantees it), so the last bar lands on OEE.
 */
export function waterfall(o: Oee): WaterfallStep[] {
  const steps: WaterfallStep[] = [];
  let level = o.planned_time_ms;
  const total = (label: string, short: string, value: number): void => {
    steps.push({ label, short, kind: "total", from: 0, to: value, term: null });
    level = value;
  };
  const loss = (label: string, short: string, ms: number, term: WaterfallStep["term"]): void => {
    steps.push({ label, short, kind: "loss", from: level, to: level - ms, term });
    level -= ms;
  };
  total("Planned", "Planned", o.planned_time_ms);
  // Planned time without any state is charged as a breakdown; shown apart (when there is
  // some), it says "we do not know" rather than "it broke".
  if (o.no_data_ms > 0) loss("No data", "No data", o.no_data_ms, "availability");
  loss("Breakdowns", "Break\u00addowns", o.losses.breakdowns - o.no_data_ms, "availability");
  loss("Setups", "Setups", o.losses.setups, "availability");
  loss("Micro-stops", "Micro-stops", o.losses.micro_stops, "availability");
  total("Run time", "Run", level);
  loss("Reduced speed", "Speed", o.losses.reduced_speed, "performance");
  total("Net run", "Net run", level);
  loss("Start-up rejects", "Start-up scrap", o.losses.startup_rejects, "quality");
  loss("Production rejects", "Scrap", o.losses.production_rejects, "quality");
  total("Fully productive", "Fully prod.", level);
  return steps;
}

/** A visible window of the time axis. */
export type TimeWindow = { start: number; end: number };

/** The smallest window the bands zoom to (one minute). */
export const MIN_WINDOW_MS = 60_000;

/**
 * Zooms `w` by `factor` (< 1 zooms in) around `anchor` (ms), staying inside `bounds` and
 * no narrower than a minute.
 */
export function zoom(w: TimeWindow, factor: number, anchor: number, bounds: Interval): TimeWindow {
  const full = bounds.end - bounds.start;
  const span = Math.min(full, Math.max(MIN_WINDOW_MS, (w.end - w.start) * factor));
  const ratio = w.end > w.start ? (anchor - w.start) / (w.end - w.start) : 0.5;
  const start = anchor - span * Math.min(1, Math.max(0, ratio));
  return clampWindow({ start, end: start + span }, bounds);
}

/** Moves `w` by `deltaMs`, staying inside `bounds`. */
export function pan(w: TimeWindow, deltaMs: number, bounds: Interval): TimeWindow {
  return clampWindow({ start: w.start + deltaMs, end: w.end + deltaMs }, bounds);
}

function clampWindow(w: TimeWindow, bounds: Interval): TimeWindow {
  const span = Math.min(w.end - w.start, bounds.end - bounds.start);
  let start = Math.max(bounds.start, w.start);
  if (start + span > bounds.end) start = bounds.end - span;
  return { start, end: start + span };
}

/** Tick steps the axis chooses from: 1 min … 12 h. */
const TICK_STEPS = [60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 43_200_000];

/**
 * Axis ticks on whole local minutes/hours: the finest step that keeps at most `maxTicks` in
 * the window.
 */
export function ticks(w: TimeWindow, maxTicks: number): number[] {
  const span = w.end - w.start;
  const step = TICK_STEPS.find((s) => span / s <= maxTicks) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
  // Align to the local clock (time-zone offsets are whole minutes; most are whole hours).
  const offset = new Date(w.start).getTimezoneOffset() * 60_000;
  const first = Math.ceil((w.start - offset) / step) * step + offset;
  const out: number[] = [];
  for (let t = first; t <= w.end; t += step) out.push(t);
  return out;
}

/** Position of `t` in `w` as a fraction 0–1 (clamped). */
export function fraction(t: number, w: TimeWindow): number {
  if (w.end <= w.start) return 0;
  return Math.min(1, Math.max(0, (t - w.start) / (w.end - w.start)));
}

export type DowntimeFilter = { workCenter: string | null; hideMicroStops: boolean; unexplainedOnly: boolean };

export function filterDowntime(rows: readonly DowntimeRow[], f: DowntimeFilter): DowntimeRow[] {
  return rows.filter(
    (r) =>
      (f.workCenter === null || r.event.work_center === f.workCenter) &&
      !(f.hideMicroStops && r.event.micro_stop) &&
      !(f.unexplainedOnly && r.event.reason !== null),
  );
}

/** The row before `row` on the same work center, when the two touch (merge candidate). */
export function mergeCandidate(rows: readonly DowntimeRow[], row: DowntimeRow): DowntimeRow | null {
  if (!row.adjacent_to_previous) return null;
  return rows.find((r) => r.event.work_center === row.event.work_center && r.event.end === row.event.start) ?? null;
}

/**
 * Parses "HH:MM" or "HH:MM:SS" as a local time on the day of `near`, choosing the day
 * (before, same, after) that lands closest to `near` (a night shift crosses midnight).
 */
export function parseTimeNear(text: string, near: number): number | null {
  const m = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/.exec(text);
  if (!m) return null;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || min > 59 || s > 59) return null;
  let best: number | null = null;
  for (const dayShift of [-1, 0, 1]) {
    const d = new Date(near);
    d.setDate(d.getDate() + dayShift);
    d.setHours(h, min, s, 0);
    const t = d.getTime();
    if (best === null || Math.abs(t - near) < Math.abs(best - near)) best = t;
  }
  return best;
}

/** Short form for chart labels: "40 h", "6.5 h", "12 min", "45 s". */
export function formatLossShort(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}\u00a0s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}\u00a0min`;
  const h = m / 60;
  return `${h >= 10 ? Math.round(h) : h.toFixed(1)}\u00a0h`;
}

/** "1 h 05 min", "12 min", "45 s" for loss durations. */
export function formatLoss(ms: number): string {
  const s = Math.round(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}\u00a0s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}\u00a0min`;
  return `${Math.floor(m / 60)}\u00a0h\u00a0${String(m % 60).padStart(2, "0")}\u00a0min`;
}
