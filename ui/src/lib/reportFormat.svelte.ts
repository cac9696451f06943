import type { ReportFormat } from "./backend";
import { loadChoice, saveChoice } from "./storage";

export const REPORT_FORMAT_KEY = "takt.reportFormat";

/** The formats the tiles offer, in the order of the menu. */
export const REPORT_FORMATS: readonly { id: ReportFormat; label: string; hint: string }[] = [
  { id: "png", label: "PNG", hint: "a picture, for mail and chat" },
  { id: "svg", label: "SVG", hint: "sharp at any size, for the browser" },
  { id: "pdf", label: "PDF", hint: "one A4 page, to print or archive" },
];

function isFormat(v: unknown): v is ReportFormat {
  return REPORT_FORMATS.some((f) => f.id === v);
}

function readStored(): ReportFormat {
  const v = loadChoice(REPORT_FORMAT_KEY);
  return isFormat(v) ? v : "png";
}

/** One choice for every tile, kept across restarts like the theme. */
class ReportFormatState {
  current = $state<ReportFormat>(readStored());

  /** Re-reads the persisted choice (at start, like the theme). */
  init(): void {
    this.current = readStored();
  }

  set(format: ReportFormat): void {
    this.current = format;
    saveChoice(REPORT_FORMAT_KEY, format);
  }

  /** From a `<select>`'s value; anything else is ignored. */
  pick(value: string): void {
    if (isFormat(value)) this.set(value);
  }
}

export const reportFormat = new ReportFormatState();
