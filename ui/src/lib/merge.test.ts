import { describe, expect, it } from "vitest";
import type { PlantUpdate, WorkCenterLive } from "./backend";
import { applyUpdate, mergeByPath } from "./merge";
import { makeDemoSnapshot } from "../dev/demoPlant";

const NOW = Date.UTC(2025, 10, 25, 10, 0, 0);

function delta(over: Partial<PlantUpdate>): PlantUpdate {
  const base = makeDemoSnapshot(NOW, 1);
  return {
    full: false,
    version: 2,
    generated_ms: NOW + 100,
    lines: [],
    work_centers: [],
    broker: base.broker,
    database: base.database,
    diagnostics: base.diagnostics,
    ...over,
  };
}

describe("mergeByPath", () => {
  const a = { path: "a", version: 1, v: "a1" };
  const b = { path: "b", version: 1, v: "b1" };

  it("returns the same array when nothing changed", () => {
    const cur = [a, b];
    expect(mergeByPath(cur, [])).toBe(cur);
  });

  it("replaces by path, keeps order and identity of untouched items", () => {
    const b2 = { path: "b", version: 2, v: "b2" };
    const out = mergeByPath([a, b], [b2]);
    expect(out).toEqual([a, b2]);
    expect(out[0]).toBe(a);
  });

  it("appends unknown paths (newly discovered equipment)", () => {
    const c = { path: "c", version: 3, v: "c" };
    expect(mergeByPath([a, b], [c]).map((x) => x.path)).toEqual(["a", "b", "c"]);
  });

  it("never regresses an item to an older version", () => {
    const a0 = { path: "a", version: 0, v: "old" };
    expect(mergeByPath([a, b], [a0])[0]).toBe(a);
  });
});

describe("applyUpdate", () => {
  it("full=true replaces everything, dropping items not in the update", () => {
    const cur = makeDemoSnapshot(NOW, 5);
    const only = cur.work_centers.slice(0, 2);
    const out = applyUpdate(cur, delta({ full: true, version: 1, lines: [], work_centers: only }));
    expect(out.version).toBe(1);
    expect(out.lines).toEqual([]);
    expect(out.work_centers).toEqual(only);
  });

  it("full=false merges one work center by path and leaves the rest untouched", () => {
    const cur = makeDemoSnapshot(NOW, 1);
    const target = cur.work_centers[3] as WorkCenterLive;
    const changed: WorkCenterLive = { ...target, state: { kind: "down", reason: "E-1" }, version: 2 };
    const out = applyUpdate(cur, delta({ work_centers: [changed] }));
    expect(out.work_centers).toHaveLength(cur.work_centers.length);
    expect(out.work_centers[3]).toEqual(changed);
    expect(out.work_centers[2]).toBe(cur.work_centers[2]);
    expect(out.lines).toBe(cur.lines);
    expect(out.version).toBe(2);
  });

  it("takes links and diagnostics from a newer delta, keeps them from an older one", () => {
    const cur = makeDemoSnapshot(NOW, 3);
    const down = { ...cur.broker, state: "down" as const, error: "refused" };
    expect(applyUpdate(cur, delta({ version: 4, broker: down })).broker).toEqual(down);
    const stale = applyUpdate(cur, delta({ version: 2, broker: down }));
    expect(stale.broker).toBe(cur.broker);
    expect(stale.version).toBe(3);
  });

  it("treats a delta on an empty store as the initial state", () => {
    const snap = makeDemoSnapshot(NOW, 1);
    const out = applyUpdate(null, delta({ lines: snap.lines, work_centers: snap.work_centers }));
    expect(out.lines).toHaveLength(6);
  });
});
