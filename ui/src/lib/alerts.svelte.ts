import type { Alert, AlertsView, Backend, Unsubscribe } from "./backend";
import { errorMessage } from "./backend";

/**
 * The andon list. Subscribes to `alerts-update` before fetching, and keeps whichever view is
 * newer (each carries a version), so an update racing the fetch is never lost.
 */
export class AlertStore {
  view = $state.raw<AlertsView>({ alerts: [], unacknowledged: 0, version: -1 });
  error = $state<string | null>(null);

  alerts = $derived(this.view.alerts);
  unacknowledged = $derived(this.view.unacknowledged);
  open = $derived(this.view.alerts.filter((a) => a.cleared_ms === null));

  readonly #backend: Backend;
  #unlisten: Unsubscribe | null = null;
  #stopped = false;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    try {
      const unlisten = await this.#backend.onAlertsUpdate((v) => this.#accept(v));
      if (this.#stopped) {
        unlisten();
        return;
      }
      this.#unlisten = unlisten;
    } catch (e) {
      console.error("alerts-update subscription failed", e);
    }
    try {
      this.#accept(await this.#backend.getAlerts());
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#unlisten?.();
    this.#unlisten = null;
  }

  async acknowledge(alert: Alert): Promise<void> {
    const r = await this.#backend.acknowledgeAlert(alert.id);
    this.error = r.status === "ok" ? null : r.error.message;
    await this.#refresh();
  }

  async acknowledgeAll(): Promise<void> {
    try {
      await this.#backend.acknowledgeAllAlerts();
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
    await this.#refresh();
  }

  async #refresh(): Promise<void> {
    try {
      this.#accept(await this.#backend.getAlerts());
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  #accept(v: AlertsView): void {
    if (this.#stopped || v.version < this.view.version) return;
    this.view = v;
  }
}
