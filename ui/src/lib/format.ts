import type { FeedHealth, Measurement } from "./backend";

/** U+202F NARROW NO-BREAK SPACE: thousands separator ("1 234"), never wraps. */
export const THIN = "\u202F";
/** U+00A0 NO-BREAK SPACE: between a number and its unit ("94 %", "42 s"). */
export const NBSP = "\u00A0";
export const DASH = "—";

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Integer with narrow-space digit grouping: 1234567 → "1 234 567". */
export function formatInt(n: number): string {
  if (!Number.isFinite(n)) return DASH;
  const v = Math.round(n);
  const digits = String(Math.abs(v));
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += THIN;
    out += digits[i];
  }
  return v < 0 ? `−${out}` : out;
}

/** Whole percent of part/whole, or null when there is no meaningful denominator. */
export function percent(part: number, whole: number): number | null {
  if (!Number.isFinite(part) || !Number.isFinite(whole) || whole <= 0) return null;
  return Math.round((part / whole) * 100);
}

/** Scrap share of everything produced (good + scrap), one decimal, or null if nothing produced. */
export function scrapPercent(good: number, scrap: number): number | null {
  const total = good + scrap;
  if (!Number.isFinite(total) || total <= 0) return null;
  return Math.round((scrap / total) * 1000) / 10;
}

export function formatPercent(p: number | null, decimals = 0): string {
  if (p === null) return DASH;
  return `${p.toFixed(decimals)}${NBSP}%`;
}

/** Error rate as a percentage with one decimal; tiny non-zero rates read "< 0.1 %", not "0.0 %". */
/** A 0–1 ratio as a percentage; `null` (an f64 the backend could not express) is a dash. */
export function formatRatio(r: number | null, decimals = 0): string {
  return formatPercent(r === null ? null : r * 100, decimals);
}

export function formatRate(part: number, whole: number): string {
  if (!Number.isFinite(part) || !Number.isFinite(whole) || whole <= 0) return DASH;
  const p = (part / whole) * 100;
  if (p > 0 && p < 0.1) return `<${NBSP}0.1${NBSP}%`;
  return formatPercent(p, 1);
}

/** Messages per second: one decimal under 10 ("0.4", "7.5"), whole and grouped above ("1 234"); 0 reads "0". */
export function formatPerSecond(n: number | null): string {
  if (n === null || !Number.isFinite(n) || n < 0) return DASH;
  if (n === 0) return "0";
  if (n < 10) return n.toFixed(1);
  return formatInt(n);
}

/** "1 234 / 1 310 (94 %)" */
export function formatProgress(output: number, targetSoFar: number): string {
  return `${formatInt(output)} / ${formatInt(targetSoFar)} (${formatPercent(percent(output, targetSoFar))})`;
}

export type ProgressLevel = "ok" | "warn" | "bad" | "none";

/** Attainment against the target so far: ≥ 95 % on track, ≥ 85 % behind, below that far behind. */
export function progressLevel(p: number | null): ProgressLevel {
  if (p === null) return "none";
  if (p >= 95) return "ok";
  if (p >= 85) return "warn";
  return "bad";
}

/**
 * Time in state. Under an hour "mm:ss" (04:07), under a day "h:mm h" (1:05 h),
 * beyond that "2 d 03 h". Negative spans (clock skew) clamp to zero.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return DASH;
  const total = Math.floor(Math.max(0, ms) / 1000);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  if (h === 0) return `${pad2(m)}:${pad2(s)}`;
  if (h < 24) return `${h}:${pad2(m)}${NBSP}h`;
  return `${Math.floor(h / 24)}${NBSP}d ${pad2(h % 24)}${NBSP}h`;
}

/** Time in state since `sinceMs`, or a dash when unknown. */
export function timeInState(sinceMs: number | null, nowMs: number): string {
  return sinceMs === null ? DASH : formatDuration(nowMs - sinceMs);
}

/** Coarse age: "42 s", "12 min", "3 h", "2 d". */
export function formatAgo(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}${NBSP}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}${NBSP}min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}${NBSP}h`;
  return `${Math.floor(h / 24)}${NBSP}d`;
}

/** Badge for a feed that is not live: "STALE · last msg 42 s ago", "OFFLINE · no data". */
export function feedBadgeText(feed: FeedHealth, lastMessageMs: number | null, nowMs: number): string | null {
  if (feed === "live") return null;
  const label = feed === "stale" ? "STALE" : "OFFLINE";
  if (lastMessageMs === null) return `${label} · no data`;
  return `${label} · last msg ${formatAgo(nowMs - lastMessageMs)} ago`;
}

/** Local wall clock "HH:MM:SS". */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Local "HH:MM". */
export function formatHm(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** Local "YYYY-MM-DD HH:MM:SS". */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatClock(ms)}`;
}

/** Local time of day when `ms` is on the same local day as `nowMs`, date and time otherwise. */
export function formatWhen(ms: number | null, nowMs: number): string {
  if (ms === null) return DASH;
  const a = new Date(ms);
  const b = new Date(nowMs);
  const sameDay =
    a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  return sameDay ? formatClock(ms) : formatDateTime(ms);
}

/** Humanises a path segment id for headings: "body_shop" → "body shop". */
export function humanize(id: string): string {
  return id.replace(/[_-]+/g, " ").trim();
}

/** A measurement for a tooltip: "temperature 71.5" (at most 3 decimals; — when unknown). */
export function formatMeasurement(m: Measurement): string {
  const v = m.value;
  const text = v == null || !Number.isFinite(v) ? DASH : String(Math.round(v * 1000) / 1000);
  return `${m.name} ${text}`;
}
