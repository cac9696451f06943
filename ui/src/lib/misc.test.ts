import { describe, expect, it } from "vitest";
import { areaOf, countStates, groupByArea, lineLastMessage, indexByPath } from "./hierarchy";
import { linkLevel, showsReason, stateClass, stateLabel, STATE_ORDER } from "./states";
import { neighbourIndex, type Rect } from "./nav";
import { filterTopics, hasProblems, sortTopics } from "./diagnostics";
import { formFromView, passwordArg, settingsFromForm, validate } from "./settingsForm";
import { addChild, addRoot, countReasons } from "./reasonTree";
import { makeDemoSnapshot, demoDiagnostics } from "../dev/demoPlant";
import type { SettingsView } from "./backend";
import { toTaktError } from "./backend";

const NOW = Date.UTC(2025, 10, 25, 10, 0, 0);

describe("hierarchy", () => {
  const snap = makeDemoSnapshot(NOW);
  it("takes the area from the 3rd path segment", () => {
    expect(areaOf("acme/plant1/paint/line3")).toBe("paint");
    expect(areaOf("acme/plant1/paint/line3/oven")).toBe("paint");
    expect(areaOf("acme")).toBe("");
  });
  it("groups lines by area in order of appearance", () => {
    const g = groupByArea(snap.lines);
    expect(g.map((x) => x.area)).toEqual(["body_shop", "paint", "assembly"]);
    expect(g.map((x) => x.lines.length)).toEqual([2, 2, 2]);
  });
  it("counts work centers per state in legend order", () => {
    const counts = countStates(snap.work_centers);
    expect(counts.map((c) => c.kind)).toEqual(STATE_ORDER);
    expect(counts.reduce((a, c) => a + c.count, 0)).toBe(snap.work_centers.length);
    expect(counts.find((c) => c.kind === "down")?.count).toBe(1);
  });
  it("finds a line's newest message", () => {
    const line = snap.lines[3]!;
    const wcs = indexByPath(snap.work_centers);
    expect(lineLastMessage(line, wcs)).toBe(NOW - 42_000);
  });
});

describe("states", () => {
  it("labels and classes", () => {
    expect(stateLabel("planned_stop")).toBe("Planned stop");
    expect(stateClass("planned_stop")).toBe("st-planned-stop");
    expect(stateClass("down")).toBe("st-down");
    expect(showsReason("down")).toBe(true);
    expect(showsReason("planned_stop")).toBe(true);
    expect(showsReason("starved")).toBe(false);
  });
  it("maps link states to colours", () => {
    expect(linkLevel("connected")).toBe("ok");
    expect(linkLevel("connecting")).toBe("pending");
    expect(linkLevel("starting")).toBe("pending");
    expect(linkLevel("down")).toBe("bad");
  });
});

describe("arrow navigation", () => {
  // Two rows: three tiles, then two.
  const r = (left: number, top: number): Rect => ({ left, top, width: 100, height: 80 });
  const rects = [r(0, 0), r(110, 0), r(220, 0), r(0, 100), r(110, 100)];
  it("moves in reading order left/right, clamped", () => {
    expect(neighbourIndex(rects, 0, "ArrowRight")).toBe(1);
    expect(neighbourIndex(rects, 2, "ArrowRight")).toBe(3);
    expect(neighbourIndex(rects, 4, "ArrowRight")).toBe(4);
    expect(neighbourIndex(rects, 0, "ArrowLeft")).toBe(0);
  });
  it("moves to the nearest tile in the row below/above", () => {
    expect(neighbourIndex(rects, 1, "ArrowDown")).toBe(4);
    expect(neighbourIndex(rects, 2, "ArrowDown")).toBe(4);
    expect(neighbourIndex(rects, 3, "ArrowUp")).toBe(0);
    expect(neighbourIndex(rects, 0, "ArrowUp")).toBe(0);
    expect(neighbourIndex(rects, 4, "ArrowDown")).toBe(4);
  });
  it("jumps with Home/End", () => {
    expect(neighbourIndex(rects, 2, "Home")).toBe(0);
    expect(neighbourIndex(rects, 0, "End")).toBe(4);
  });
});

