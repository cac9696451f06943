// A deterministic line detail for the browser demo and the UI tests: bands, losses and a
// downtime list that edits apply to, the way the backend answers.
import type {
  AuditAction,
  DowntimeRow,
  LineDetailView,
  LiveOee,
  Oee,
  ReasonChoice,
  ReasonTree,
  StateInterval,
  StateKind,
  WorkCenterDetail,
} from "../lib/backend";
import { flattenReasons } from "../lib/reasonTree";

const MIN = 60_000;

/** The settings' tree, as get_settings sends it (the demo backend's Settings dialog edits it). */
export const DEMO_REASON_TREE: ReasonTree = {
  roots: [
    { code: "MECH", label: "Mechanical", category: "breakdown", children: [{ code: "JAM", label: "Jam", category: null, children: [] }] },
    { code: "ELEC", label: "Electrical", category: "breakdown", children: [{ code: "SENSOR", label: "Sensor", category: null, children: [] }] },
    { code: "SETUP", label: "Setup and changeover", category: "setup", children: [{ code: "ADJUST", label: "Adjustment", category: null, children: [] }] },
  ],
};

/** The same tree as the line detail's reason picker lists it. */
export const DEMO_REASONS: ReasonChoice[] = flattenReasons(DEMO_REASON_TREE.roots).map((r) => ({
  code: r.path,
  label: r.node.label,
  category: r.category ?? "breakdown",
  depth: r.depth,
}));

function oee(planned: number, breakdowns: number, setups: number, micro: number, speed: number, rejects: number, good: number, scrap: number): Oee {
  const run = planned - breakdowns - setups - micro;
  const net = run - speed;
  const full = net - rejects;
  const r = (a: number, b: number) => (b > 0 ? a / b : 0);
  return {
    availability: r(run, planned),
    performance: r(net, run),
    performance_raw: r(net, run),
    quality: r(full, net),
    oee: r(full, planned),
    planned_time_ms: planned,
    run_time_ms: run,
    net_run_time_ms: net,
    fully_productive_time_ms: full,
    ideal_time_ms: net,
    planned_stop_ms: 0,
    no_data_ms: 0,
    good,
    scrap,
    startup_scrap: 0,
    uncosted_parts: 0,
    losses: { breakdowns, setups, micro_stops: micro, reduced_speed: speed, startup_rejects: 0, production_rejects: rejects },
    by_reason: [],
  };
}

/** A stateful fake of the line detail commands for one plant. */
export class DemoLineDetails {
  readonly #start: number;
  readonly #now: number;
  /** Per line: the downtime rows as edited so far. */
  readonly #rows = new Map<string, DowntimeRow[]>();
  user = "supervisor";

  constructor(now: number) {
    this.#now = now;
    this.#start = now - 5 * 60 * MIN;
  }

