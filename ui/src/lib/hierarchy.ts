import type { EquipmentPath, LineLive, StateKind, WorkCenterLive } from "./backend";
import { STATE_ORDER } from "./states";

/** "enterprise/site/area/line/workcenter" → segments. */
export function pathSegments(path: EquipmentPath): string[] {
  return path.split("/").filter((s) => s.length > 0);
}

/** Last path segment (the item's own id). */
export function lastSegment(path: EquipmentPath): string {
  const segs = pathSegments(path);
  return segs[segs.length - 1] ?? path;
}

/** Area is the 3rd path segment. */
export function areaOf(path: EquipmentPath): string {
  return pathSegments(path)[2] ?? "";
}

export type AreaGroup = { area: string; lines: LineLive[] };

/** Groups lines under their area, keeping the backend's order of first appearance. */
export function groupByArea(lines: readonly LineLive[]): AreaGroup[] {
  const groups: AreaGroup[] = [];
  const byArea = new Map<string, AreaGroup>();
  for (const line of lines) {
    const area = areaOf(line.path);
    let g = byArea.get(area);
    if (!g) {
      g = { area, lines: [] };
      byArea.set(area, g);
      groups.push(g);
    }
    g.lines.push(line);
  }
  return groups;
}

export function indexByPath<T extends { path: string }>(items: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const it of items) m.set(it.path, it);
  return m;
}

/** Newest message time over a line's work centers (a line has no feed of its own). */
export function lineLastMessage(line: LineLive, wcs: ReadonlyMap<string, WorkCenterLive>): number | null {
  let last: number | null = null;
  for (const p of line.work_centers) {
    const t = wcs.get(p)?.last_message_ms ?? null;
    if (t !== null && (last === null || t > last)) last = t;
  }
  return last;
}

export type StateCount = { kind: StateKind; count: number };

/** Work centers per state, in legend order (zero counts included). */
export function countStates(wcs: readonly WorkCenterLive[]): StateCount[] {
  const counts = new Map<StateKind, number>();
  for (const wc of wcs) counts.set(wc.state.kind, (counts.get(wc.state.kind) ?? 0) + 1);
  return STATE_ORDER.map((kind) => ({ kind, count: counts.get(kind) ?? 0 }));
}
