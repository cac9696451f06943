// Browser-only stand-in for the Rust backend (dev server outside Tauri). Never bundled in
// production builds: main.ts imports it behind `import.meta.env.DEV`.
//
// URL switches: ?broker=down  ?database=down  ?theme=light  ?keys=2  (keys typed after load)
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { AlertsView, PlantSnapshot, PlantUpdate, SettingsView, StateKind, WorkCenterLive } from "../lib/backend";
import { theme } from "../lib/theme.svelte";
import { DEMO_REASON_TREE, DemoLineDetails } from "./demoLineDetail";
import { link, makeDemoSnapshot } from "./demoPlant";

const CYCLE: readonly StateKind[] = ["running", "running", "running", "idle", "starved", "blocked", "down", "changeover"];

export function installDemoBackend(): void {
  const params = new URLSearchParams(location.search);
  const t = params.get("theme");
  if (t === "light" || t === "dark") theme.set(t);
  const now = Date.now();
  let snap: PlantSnapshot = makeDemoSnapshot(now);
  if (params.get("broker") === "down") {
    snap = {
      ...snap,
      broker: link(
        "down",
        "mqtts://broker.plant.local:8883",
        now - 95_000,
        "connection refused (os error 111)",
        "Check Settings → MQTT broker → Host and Port",
      ),
    };
  }
  if (params.get("database") === "down") {
    snap = {
      ...snap,
      database: link("down", "sqlite:///var/lib/takt/takt.db", now - 30_000, "unable to open database file", "Check Settings → Database URL"),
    };
  }
  let settings: SettingsView = {
    settings: {
      broker: null,
      database_url: null,
      stale_after_s: 10,
      offline_after_s: 60,
      downtime: { micro_stop_threshold_s: 120, reasons: DEMO_REASON_TREE },
    },
    has_password: false,
    settings_path: "~/.config/takt/settings.toml",
    database_path: "~/.local/share/takt/takt.db",
    demo: true,
    load_error: null,
  };

  if (params.get("broker") === "down") {
    settings = {
      ...settings,
      settings: {
        ...settings.settings,
        broker: { host: "broker.plant.local", port: 8883, tls: true, username: "supervisor", password: null, topic_root: "acme", client_id: "takt-desk-1" },
      },
      has_password: true,
      demo: false,
    };
  }

  let alerts: AlertsView = {
    version: 1,
    unacknowledged: 2,
    alerts: [
      {
        id: 2,
        kind: "down_too_long",
        severity: "critical",
        subject: "acme/freiburg/packaging/line-2/labeler",
        subject_name: "Labeler",
        message: "Down for 34 min (reason E-101)",
        raised_ms: now - 24 * 60_000,
        cleared_ms: null,
        acknowledged: null,
      },
      {
        id: 1,
        kind: "scrap_over_limit",
        severity: "warning",
        subject: "acme/freiburg/molding/line-5/press-2",
        subject_name: "Press 2",
        message: "Scrap 6.4 % this shift (41 of 640); limit 5 %",
        raised_ms: now - 55 * 60_000,
        cleared_ms: now - 12 * 60_000,
        acknowledged: null,
      },
    ],
  };
  const acknowledge = (ids: number[]) => {
    const list = alerts.alerts.map((a) => (ids.includes(a.id) && !a.acknowledged ? { ...a, acknowledged: { by: "supervisor", at_ms: Date.now() } } : a));
    alerts = { version: alerts.version + 1, alerts: list, unacknowledged: list.filter((a) => !a.acknowledged).length };
    void emit("alerts-update", alerts);
  };

  const details = new DemoLineDetails(now);

  mockIPC(
    (cmd, args) => {
      switch (cmd) {
        case "get_snapshot":
          return snap;
        case "get_line_detail":
          return details.detail((args as { line: string }).line);
        case "edit_downtime": {
          const a = args as { line: string; action: Parameters<DemoLineDetails["edit"]>[1] };
          return details.edit(a.line, a.action);
        }
        case "get_live_oee":
          return details.live(snap.lines.map((l) => l.path));
        case "get_alerts":
          return alerts;
        case "acknowledge_alert":
          acknowledge([(args as { id: number }).id]);
          return null;
        case "acknowledge_all_alerts":
          acknowledge(alerts.alerts.map((a) => a.id));
          return null;
        case "get_settings":
          return settings;
        case "save_settings": {
          const a = args as { settings: SettingsView["settings"]; password: string | null };
          if (a.settings.broker?.host === "fail") throw { kind: "settings", message: "broker.host: cannot resolve 'fail'" };
          settings = { ...settings, settings: a.settings, has_password: a.password === null ? settings.has_password : a.password !== "", demo: a.settings.broker === null };
          return null;
        }
        case "restart_app":
          location.reload();
          return null;
        default:
          throw `unknown command ${cmd}`;
      }
    },
    { shouldMockEvents: true },
  );

  const keys = params.get("keys");
  if (keys) {
    setTimeout(() => {
      for (const key of keys) window.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
    }, 300);
  }

  // Every ~2 s one work center changes state; counts tick up.
  let version = snap.version;
  setInterval(() => {
    version++;
    const t = Date.now();
    const i = Math.floor(Math.random() * snap.work_centers.length);
    const old = snap.work_centers[i];
    if (!old || old.feed !== "live") return;
    const kind = CYCLE[Math.floor(Math.random() * CYCLE.length)] ?? "running";
    const wc: WorkCenterLive = {
      ...old,
      state: { kind, reason: kind === "down" ? "E-101 jam" : null },
      state_since_ms: kind === old.state.kind ? old.state_since_ms : t,
      good: old.good + (kind === "running" ? 1 : 0),
      last_message_ms: t,
      version,
    };
    const lines = snap.lines
      .filter((l) => l.work_centers.includes(wc.path) && l.feed === "live" && l.target_shift > 0 && kind === "running")
      .map((l) => ({ ...l, output: l.output + 1, target_so_far: l.target_so_far + 1, version }));
    const update: PlantUpdate = {
      full: false,
      version,
      generated_ms: t,
      lines,
      work_centers: [wc],
      broker: snap.broker,
      database: snap.database,
      diagnostics: { ...snap.diagnostics, messages_total: snap.diagnostics.messages_total + 7 },
    };
    snap = {
      ...snap,
      version,
      work_centers: snap.work_centers.map((w) => (w.path === wc.path ? wc : w)),
      lines: snap.lines.map((l) => lines.find((n) => n.path === l.path) ?? l),
      diagnostics: update.diagnostics,
    };
    void emit("plant-update", update);
  }, 2000);
}
