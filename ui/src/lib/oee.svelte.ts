import type { Backend, LiveLineOee } from "./backend";

/** How often the overview asks for the shift's OEE (the backend reads the historian at most every 10 s). */
export const LIVE_OEE_POLL_MS = 15_000;

/** Each line's OEE over its current shift, polled for the overview tiles. */
export class LiveOeeStore {
  byLine = $state.raw<ReadonlyMap<string, LiveLineOee>>(new Map());
  error = $state<string | null>(null);

  readonly #backend: Backend;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  start(): void {
    this.stop();
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), LIVE_OEE_POLL_MS);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  async refresh(): Promise<void> {
    const r = await this.#backend.getLiveOee();
    if (r.status === "ok" && Array.isArray(r.data?.lines)) {
      this.byLine = new Map(r.data.lines.map((l) => [l.line, l]));
      this.error = r.data.error;
    } else {
      // Keep the last figures: a failed poll must not blank the tiles.
      this.error = r.status === "error" ? r.error.message : "unexpected answer to get_live_oee";
    }
  }
}