describe("diagnostics table", () => {
  const topics = demoDiagnostics(NOW).topics;
  it("sorts by errors descending with topic as tie-break", () => {
    const out = sortTopics(topics, "errors", "desc").map((t) => t.errors);
    expect(out).toEqual([2, 1, 0, 0, 0]);
  });
  it("sorts by rate, gaps and rebirths", () => {
    expect(sortTopics(topics, "messages_per_s", "desc").map((t) => t.messages_per_s)).toEqual([30.2, 12.4, 9.1, 2.5, 0]);
    expect(sortTopics(topics, "seq_gaps", "desc")[0]?.topic).toBe("spBv1.0/acme:plant1:assembly/DDATA/line6/torque");
    expect(sortTopics(topics, "rebirths", "asc")[4]?.rebirths).toBe(2);
  });
  it("sorts nulls last when ascending by time", () => {
    const out = sortTopics(topics, "last_error_ms", "asc");
    expect(out[0]?.errors).toBe(1);
    expect(out[2]?.last_error_ms).toBeNull();
  });
  it("filters", () => {
    // Errors, gaps or rebirths.
    expect(filterTopics(topics, "", true)).toHaveLength(3);
    expect(filterTopics(topics, "PAINT", false)).toHaveLength(1);
    expect(filterTopics(topics, "invalid json", false)).toHaveLength(1);
    expect(filterTopics(topics, "seq gap", false).map((t) => t.topic)).toEqual(["spBv1.0/acme:plant1:assembly/DDATA/line6/torque"]);
  });
  it("counts gaps and rebirths as problems, not errors", () => {
    const torque = topics.find((t) => t.seq_gaps > 0)!;
    expect(hasProblems(torque)).toBe(true);
    expect(torque.errors).toBe(0);
    expect(hasProblems(topics[0]!)).toBe(false);
  });
});

