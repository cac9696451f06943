import { describe, expect, it } from "vitest";
import {
  feedBadgeText,
  formatAgo,
  formatDuration,
  formatInt,
  formatMeasurement,
  formatPercent,
  formatPerSecond,
  formatProgress,
  formatRate,
  humanize,
  NBSP,
  percent,
  progressLevel,
  scrapPercent,
  THIN,
  timeInState,
} from "./format";

/** Makes the non-breaking spaces visible-as-plain in expectations. */
const plain = (s: string | null) => s?.replaceAll(THIN, " ").replaceAll(NBSP, " ") ?? null;

describe("formatInt", () => {
  it("groups thousands with a narrow no-break space", () => {
    expect(formatInt(0)).toBe("0");
    expect(formatInt(999)).toBe("999");
    expect(formatInt(1234)).toBe(`1${THIN}234`);
    expect(plain(formatInt(1234567))).toBe("1 234 567");
    expect(plain(formatInt(-4500))).toBe("−4 500");
    expect(formatInt(12.6)).toBe("13");
    expect(formatInt(Number.NaN)).toBe("—");
  });
});

describe("percent", () => {
  it("rounds to whole percent", () => {
    expect(percent(1234, 1310)).toBe(94);
    expect(percent(1310, 1310)).toBe(100);
    expect(percent(1500, 1000)).toBe(150);
  });
  it("is null without a target", () => {
    expect(percent(10, 0)).toBeNull();
    expect(percent(10, -5)).toBeNull();
  });
  it("formats with a unit", () => {
    expect(plain(formatPercent(94))).toBe("94 %");
    expect(plain(formatPercent(1.04, 1))).toBe("1.0 %");
    expect(formatPercent(null)).toBe("—");
  });
  it("renders the output/target line", () => {
    expect(plain(formatProgress(1234, 1310))).toBe("1 234 / 1 310 (94 %)");
    expect(plain(formatProgress(0, 0))).toBe("0 / 0 (—)");
  });
  it("computes scrap share of everything produced", () => {
    expect(scrapPercent(990, 10)).toBe(1);
    expect(scrapPercent(1234, 12)).toBe(1);
    expect(scrapPercent(0, 0)).toBeNull();
    expect(scrapPercent(0, 5)).toBe(100);
  });
  it("formats error rates without hiding small ones", () => {
    expect(plain(formatRate(3, 184_220))).toBe("< 0.1 %");
    expect(plain(formatRate(0, 10))).toBe("0.0 %");
    expect(plain(formatRate(1, 8))).toBe("12.5 %");
    expect(formatRate(1, 0)).toBe("—");
  });
  it("formats message rates", () => {
    expect(formatPerSecond(0)).toBe("0");
    expect(formatPerSecond(0.04)).toBe("0.0");
    expect(formatPerSecond(7.46)).toBe("7.5");
    expect(plain(formatPerSecond(1234.4))).toBe("1 234");
    expect(formatPerSecond(Number.NaN)).toBe("—");
    expect(formatPerSecond(null)).toBe("—");
  });
  it("grades attainment", () => {
    expect(progressLevel(null)).toBe("none");
    expect(progressLevel(100)).toBe("ok");
    expect(progressLevel(95)).toBe("ok");
    expect(progressLevel(94)).toBe("warn");
    expect(progressLevel(85)).toBe("warn");
    expect(progressLevel(84)).toBe("bad");
  });
});

describe("formatDuration", () => {
  it("uses mm:ss under an hour", () => {
    expect(formatDuration(0)).toBe("00:00");
    expect(formatDuration(999)).toBe("00:00");
    expect(formatDuration(7_000)).toBe("00:07");
    expect(formatDuration(4 * 60_000 + 7_000)).toBe("04:07");
    expect(formatDuration(3_599_999)).toBe("59:59");
  });
  it("uses h:mm from an hour on", () => {
    expect(plain(formatDuration(3_600_000))).toBe("1:00 h");
    expect(plain(formatDuration(3_600_000 + 5 * 60_000 + 59_000))).toBe("1:05 h");
    expect(plain(formatDuration(23 * 3_600_000 + 59 * 60_000))).toBe("23:59 h");
  });
  it("uses days beyond 24 h", () => {
    expect(plain(formatDuration(2 * 86_400_000 + 3 * 3_600_000))).toBe("2 d 03 h");
  });
  it("clamps negative spans (clock skew) to zero", () => {
    expect(formatDuration(-5_000)).toBe("00:00");
  });
  it("ticks from state_since_ms", () => {
    expect(timeInState(null, 1000)).toBe("—");
    expect(timeInState(10_000, 75_000)).toBe("01:05");
  });
});

describe("feed badge", () => {
  const now = 1_000_000;
  it("is absent for a live feed", () => {
    expect(feedBadgeText("live", now - 1000, now)).toBeNull();
  });
  it("says STALE with the age of the last message", () => {
    expect(plain(feedBadgeText("stale", now - 42_000, now))).toBe("STALE · last msg 42 s ago");
  });
  it("says OFFLINE, in minutes when older", () => {
    expect(plain(feedBadgeText("offline", now - 12 * 60_000 - 5_000, now))).toBe("OFFLINE · last msg 12 min ago");
  });
  it("handles a feed that never delivered", () => {
    expect(feedBadgeText("offline", null, now)).toBe("OFFLINE · no data");
  });
  it("coarsens ages", () => {
    expect(plain(formatAgo(59_999))).toBe("59 s");
    expect(plain(formatAgo(3 * 3_600_000))).toBe("3 h");
    expect(plain(formatAgo(2 * 86_400_000))).toBe("2 d");
    expect(plain(formatAgo(-10))).toBe("0 s");
  });
});

describe("humanize", () => {
  it("turns ids into words", () => {
    expect(humanize("body_shop")).toBe("body shop");
    expect(humanize("final-assembly")).toBe("final assembly");
  });
});

describe("formatMeasurement", () => {
  it("names the value, rounded to 3 decimals", () => {
    expect(formatMeasurement({ name: "temperature", value: 71.5, at_ms: 0 })).toBe("temperature 71.5");
    expect(formatMeasurement({ name: "speed", value: 1 / 3, at_ms: 0 })).toBe("speed 0.333");
    expect(formatMeasurement({ name: "x", value: null, at_ms: 0 })).toBe("x —");
  });
});
