import type { Backend, PlantSnapshot, PlantUpdate, Unsubscribe, WorkCenterLive } from "./backend";
import { errorMessage } from "./backend";
import { applyUpdate } from "./merge";
import { countStates, groupByArea, indexByPath } from "./hierarchy";

/**
 * Live plant state. Subscribes to `plant-update` *before* fetching the snapshot so no
 * delta is lost in between; deltas that arrive meanwhile are replayed if newer.
 */
export class PlantStore {
  snapshot = $state.raw<PlantSnapshot | null>(null);
  loadError = $state<string | null>(null);

  lines = $derived(this.snapshot?.lines ?? []);
  workCenters = $derived(this.snapshot?.work_centers ?? []);
  workCenterByPath = $derived(indexByPath<WorkCenterLive>(this.workCenters));
  areas = $derived(groupByArea(this.lines));
  stateCounts = $derived(countStates(this.workCenters));

  readonly #backend: Backend;
  #unlisten: Unsubscribe | null = null;
  #ready = false;
  #pending: PlantUpdate[] = [];
  #stopped = false;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    try {
      const unlisten = await this.#backend.onPlantUpdate((u) => this.#onUpdate(u));
      if (this.#stopped) {
        unlisten();
        return;
      }
      this.#unlisten = unlisten;
    } catch (e) {
      // Without live updates the snapshot is still worth showing.
      console.error("plant-update subscription failed", e);
    }
    await this.reload();
  }

  /** (Re-)fetches the full snapshot and replays any deltas received meanwhile. */
  async reload(): Promise<void> {
    this.#ready = false;
    try {
      const snap = await this.#backend.getSnapshot();
      if (this.#stopped) return;
      let next: PlantSnapshot = snap;
      for (const u of this.#pending) if (u.version > snap.version) next = applyUpdate(next, u);
      this.#pending = [];
      this.snapshot = next;
      this.loadError = null;
      this.#ready = true;
    } catch (e) {
      this.loadError = errorMessage(e);
    }
  }

  /** Applies one update (exposed for tests and for a future manual refresh). */
  apply(u: PlantUpdate): void {
    this.snapshot = applyUpdate(this.snapshot, u);
  }

  stop(): void {
    this.#stopped = true;
    this.#unlisten?.();
    this.#unlisten = null;
  }

  #onUpdate(u: PlantUpdate): void {
    if (this.#stopped) return;
    if (!this.#ready) {
      // A full update supersedes everything buffered before it.
      if (u.full) this.#pending = [u];
      else this.#pending.push(u);
      return;
    }
    this.apply(u);
  }
}