describe("settings form", () => {
  const view: SettingsView = {
    settings: {
      broker: { host: "broker.local", port: 8883, tls: true, username: "sup", password: null, topic_root: "acme", client_id: "takt-1" },
      database_url: null,
      stale_after_s: 10,
      offline_after_s: 60,
      history_retention_days: 365,
      downtime: { micro_stop_threshold_s: 120, reasons: { roots: [] } },
    },
    has_password: true,
    settings_path: "/etc/takt.toml",
    database_path: "/var/lib/takt.db",
    demo: false,
    load_error: null,
  };

  it("round-trips a valid form", () => {
    const f = formFromView(view);
    expect(validate(f)).toEqual({});
    expect(settingsFromForm(f)).toEqual(view.settings);
    expect(passwordArg(f)).toBeNull();
  });

  it("keeps alert rules and Sparkplug settings it does not edit", () => {
    const full: SettingsView = {
      ...view,
      settings: {
        ...view.settings,
        broker: { ...view.settings.broker!, sparkplug: { group_id: "plant1", reorder_timeout_ms: 2000, rebirth_cooldown_ms: 5000 } },
        alerts: { down_minutes: 5, scrap_over_percent: 2 },
        history_retention_days: 90,
      },
    };
    const f = { ...formFromView(full), host: "other.local" };
    const saved = settingsFromForm(f);
    expect(saved.alerts).toEqual({ down_minutes: 5, scrap_over_percent: 2 });
    expect(saved.broker?.sparkplug?.group_id).toBe("plant1");
    expect(saved.history_retention_days).toBe(90);
    expect(saved.broker?.host).toBe("other.local");
  });

  it("edits how long history is kept, 0 keeping everything", () => {
    const f = formFromView(view);
    expect(f.retentionDays).toBe("365");
    expect(settingsFromForm({ ...f, retentionDays: " 30 " }).history_retention_days).toBe(30);
    expect(validate({ ...f, retentionDays: "0" }).retentionDays).toBeUndefined();
    expect(validate({ ...f, retentionDays: "-1" }).retentionDays).toMatch(/0 to 36500/);
    expect(validate({ ...f, retentionDays: "two weeks" }).retentionDays).toMatch(/Whole number of days/);
  });

  it("carries the Sparkplug host id through a save untouched", () => {
    const sparkplug = { group_id: "plant1", host_id: "takt-desk-1" };
    const withHost: SettingsView = { ...view, settings: { ...view.settings, broker: { ...view.settings.broker!, sparkplug } } };
    const saved = settingsFromForm({ ...formFromView(withHost), topicRoot: "acme2" });
    expect(saved.broker?.sparkplug).toEqual(sparkplug);
    expect(saved.broker?.topic_root).toBe("acme2");
    const withoutHost: SettingsView = { ...view, settings: { ...view.settings, broker: { ...view.settings.broker!, sparkplug: { host_id: null } } } };
    expect(settingsFromForm(formFromView(withoutHost)).broker?.sparkplug?.host_id).toBeNull();
  });

  it("carries the UNS topic mapping through a save untouched", () => {
    const uns = {
      topics: [{ pattern: "factory/{line}/{work_center}/{tag}", enterprise: "acme", site: "freiburg", area: "packaging" }],
      tags: { Status: "state", GoodCount: "good" },
    };
    const mapped: SettingsView = { ...view, settings: { ...view.settings, broker: { ...view.settings.broker!, uns } } };
    const saved = settingsFromForm({ ...formFromView(mapped), host: "other.local" });
    expect(saved.broker?.uns).toEqual(uns);
    expect(saved.broker?.host).toBe("other.local");
    expect(settingsFromForm(formFromView(view)).broker?.uns).toBeUndefined();
  });

  it("carries the reason tree and micro-stop threshold through a save untouched", () => {
    const downtime = {
      micro_stop_threshold_s: 90,
      reasons: { roots: [{ code: "JAM", label: "Jam", category: "breakdown" as const, children: [] }] },
    };
    const custom: SettingsView = { ...view, settings: { ...view.settings, downtime } };
    const saved = settingsFromForm({ ...formFromView(custom), staleAfter: "20" });
    expect(saved.downtime).toEqual(downtime);
    expect(saved.stale_after_s).toBe(20);
    // The dialog edits the threshold and keeps the tree.
    const edited = settingsFromForm({ ...formFromView(custom), microStop: "45" });
    expect(edited.downtime).toEqual({ ...downtime, micro_stop_threshold_s: 45 });
    expect(validate({ ...formFromView(custom), microStop: "ninety" }).microStop).toBeTruthy();
    expect(validate({ ...formFromView(custom), microStop: "7200" }).microStop).toBeTruthy();
    expect(countReasons([{ code: "A", label: "a", category: "setup", children: [{ code: "B", label: "b" }] }])).toBe(2);
  });

  it("saves the edited reason tree, and blocks Save while it is invalid", () => {
    const downtime = {
      micro_stop_threshold_s: 90,
      reasons: { roots: [{ code: "MECH", label: "Mechanical", category: "breakdown" as const, children: [] }] },
    };
    const f = formFromView({ ...view, settings: { ...view.settings, downtime } });
    const { drafts } = addChild(f.reasons ?? [], f.reasons![0]!.id);
    drafts[0]!.children[0]!.code = "JAM";
    drafts[0]!.children[0]!.label = "Jam";
    expect(validate({ ...f, reasons: drafts })).toEqual({});
    expect(settingsFromForm({ ...f, reasons: drafts }).downtime).toEqual({
      micro_stop_threshold_s: 90,
      reasons: {
        roots: [{ code: "MECH", label: "Mechanical", category: "breakdown", children: [{ code: "JAM", label: "Jam", category: null, children: [] }] }],
      },
    });
    drafts[0]!.children[0]!.code = "J/AM";
    expect(validate({ ...f, reasons: drafts }).reasons).toBe("One reason needs fixing.");
    drafts[0]!.category = null;
    expect(validate({ ...f, reasons: drafts }).reasons).toBe("2 reasons need fixing.");
  });

  it("sends no tree when the settings had none and none was started", () => {
    const { downtime: _omitted, ...bare } = view.settings;
    const f = formFromView({ ...view, settings: bare });
    expect(f.reasons).toBeNull();
    expect(settingsFromForm(f).downtime).toEqual({ micro_stop_threshold_s: 120 });
    const started = addRoot([]).drafts;
    started[0]!.code = "MECH";
    expect(settingsFromForm({ ...f, reasons: started }).downtime?.reasons).toEqual({
      roots: [{ code: "MECH", label: "", category: "breakdown", children: [] }],
    });
  });

  it("validates host and port", () => {
    const f = { ...formFromView(view), host: "  ", port: "70000" };
    const e = validate(f);
    expect(e.host).toBeTruthy();
    expect(e.port).toBeTruthy();
    expect(validate({ ...f, host: "h", port: "0" }).port).toBeTruthy();
    expect(validate({ ...f, host: "h", port: "1" }).port).toBeUndefined();
    expect(validate({ ...f, host: "h", port: "65535" }).port).toBeUndefined();
    expect(validate({ ...f, host: "h", port: "12a" }).port).toBeTruthy();
    expect(validate({ ...f, host: "mqtt://h", port: "1883" }).host).toBeTruthy();
  });

  it("ignores broker fields for the demo plant", () => {
    const f = { ...formFromView(view), source: "demo" as const, host: "" };
    expect(validate(f)).toEqual({});
    expect(settingsFromForm(f).broker).toBeNull();
  });

  it("requires offline > stale", () => {
    const f = { ...formFromView(view), staleAfter: "30", offlineAfter: "30" };
    expect(validate(f).offlineAfter).toBeTruthy();
  });

  it("sends the password only when changed or cleared", () => {
    const f = formFromView(view);
    expect(passwordArg({ ...f, password: "s3cret" })).toBe("s3cret");
    expect(passwordArg({ ...f, clearPassword: true })).toBe("");
    expect(passwordArg({ ...f, source: "demo", password: "x" })).toBeNull();
  });
});

describe("toTaktError", () => {
  it("normalises rejections", () => {
    expect(toTaktError({ kind: "broker", message: "m" })).toEqual({ kind: "broker", message: "m" });
    expect(toTaktError({ kind: "weird", message: "m" })).toEqual({ kind: "internal", message: "m" });
    expect(toTaktError("boom")).toEqual({ kind: "internal", message: "boom" });
    expect(toTaktError(new Error("e"))).toEqual({ kind: "internal", message: "e" });
  });
});
