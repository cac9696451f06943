// A deterministic six-line plant used by the unit tests and by the browser-only dev backend.
import type {
  Diagnostics,
  LineLive,
  LinkStatus,
  PlantSnapshot,
  ShiftInstance,
  StateKind,
  TopicDiagnostic,
  WorkCenterLive,
} from "../lib/backend";

const ROOT = "acme/plant1";

type WcSpec = [id: string, name: string, kind: StateKind, reason?: string];
type LineSpec = {
  area: string;
  id: string;
  name: string;
  description: string;
  order: string | null;
  product: string | null;
  output: number;
  scrap: number;
  target_so_far: number;
  target_shift: number;
  feed?: "live" | "stale" | "offline";
  wcs: WcSpec[];
};

export const DEMO_LINES: readonly LineSpec[] = [
  {
    area: "body_shop",
    id: "line1",
    name: "Line 1",
    description: "Side panel stamping",
    order: "4711-0022",
    product: "P-2210 Side panel LH",
    output: 1234,
    scrap: 12,
    target_so_far: 1310,
    target_shift: 2400,
    wcs: [
      ["blank", "Blanking", "running"],
      ["press1", "Press 1", "running"],
      ["press2", "Press 2", "starved"],
      ["trim", "Trim", "running"],
      ["stack", "Stacking", "blocked"],
    ],
  },
  {
    area: "body_shop",
    id: "line2",
    name: "Line 2",
    description: "Roof welding cell",
    order: "4711-0031",
    product: "P-3100 Roof frame",
    output: 388,
    scrap: 9,
    target_so_far: 470,
    target_shift: 860,
    wcs: [
      ["load", "Loading", "running"],
      ["weld1", "Weld robot 1", "down", "E-217 wire feed"],
      ["weld2", "Weld robot 2", "idle"],
      ["inspect", "Vision check", "idle"],
    ],
  },
  {
    area: "paint",
    id: "line3",
    name: "Line 3",
    description: "E-coat and primer",
    order: "4712-0007",
    product: "P-2210 Side panel LH",
    output: 2020,
    scrap: 4,
    target_so_far: 2000,
    target_shift: 3600,
    wcs: [
      ["pretreat", "Pretreatment", "running"],
      ["ecoat", "E-coat", "running"],
      ["oven", "Curing oven", "running"],
    ],
  },
  {
    area: "paint",
    id: "line4",
    name: "Line 4",
    description: "Top coat booth",
    order: "4712-0010",
    product: "P-3100 Roof frame",
    output: 512,
    scrap: 31,
    target_so_far: 640,
    target_shift: 1200,
    feed: "stale",
    wcs: [
      ["prep", "Sanding", "changeover"],
      ["booth", "Paint booth", "running"],
      ["flash", "Flash-off", "running"],
      ["oven2", "Oven 2", "offline"],
    ],
  },
  {
    area: "assembly",
    id: "line5",
    name: "Line 5",
    description: "Door assembly",
    order: null,
    product: null,
    output: 0,
    scrap: 0,
    target_so_far: 0,
    target_shift: 0,
    wcs: [
      ["frame", "Door frame", "planned_stop", "PM-03 maintenance"],
      ["glass", "Glazing", "planned_stop", "PM-03 maintenance"],
      ["seal", "Sealing", "idle"],
    ],
  },
  {
    area: "assembly",
    id: "line6",
    name: "Line 6",
    description: "Final assembly and end-of-line test",
    order: "4713-0101",
    product: "Module M-40 complete",
    output: 14250,
    scrap: 88,
    target_so_far: 14000,
    target_shift: 21000,
    wcs: [
      ["kitting", "Kitting", "running"],
      ["marry", "Marriage", "running"],
      ["torque", "Torque station", "starved"],
      ["eol", "EOL test", "running"],
      ["pack", "Packing", "running"],
    ],
  },
];

export function linePath(spec: { area: string; id: string }): string {
  return `${ROOT}/${spec.area}/${spec.id}`;
}

export function demoShift(now: number): ShiftInstance {
  const d = new Date(now);
  const start = new Date(d.getFullYear(), d.getMonth(), d.getDate(), 6, 0, 0).getTime();
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  return { name: "Early", date, start_ms: start, end_ms: start + 8 * 3600_000 };
}

