import type { LinkState, StateKind } from "./backend";

/** Display order for legends and counters: productive first, then losses, then no data. */
export const STATE_ORDER: readonly StateKind[] = [
  "running",
  "idle",
  "starved",
  "blocked",
  "down",
  "changeover",
  "planned_stop",
  "offline",
];

const LABELS: Record<StateKind, string> = {
  running: "Running",
  idle: "Idle",
  starved: "Starved",
  blocked: "Blocked",
  down: "Down",
  changeover: "Changeover",
  planned_stop: "Planned stop",
  offline: "Offline",
};

export function stateLabel(kind: StateKind): string {
  return LABELS[kind] ?? kind;
}

/** CSS class carrying the state colour (see app.css `--st-*`). */
export function stateClass(kind: StateKind): string {
  return `st-${kind.replace(/_/g, "-")}`;
}

/** A reason code is only meaningful for these states. */
export function showsReason(kind: StateKind): boolean {
  return kind === "down" || kind === "planned_stop";
}

export type LinkLevel = "ok" | "pending" | "bad";

export function linkLevel(state: LinkState): LinkLevel {
  switch (state) {
    case "connected":
      return "ok";
    case "down":
      return "bad";
    case "starting":
    case "connecting":
      return "pending";
  }
}

const LINK_LABELS: Record<LinkState, string> = {
  starting: "starting",
  connecting: "connecting",
  connected: "connected",
  down: "down",
};

export function linkLabel(state: LinkState): string {
  return LINK_LABELS[state] ?? state;
}