  #workCenters(line: string): string[] {
    return ["filler", "capper", "labeler"].map((n) => `${line}/${n}`);
  }

  #downtime(line: string): DowntimeRow[] {
    let rows = this.#rows.get(line);
    if (!rows) {
      const [filler, , labeler] = this.#workCenters(line);
      const row = (wc: string, from: number, to: number, state: StateKind, reason: string | null, micro = false): DowntimeRow => {
        const start = this.#start + from * MIN;
        return {
          event: { id: `${wc}@${start}`, work_center: wc, start, end: this.#start + to * MIN, state, reason, comment: null, micro_stop: micro, auto: true },
          category: micro ? "micro_stop" : state === "changeover" ? "setup" : "breakdown",
          reason_label: DEMO_REASONS.find((r) => r.code === reason)?.label ?? null,
          edited_by: null,
          edited_at: null,
          adjacent_to_previous: false,
        };
      };
      rows = [
        row(filler!, 40, 41, "down", null, true),
        row(labeler!, 95, 130, "down", "MECH/JAM"),
        row(labeler!, 130, 142, "down", null),
        row(filler!, 180, 205, "changeover", null),
      ];
      rows[2]!.adjacent_to_previous = true;
      this.#rows.set(line, rows);
    }
    return rows;
  }

  detail(line: string): LineDetailView {
    const rows = this.#downtime(line);
    const range = { start: this.#start, end: this.#start + 8 * 60 * MIN };
    const until = this.#now;
    const workCenters: WorkCenterDetail[] = this.#workCenters(line).map((wc, i) => {
      const bands: StateInterval[] = [];
      let t = range.start;
      for (const r of rows.filter((x) => x.event.work_center === wc)) {
        if (r.event.start > t) bands.push({ start: t, end: r.event.start, kind: "running", reason: null });
        bands.push({ start: r.event.start, end: r.event.end, kind: r.event.state, reason: r.event.reason });
        t = r.event.end;
      }
      if (t < until) bands.push({ start: t, end: until, kind: "running", reason: null });
      const stop = rows.filter((x) => x.event.work_center === wc).reduce((s, x) => s + x.event.end - x.event.start, 0);
      const planned = until - range.start;
      const good = 900 - i * 40;
      return {
        path: wc,
        bands,
        oee: oee(planned, stop, 0, 0, 12 * MIN, 3 * MIN, good, 12 + i),
        good,
        scrap: 12 + i,
        rate_per_hour: 190 - i * 5,
        standard_per_hour: 200,
      };
    });
    const planned = until - range.start;
    const sum = (f: (r: DowntimeRow) => boolean) => rows.filter(f).reduce((s, r) => s + r.event.end - r.event.start, 0);
    const total = oee(planned * 3, sum((r) => r.category === "breakdown"), sum((r) => r.category === "setup"), sum((r) => r.category === "micro_stop"), 36 * MIN, 9 * MIN, 2_580, 39);
    return {
      detail: {
        line,
        label: `Demo ${line.split("/").pop() ?? line}`,
        range,
        until,
        planned: [range],
        work_centers: workCenters,
        total,
        output: workCenters[workCenters.length - 1]?.good ?? 0,
        scrap: 39,
        target: 960,
        pareto: [
          { reason: "MECH/JAM", category: "breakdown", duration_ms: 35 * MIN, events: 1, share: 0.49, cumulative_share: 0.49 },
          { reason: null, category: "setup", duration_ms: 25 * MIN, events: 1, share: 0.35, cumulative_share: 0.84 },
          { reason: null, category: "breakdown", duration_ms: 12 * MIN, events: 1, share: 0.16, cumulative_share: 1 },
        ],
        orders: [
          { order: "WO-4711", product: "P-330-CAN", start: range.start, end: range.start + 150 * MIN, output: 1_410, scrap: 21, oee: oee(planned * 3 * 0.6, 20 * MIN, 0, 0, 20 * MIN, 5 * MIN, 1_410, 21) },
          { order: "WO-4712", product: "P-500-PET", start: range.start + 170 * MIN, end: until, output: 1_170, scrap: 18, oee: oee(planned * 3 * 0.4, 15 * MIN, 25 * MIN, 0, 16 * MIN, 4 * MIN, 1_170, 18) },
        ],
        downtime: rows,
        reasons: DEMO_REASONS,
        stale_edits: 0,
      },
      shift: { name: "early", date: new Date(range.start).toISOString().slice(0, 10), start_ms: range.start, end_ms: range.end },
      user: this.user,
    };
  }

  /** Applies an edit like the backend: refusals throw a `TaktError`. */
  edit(line: string, action: AuditAction): LineDetailView {
    const rows = this.#downtime(line);
    const find = (k: { work_center: string; start: number }) => {
      const i = rows.findIndex((r) => r.event.work_center === k.work_center && r.event.start === k.start);
      if (i < 0) throw { kind: "refused", message: `no downtime event of ${k.work_center} starts at ${k.start}` };
      return i;
    };
    const stamp = (r: DowntimeRow): DowntimeRow => ({ ...r, edited_by: this.user, edited_at: this.#now });
    switch (action.action) {
      case "assign_reason": {
        const i = find(action.event);
        const reason = action.reason;
        if (reason !== null && !DEMO_REASONS.some((r) => r.code === reason)) throw { kind: "refused", message: `reason \`${reason}\` is not in the reason tree` };
        const r = rows[i]!;
        rows[i] = stamp({ ...r, event: { ...r.event, reason, auto: false }, reason_label: DEMO_REASONS.find((x) => x.code === reason)?.label ?? null });
        break;
      }
      case "comment": {
        const i = find(action.event);
        const r = rows[i]!;
        rows[i] = stamp({ ...r, event: { ...r.event, comment: action.text } });
        break;
      }
      case "split": {
        const i = find(action.event);
        const r = rows[i]!;
        if (action.at <= r.event.start || action.at >= r.event.end) throw { kind: "refused", message: "split strictly inside it" };
        const second = stamp({ ...r, event: { ...r.event, id: `${r.event.work_center}@${action.at}`, start: action.at }, adjacent_to_previous: true });
        rows.splice(i, 1, stamp({ ...r, event: { ...r.event, end: action.at } }), second);
        break;
      }
      case "merge": {
        const a = find(action.first);
        const b = find(action.second);
        const first = rows[a]!;
        rows[a] = stamp({ ...first, event: { ...first.event, end: rows[b]!.event.end } });
        rows.splice(b, 1);
        break;
      }
    }
    return this.detail(line);
  }

  live(lines: readonly string[]): LiveOee {
    return {
      computed_ms: this.#now,
      error: null,
      lines: lines.map((line, i) => ({
        line,
        shift: { name: "early", date: "2026-11-26", start_ms: this.#start, end_ms: this.#start + 8 * 60 * MIN },
        availability: 0.9 - i * 0.03,
        performance: 0.93,
        quality: 0.985,
        oee: (0.9 - i * 0.03) * 0.93 * 0.985,
      })),
    };
  }
}