export function link(state: LinkStatus["state"], target: string, since_ms: number, error: string | null = null, hint: string | null = null): LinkStatus {
  return { state, target, since_ms, error, hint };
}

/** A topic row with no gaps, rebirths or errors unless `extra` says so. */
function topicRow(topic: string, messages: number, messages_per_s: number, last_message_ms: number, extra: Partial<TopicDiagnostic> = {}): TopicDiagnostic {
  return {
    topic,
    messages,
    messages_per_s,
    errors: 0,
    seq_gaps: 0,
    rebirths: 0,
    last_rebirth_reason: null,
    last_rebirth_ms: null,
    last_error: null,
    last_error_ms: null,
    last_message_ms,
    ...extra,
  };
}

export function demoDiagnostics(now: number): Diagnostics {
  const topics = [
    topicRow("acme/plant1/body_shop/line1/+/state", 41_200, 12.4, now - 1200),
    topicRow("acme/plant1/body_shop/line2/+/state", 30_114, 9.1, now - 800, {
      errors: 2,
      last_error: "invalid JSON at line 1 column 14",
      last_error_ms: now - 95_000,
    }),
    topicRow("acme/plant1/paint/line4/+/counts", 12_903, 0, now - 48_000, {
      errors: 1,
      last_error: "unknown state code 'MAINT'",
      last_error_ms: now - 3_600_000,
    }),
    topicRow("acme/plant1/assembly/line6/+/counts", 100_003, 30.2, now - 300),
    topicRow("spBv1.0/acme:plant1:assembly/DDATA/line6/torque", 8_410, 2.5, now - 400, {
      seq_gaps: 3,
      rebirths: 2,
      last_rebirth_reason: "seq gap",
      last_rebirth_ms: now - 20_000,
    }),
  ];
  return {
    messages_total: 192_630,
    messages_per_s: topics.reduce((sum, t) => sum + (t.messages_per_s ?? 0), 0),
    errors_total: 3,
    seq_gaps_total: 3,
    rebirths_total: 2,
    discovered_equipment: 30,
    topics_total: topics.length,
    topics,
  };
}

/** The demo plant at `now`, with per-item versions all equal to `version`. */
export function makeDemoSnapshot(now: number, version = 1): PlantSnapshot {
  const lines: LineLive[] = [];
  const work_centers: WorkCenterLive[] = [];
  DEMO_LINES.forEach((spec, li) => {
    const lp = linePath(spec);
    const feed = spec.feed ?? "live";
    spec.wcs.forEach(([id, name, kind, reason], wi) => {
      const wcFeed = kind === "offline" ? "offline" : feed;
      work_centers.push({
        path: `${lp}/${id}`,
        name,
        description: `${spec.name} · ${name}`,
        state: { kind, reason: reason ?? null },
        state_since_ms: now - ((li * 7 + wi * 13) % 50) * 61_000 - 17_000,
        good: Math.max(0, Math.round(spec.output * (1 - wi * 0.01))),
        scrap: Math.round(spec.scrap / spec.wcs.length),
        last_message_ms: wcFeed === "live" ? now - 1000 : wcFeed === "stale" ? now - 42_000 : now - 12 * 60_000,
        feed: wcFeed,
        measurements: wi === 0 ? [{ name: "temperature", value: 60 + li * 2.5, at_ms: now - 1000 }] : [],
        version,
      });
    });
    lines.push({
      path: lp,
      name: spec.name,
      description: spec.description,
      work_centers: spec.wcs.map(([id]) => `${lp}/${id}`),
      order: spec.order,
      product: spec.product,
      output: spec.output,
      scrap: spec.scrap,
      target_so_far: spec.target_so_far,
      target_shift: spec.target_shift,
      shift: demoShift(now),
      feed,
      version,
    });
  });
  return {
    version,
    generated_ms: now,
    lines,
    work_centers,
    broker: link("connected", "embedded demo plant", now - 3_600_000),
    database: link("connected", "sqlite: takt.db", now - 3_600_000),
    diagnostics: demoDiagnostics(now),
  };
}
