import type { PlantSnapshot, PlantUpdate } from "./backend";

type Versioned = { path: string; version: number };

/**
 * Merges `changed` into `current` by `path`. Unchanged items keep their identity (cheap
 * re-render), unknown paths are appended (newly discovered equipment), and an item is never
 * replaced by an older version of itself.
 */
export function mergeByPath<T extends Versioned>(current: readonly T[], changed: readonly T[]): T[] {
  if (changed.length === 0) return current as T[];
  const result = current.slice();
  const index = new Map<string, number>();
  result.forEach((item, i) => index.set(item.path, i));
  for (const item of changed) {
    const i = index.get(item.path);
    if (i === undefined) {
      index.set(item.path, result.length);
      result.push(item);
      continue;
    }
    const old = result[i];
    if (old === undefined || item.version >= old.version) result[i] = item;
  }
  return result;
}

export function snapshotFromUpdate(u: PlantUpdate): PlantSnapshot {
  return {
    version: u.version,
    generated_ms: u.generated_ms,
    lines: u.lines,
    work_centers: u.work_centers,
    broker: u.broker,
    database: u.database,
    diagnostics: u.diagnostics,
  };
}

/**
 * Applies a `plant-update` event. `full` replaces everything; otherwise lines and work
 * centers are merged by path and the plant-wide fields (links, diagnostics) are taken from
 * the update unless it is older than what we already hold.
 */
export function applyUpdate(current: PlantSnapshot | null, u: PlantUpdate): PlantSnapshot {
  if (u.full || current === null) return snapshotFromUpdate(u);
  const newer = u.version >= current.version;
  return {
    version: Math.max(current.version, u.version),
    generated_ms: newer ? u.generated_ms : current.generated_ms,
    lines: mergeByPath(current.lines, u.lines),
    work_centers: mergeByPath(current.work_centers, u.work_centers),
    broker: newer ? u.broker : current.broker,
    database: newer ? u.database : current.database,
    diagnostics: newer ? u.diagnostics : current.diagnostics,
  };
}
