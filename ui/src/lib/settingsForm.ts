import type { AlertRules, BrokerSettings, DowntimeSettings, Settings, SettingsView, SparkplugSettings, UnsMapping } from "./backend";
import { draftsFromTree, treeFromDrafts, validateReasons, type ReasonDraft } from "./reasonTree";

/** Editable, string-typed mirror of `Settings` (inputs hold text; parsing happens on save). */
export type SettingsForm = {
  source: "demo" | "broker";
  host: string;
  port: string;
  tls: boolean;
  username: string;
  /** New password; empty = keep the stored one. Never pre-filled. */
  password: string;
  clearPassword: boolean;
  topicRoot: string;
  clientId: string;
  database: "embedded" | "url";
  databaseUrl: string;
  staleAfter: string;
  offlineAfter: string;
  /** Micro-stop threshold in seconds (`downtime.micro_stop_threshold_s`). */
  microStop: string;
  /** Alert thresholds: not edited in the dialog (yet), but kept when saving. */
  alerts?: AlertRules;
  /** Days of history to keep (`history_retention_days`); 0 keeps everything. */
  retentionDays: string;
  /** Sparkplug B host settings: edited in the settings file, kept when saving. */
  sparkplug?: SparkplugSettings | null;
  /** UNS topic mapping (`broker.uns`): edited in the settings file, kept when saving. */
  uns?: UnsMapping | null;
  /**
   * The reason tree being edited; `null` when the settings carried none and nothing was added
   * (then none is sent and the backend keeps its default).
   */
  reasons: ReasonDraft[] | null;
  /** The downtime section as loaded: its other fields are kept when saving. */
  downtime?: DowntimeSettings;
};

export type FieldErrors = Partial<Record<keyof SettingsForm, string>>;

export const DEFAULT_BROKER: BrokerSettings = {
  host: "",
  port: 1883,
  tls: false,
  username: null,
  password: null,
  topic_root: "",
  client_id: "",
};

export function formFromView(view: SettingsView): SettingsForm {
  const s = view.settings;
  const b = s.broker ?? DEFAULT_BROKER;
  return {
    source: s.broker ? "broker" : "demo",
    host: b.host,
    port: String(b.port),
    // Fields with serde defaults are optional in the generated types.
    tls: b.tls ?? false,
    username: b.username ?? "",
    password: "",
    clearPassword: false,
    topicRoot: b.topic_root ?? "",
    clientId: b.client_id ?? "",
    database: s.database_url == null ? "embedded" : "url",
    databaseUrl: s.database_url ?? "",
    staleAfter: String(s.stale_after_s ?? 30),
    offlineAfter: String(s.offline_after_s ?? 300),
    microStop: String(s.downtime?.micro_stop_threshold_s ?? 120),
    ...(s.alerts ? { alerts: s.alerts } : {}),
    retentionDays: String(s.history_retention_days ?? 365),
    reasons: s.downtime?.reasons ? draftsFromTree(s.downtime.reasons) : null,
    ...(s.downtime ? { downtime: s.downtime } : {}),
    ...(b.sparkplug ? { sparkplug: b.sparkplug } : {}),
    ...(b.uns ? { uns: b.uns } : {}),
  };
}

function parseIntStrict(v: string): number | null {
  const t = v.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

export function validate(f: SettingsForm): FieldErrors {
  const e: FieldErrors = {};
  if (f.source === "broker") {
    const host = f.host.trim();
    if (host === "") e.host = "Host is required.";
    else if (/\s/.test(host)) e.host = "Host must not contain spaces.";
    else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) e.host = "Enter the host name only, without a scheme (use the TLS switch).";
    const port = parseIntStrict(f.port);
    if (port === null || port < 1 || port > 65535) e.port = "Port must be a whole number from 1 to 65535.";
    if (/[+#]/.test(f.topicRoot)) e.topicRoot = "Topic root must not contain MQTT wildcards (+ or #).";
    if (/\s/.test(f.clientId.trim())) e.clientId = "Client ID must not contain spaces.";
  }
  if (f.database === "url" && f.databaseUrl.trim() === "") e.databaseUrl = "Database URL is required (or choose the embedded database).";
  const stale = parseIntStrict(f.staleAfter);
  const offline = parseIntStrict(f.offlineAfter);
  if (stale === null || stale < 1) e.staleAfter = "Whole number of seconds, at least 1.";
  if (offline === null || offline < 1) e.offlineAfter = "Whole number of seconds, at least 1.";
  else if (stale !== null && stale >= 1 && offline <= stale) e.offlineAfter = "Must be longer than the stale threshold.";
  const keep = parseIntStrict(f.retentionDays);
  if (keep === null || keep > 36_500) e.retentionDays = "Whole number of days, 0 to 36500 (0: keep everything).";
  const micro = parseIntStrict(f.microStop);
  if (micro === null || micro > 3600) e.microStop = "Whole number of seconds, 0 to 3600 (0: no micro-stops).";
  // Per-row messages come from validateReasons; this one only blocks Save and sums them up.
  const bad = Object.keys(validateReasons(f.reasons ?? [])).length;
  if (bad > 0) e.reasons = bad === 1 ? "One reason needs fixing." : `${bad} reasons need fixing.`;
  return e;
}

/** Builds the `Settings` to send. Only call on a form that `validate` accepted. */
export function settingsFromForm(f: SettingsForm): Settings {
  const broker: BrokerSettings | null =
    f.source === "broker"
      ? {
          host: f.host.trim(),
          port: Number(f.port.trim()),
          tls: f.tls,
          username: f.username.trim() === "" ? null : f.username.trim(),
          password: null, // travels separately, see passwordArg
          topic_root: f.topicRoot.trim(),
          client_id: f.clientId.trim(),
          ...(f.sparkplug ? { sparkplug: f.sparkplug } : {}),
          ...(f.uns ? { uns: f.uns } : {}),
        }
      : null;
  return {
    broker,
    database_url: f.database === "url" ? f.databaseUrl.trim() : null,
    stale_after_s: Number(f.staleAfter.trim()),
    offline_after_s: Number(f.offlineAfter.trim()),
    ...(f.alerts ? { alerts: f.alerts } : {}),
    history_retention_days: Number(f.retentionDays.trim()),
    downtime: {
      ...f.downtime,
      micro_stop_threshold_s: Number(f.microStop.trim()),
      ...(f.reasons ? { reasons: treeFromDrafts(f.reasons) } : {}),
    },
  };
}

/** `save_settings` password argument: null keeps the stored one, "" clears it, text replaces it. */
export function passwordArg(f: SettingsForm): string | null {
  if (f.source !== "broker") return null;
  if (f.password !== "") return f.password;
  if (f.clearPassword) return "";
  return null;
}
