// The only door from the UI to the Rust backend. Everything else imports from here,
// never from ../bindings directly, so the transport can be swapped or mocked in one place.
import { commands, events } from "../bindings";
import type {
  AlertsView,
  AuditAction,
  DetailRange,
  LineDetailView,
  LiveOee,
  PlantSnapshot,
  PlantUpdate,
  Settings,
  SettingsView,
  TaktError,
} from "../bindings";

export type {
  Alert,
  AlertKind,
  AlertRules,
  AlertsView,
  AuditAction,
  BrokerSettings,
  DetailRange,
  Diagnostics,
  DowntimeEvent,
  DowntimeSettings,
  DowntimeRow,
  EventKey,
  Interval,
  LineDetail,
  LineDetailView,
  LiveLineOee,
  LiveOee,
  Measurement,
  Oee,
  OrderRow,
  ParetoRow,
  ReasonChoice,
  ReasonNode,
  ReasonTree,
  StateInterval,
  StopCategory,
  WorkCenterDetail,
  EquipmentPath,
  FeedHealth,
  LineLive,
  LinkState,
  LinkStatus,
  PlantSnapshot,
  PlantUpdate,
  Settings,
  SettingsView,
  ShiftInstance,
  Severity,
  SparkplugSettings,
  StateKind,
  TaktError,
  TopicDiagnostic,
  UnsMapping,
  WorkCenterLive,
  WorkCenterState,
} from "../bindings";

export type SaveResult = { status: "ok"; data: null } | { status: "error"; error: TaktError };
export type Result<T> = { status: "ok"; data: T } | { status: "error"; error: TaktError };

export type Unsubscribe = () => void;

/** What `save_shift_report` draws (the Rust `ReportFormat`, passed as its name). */
export type ReportFormat = "png" | "svg" | "pdf";

export interface Backend {
  getSnapshot(): Promise<PlantSnapshot>;
  getSettings(): Promise<SettingsView>;
  /** `password`: null keeps the stored password, a string replaces it ("" clears it). */
  saveSettings(settings: Settings, password: string | null): Promise<SaveResult>;
  restartApp(): Promise<void>;
  onPlantUpdate(handler: (update: PlantUpdate) => void): Promise<Unsubscribe>;
  getAlerts(): Promise<AlertsView>;
  acknowledgeAlert(id: number): Promise<SaveResult>;
  acknowledgeAllAlerts(): Promise<void>;
  onAlertsUpdate(handler: (view: AlertsView) => void): Promise<Unsubscribe>;
  /** Draws and saves a day's shift report; the result holds the saved file's path. */
  saveShiftReport(line: string, date: string, format: ReportFormat): Promise<Result<string>>;
  /** One line over a shift or range: bands, counters, OEE, losses, downtime. */
  getLineDetail(line: string, range: DetailRange): Promise<Result<LineDetailView>>;
  /** A downtime edit (audited as the signed-in user); the result is the detail after it. */
  editDowntime(line: string, range: DetailRange, action: AuditAction): Promise<Result<LineDetailView>>;
  /** Each line's OEE over its current shift so far. */
  getLiveOee(): Promise<Result<LiveOee>>;
}

const ERROR_KINDS: readonly TaktError["kind"][] = ["settings", "database", "broker", "not_found", "refused", "internal"];

/** Runs a generated command, turning a rejected invoke into an error result too. */
async function call<T>(run: () => Promise<{ status: "ok"; data: T } | { status: "error"; error: unknown }>): Promise<Result<T>> {
  try {
    const r = await run();
    return r.status === "ok" ? { status: "ok", data: r.data } : { status: "error", error: toTaktError(r.error) };
  } catch (e) {
    return { status: "error", error: toTaktError(e) };
  }
}

/** Normalises anything a rejected invoke can carry (TaktError, string, Error) into a TaktError. */
export function toTaktError(e: unknown): TaktError {
  if (typeof e === "object" && e !== null && "message" in e) {
    const { kind, message } = e as { kind?: unknown; message?: unknown };
    if (typeof message === "string") {
      const k = ERROR_KINDS.find((x) => x === kind) ?? "internal";
      return { kind: k, message };
    }
  }
  if (typeof e === "string") return { kind: "internal", message: e };
  return { kind: "internal", message: String(e) };
}

export function errorMessage(e: unknown): string {
  return toTaktError(e).message;
}

export const tauriBackend: Backend = {
  getSnapshot: () => commands.getSnapshot(),
  getSettings: () => commands.getSettings(),
  async saveSettings(settings, password) {
    try {
      const r = await commands.saveSettings(settings, password);
      return r.status === "ok" ? { status: "ok", data: null } : { status: "error", error: toTaktError(r.error) };
    } catch (e) {
      return { status: "error", error: toTaktError(e) };
    }
  },
  restartApp: () => commands.restartApp(),
  async onPlantUpdate(handler) {
    return unsubscriber(await events.plantUpdate.listen((event) => handler(event.payload)));
  },
  getAlerts: () => commands.getAlerts(),
  async acknowledgeAlert(id) {
    try {
      const r = await commands.acknowledgeAlert(id);
      return r.status === "ok" ? { status: "ok", data: null } : { status: "error", error: toTaktError(r.error) };
    } catch (e) {
      return { status: "error", error: toTaktError(e) };
    }
  },
  acknowledgeAllAlerts: () => commands.acknowledgeAllAlerts(),
  saveShiftReport: (line, date, format) => call(() => commands.saveShiftReport(line, date, format)),
  getLineDetail: (line, range) => call(() => commands.getLineDetail(line, range)),
  editDowntime: (line, range, action) => call(() => commands.editDowntime(line, range, action)),
  getLiveOee: () => call(() => commands.getLiveOee()),
  async onAlertsUpdate(handler) {
    return unsubscriber(await events.alertsUpdate.listen((event) => handler(event.payload)));
  },
};

function unsubscriber(unlisten: () => void): Unsubscribe {
  return () => {
    // Unlistening only fails when the IPC bridge is already gone (window closing).
    Promise.resolve()
      .then(unlisten)
      .catch(() => {});
  };
}
