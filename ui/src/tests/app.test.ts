import { describe, expect, it, vi } from "vitest";
import { render, screen, waitFor, within, fireEvent } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import App from "../App.svelte";
import type { AlertsView, PlantSnapshot, PlantUpdate, Settings, SettingsView, WorkCenterLive } from "../lib/backend";
import { link, makeDemoSnapshot } from "../dev/demoPlant";
import { DemoLineDetails } from "../dev/demoLineDetail";
import { THEME_KEY } from "../lib/theme.svelte";
import { REPORT_FORMAT_KEY } from "../lib/reportFormat.svelte";

const SETTINGS: SettingsView = {
  settings: {
    broker: { host: "broker.plant.local", port: 8883, tls: true, username: "supervisor", password: null, topic_root: "acme", client_id: "takt-desk-1" },
    database_url: null,
    stale_after_s: 10,
    offline_after_s: 60,
    history_retention_days: 365,
  },
  has_password: true,
  settings_path: "/home/sup/.config/takt/settings.toml",
  database_path: "/home/sup/.local/share/takt/takt.db",
  demo: false,
  load_error: null,
};

/** Settings as get_settings sends a reason tree: every field present, children inherit with null. */
const TREE_SETTINGS: SettingsView = {
  ...SETTINGS,
  settings: {
    ...SETTINGS.settings,
    downtime: {
      micro_stop_threshold_s: 120,
      reasons: {
        roots: [
          { code: "MECH", label: "Mechanical", category: "breakdown", children: [{ code: "JAM", label: "Jam", category: null, children: [] }] },
          { code: "SETUP", label: "Setup", category: "setup", children: [{ code: "ADJUST", label: "Adjustment", category: null, children: [] }] },
          { code: "MICRO", label: "Minor stop", category: "micro_stop", children: [] },
        ],
      },
    },
  },
};

type Calls = { cmd: string; args: unknown }[];

/** Fakes the Rust side at the IPC level; `plugin:event|*` is handled by the mocks themselves. */
const NO_ALERTS: AlertsView = { alerts: [], unacknowledged: 0, version: 0 };

function backend(
  snapshot: PlantSnapshot,
  save?: (settings: Settings, password: string | null) => unknown,
  settings: SettingsView = SETTINGS,
  alerts: AlertsView = NO_ALERTS,
): Calls {
  const calls: Calls = [];
  const details = new DemoLineDetails(Date.now());
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args });
      switch (cmd) {
        case "get_live_oee":
          return details.live(snapshot.lines.filter((l) => !l.path.endsWith("line2")).map((l) => l.path));
        case "get_line_detail":
          return details.detail((args as { line: string }).line);
        case "edit_downtime": {
          const a = args as { line: string; action: Parameters<DemoLineDetails["edit"]>[1] };
          return details.edit(a.line, a.action);
        }
        case "get_snapshot":
          return snapshot;
        case "get_settings":
          return settings;
        case "save_settings": {
          const a = args as { settings: Settings; password: string | null };
          return save ? save(a.settings, a.password) : null;
        }
        case "restart_app":
          return null;
        case "get_alerts":
          return alerts;
        case "acknowledge_alert":
        case "acknowledge_all_alerts":
          return null;
        case "save_shift_report": {
          const a = args as { line: string; date: string; format: string };
          if (a.line.endsWith("line2")) throw { kind: "database", message: "no history for line2 on that day" };
          return `/data/reports/shift-report-${a.line.split("/").pop()}-${a.date}.${a.format}`;
        }
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    },
    { shouldMockEvents: true },
  );
  return calls;
}

function lastCall(calls: Calls, cmd: string): Calls[number] | undefined {
  const matching = calls.filter((c) => c.cmd === cmd);
  return matching[matching.length - 1];
}

async function renderApp(snapshot: PlantSnapshot) {
  const result = render(App);
  await waitFor(() => expect(screen.getAllByTestId("line-tile")).toHaveLength(snapshot.lines.length));
  return result;
}

function cell(path: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`[data-testid="wc-cell"][data-path="${path}"]`);
  if (!el) throw new Error(`no cell ${path}`);
  return el;
}

describe("plant overview", () => {
  it("renders six lines with their work-center states from get_snapshot", async () => {
    const now = Date.now();
    const snap = makeDemoSnapshot(now);
    backend(snap);
    await renderApp(snap);

    const overview = screen.getByTestId("view-overview");
    const tiles = within(overview).getAllByTestId("line-tile");
    expect(tiles.map((t) => t.dataset.path)).toEqual(snap.lines.map((l) => l.path));

    // Area headings from the 3rd path segment.
    expect(within(overview).getByRole("heading", { name: /body shop/i })).toBeInTheDocument();
    expect(within(overview).getByRole("heading", { name: /paint/i })).toBeInTheDocument();
    expect(within(overview).getByRole("heading", { name: /assembly/i })).toBeInTheDocument();

    // Every work center is drawn in flow order with its state.
    for (const line of snap.lines) {
      const tile = tiles.find((t) => t.dataset.path === line.path)!;
      const cells = within(tile).getAllByTestId("wc-cell");
      expect(cells.map((c) => c.dataset.path)).toEqual(line.work_centers);
    }
    const down = cell("acme/plant1/body_shop/line2/weld1");
    expect(down.dataset.state).toBe("down");
    expect(down).toHaveTextContent("Down");
    expect(down).toHaveTextContent("E-217 wire feed");
    expect(cell("acme/plant1/assembly/line5/frame").dataset.state).toBe("planned_stop");
    expect(cell("acme/plant1/paint/line4/oven2").dataset.state).toBe("offline");

    // Output vs target with thin-space grouping.
    const line1 = tiles[0]!;
    expect(within(line1).getByTestId("line-output").textContent?.replace(/\s+/g, " ")).toMatch(/1 234 \/ 1 310 \(94 %\)/);
  });

  it("shows no target, not a target of zero, before any product's ideal cycle is known", async () => {
    const snap = makeDemoSnapshot(Date.now());
    const first = snap.lines[0]!;
    snap.lines[0] = { ...first, order: null, product: null, target_so_far: 0, target_shift: 0 };
    backend(snap);
    await renderApp(snap);
    const tile = screen.getAllByTestId("line-tile")[0]!;
    expect(within(tile).getByTestId("line-output").textContent?.replace(/\s+/g, " ")).toMatch(/\/ — \(—\)/);
    expect(within(tile).getByText(/Shift target/).textContent?.replace(/\s+/g, " ").trim()).toBe("Shift target —");
  });

  it("marks a stale line with a STALE badge", async () => {
    const snap = makeDemoSnapshot(Date.now());
    backend(snap);
    await renderApp(snap);
    const tile = document.querySelector<HTMLElement>('[data-testid="line-tile"][data-path="acme/plant1/paint/line4"]')!;
    expect(tile.dataset.feed).toBe("stale");
    const badges = within(tile).getAllByTestId("feed-badge");
    expect(badges[0]?.textContent?.replace(/\s/g, " ")).toMatch(/^STALE · last msg 4\d s ago$/);
    // live tiles carry no badge
    const live = document.querySelector<HTMLElement>('[data-testid="line-tile"][data-path="acme/plant1/paint/line3"]')!;
    expect(within(live).queryByTestId("feed-badge")).toBeNull();
  });

  it("applies a plant-update delta to one work center", async () => {
    const now = Date.now();
    const snap = makeDemoSnapshot(now, 1);
    backend(snap);
    await renderApp(snap);

    const path = "acme/plant1/paint/line3/ecoat";
    expect(cell(path).dataset.state).toBe("running");
    const before = snap.work_centers.find((w) => w.path === path)!;
    const changed: WorkCenterLive = { ...before, state: { kind: "down", reason: "F-42 pump" }, state_since_ms: now, version: 2 };
    const update: PlantUpdate = {
      full: false,
      version: 2,
      generated_ms: now,
      lines: [],
      work_centers: [changed],
      broker: snap.broker,
      database: snap.database,
      diagnostics: snap.diagnostics,
    };
    await emit("plant-update", update);

    await waitFor(() => expect(cell(path).dataset.state).toBe("down"));
    expect(cell(path)).toHaveTextContent("F-42 pump");
    // neighbours untouched
    expect(cell("acme/plant1/paint/line3/oven").dataset.state).toBe("running");
    expect(screen.getAllByTestId("wc-cell")).toHaveLength(snap.work_centers.length);
  });

  it("replaces everything on a full update", async () => {
    const now = Date.now();
    const snap = makeDemoSnapshot(now, 1);
    backend(snap);
    await renderApp(snap);
    const keep = snap.lines[0]!;
    await emit("plant-update", {
      full: true,
      version: 9,
      generated_ms: now,
      lines: [keep],
      work_centers: snap.work_centers.filter((w) => keep.work_centers.includes(w.path)),
      broker: snap.broker,
      database: snap.database,
      diagnostics: snap.diagnostics,
    } satisfies PlantUpdate);
    await waitFor(() => expect(screen.getAllByTestId("line-tile")).toHaveLength(1));
  });

  it("moves focus between tiles with the arrow keys", async () => {
    const snap = makeDemoSnapshot(Date.now());
    backend(snap);
    await renderApp(snap);
    const tiles = screen.getAllByTestId("line-tile");
    tiles[0]!.focus();
    await fireEvent.keyDown(tiles[0]!, { key: "ArrowRight" });
    expect(document.activeElement).toBe(tiles[1]);
    await fireEvent.keyDown(tiles[1]!, { key: "End" });
    expect(document.activeElement).toBe(tiles[5]);
  });
});

describe("status bar", () => {
  it("shows the broker down with its error and hint, and opens settings", async () => {
    const now = Date.now();
    const snap: PlantSnapshot = {
      ...makeDemoSnapshot(now),
      broker: link("down", "mqtts://broker.plant.local:8883", now - 60_000, "connection refused (os error 111)", "Check Settings → MQTT broker → Host"),
    };
    backend(snap);
    await renderApp(snap);

    const broker = screen.getByTestId("link-broker");
    expect(broker.dataset.state).toBe("down");
    expect(broker).toHaveTextContent("mqtts://broker.plant.local:8883");
    expect(within(broker).getByTestId("link-error")).toHaveTextContent("connection refused (os error 111)");
    expect(within(broker).getByTestId("link-hint")).toHaveTextContent("Check Settings → MQTT broker → Host");
    expect(screen.getByTestId("link-database").dataset.state).toBe("connected");
    expect(within(screen.getByTestId("link-database")).queryByTestId("link-hint")).toBeNull();

    await userEvent.click(within(broker).getByRole("button", { name: /settings/i }));
    expect(await screen.findByTestId("settings-dialog")).toBeInTheDocument();
  });

  it("shows totals and opens diagnostics on click", async () => {
    const snap = makeDemoSnapshot(Date.now());
    backend(snap);
    await renderApp(snap);
    const errors = screen.getByTestId("errors-total");
    expect(errors).toHaveTextContent("3");
    await userEvent.click(errors);
    const diag = await screen.findByTestId("view-diagnostics");
    const rows = within(diag).getAllByTestId("topic-row");
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r.classList.contains("has-errors"))).toHaveLength(2);
    // Sparkplug gaps and rebirths: their own columns and totals, marked but not as errors.
    const torque = rows.find((r) => r.dataset.topic?.includes("DDATA/line6/torque"));
    expect(torque?.classList.contains("has-gaps")).toBe(true);
    expect(torque).toHaveTextContent("2 (seq gap)");
    expect(within(torque!).getByTestId("topic-rate")).toHaveTextContent("2.5");
    expect(within(diag).getByTestId("diag-seq-gaps")).toHaveTextContent("3");
    expect(within(diag).getByTestId("diag-rebirths")).toHaveTextContent("2");
    expect(within(diag).getByTestId("diag-rate")).toHaveTextContent("54");

    // sort by errors: most errors first
    await userEvent.click(within(diag).getByTestId("sort-errors"));
    expect(within(diag).getAllByTestId("topic-row")[0]?.dataset.topic).toBe("acme/plant1/body_shop/line2/+/state");
  });
});

describe("settings file errors", () => {
  it("says the settings file is unreadable and that the demo runs instead", async () => {
    const snap = makeDemoSnapshot(Date.now());
    backend(snap, undefined, { ...SETTINGS, demo: true, load_error: "settings file /x/settings.json is not valid: EOF" });
    await renderApp(snap);
    const banner = await screen.findByTestId("settings-error");
    expect(banner).toHaveTextContent(/unreadable/);
    expect(banner).toHaveTextContent("/x/settings.json is not valid");
  });
});

/** Opens the settings dialog on TREE_SETTINGS; `row` finds a reason's row by its full code. */
async function openReasonTree() {
  const snap = makeDemoSnapshot(Date.now());
  const calls = backend(snap, undefined, TREE_SETTINGS);
  await renderApp(snap);
  await userEvent.keyboard(",");
  const dialog = await screen.findByTestId("settings-dialog");
  await within(dialog).findByTestId("reason-tree");
  const row = (path: string) => within(dialog).getByRole("group", { name: path });
  return { calls, dialog, row };
}

describe("settings dialog", () => {
  it("shows the TaktError returned by save_settings", async () => {
    const snap = makeDemoSnapshot(Date.now());
    const calls = backend(snap, () => {
      throw { kind: "settings", message: "broker.port: connection refused by 10.0.0.5:1884" };
    });
    await renderApp(snap);

    await userEvent.keyboard(",");
    const dialog = await screen.findByTestId("settings-dialog");
    const host = await within(dialog).findByLabelText("Host");
    expect(host).toHaveValue("broker.plant.local");
    expect(within(dialog).getByTestId("settings-path")).toHaveTextContent(SETTINGS.settings_path);
    expect(within(dialog).getByLabelText("Password")).toHaveValue("");

    const port = within(dialog).getByLabelText("Port");
    await userEvent.clear(port);
    await userEvent.type(port, "1884");
    await userEvent.click(screen.getByTestId("settings-save"));

    const err = await screen.findByTestId("settings-error");
    expect(err).toHaveTextContent("Invalid settings");
    expect(err).toHaveTextContent("broker.port: connection refused by 10.0.0.5:1884");
    const save = calls.find((c) => c.cmd === "save_settings");
    expect(save?.args).toMatchObject({ settings: { broker: { port: 1884, host: "broker.plant.local" } }, password: null });
    expect(screen.queryByTestId("settings-saved")).toBeNull();
  });

  it("validates before saving", async () => {
    const snap = makeDemoSnapshot(Date.now());
    const calls = backend(snap);
    await renderApp(snap);
    await userEvent.keyboard(",");
    const dialog = await screen.findByTestId("settings-dialog");
    const host = await within(dialog).findByLabelText("Host");
    await userEvent.clear(host);
    const port = within(dialog).getByLabelText("Port");
    await userEvent.clear(port);
    await userEvent.type(port, "0");
    await userEvent.click(screen.getByTestId("settings-save"));
    expect(await within(dialog).findByText("Host is required.")).toBeInTheDocument();
    expect(within(dialog).getByText(/Port must be a whole number from 1 to 65535/)).toBeInTheDocument();
    expect(host).toHaveAttribute("aria-invalid", "true");
    expect(calls.some((c) => c.cmd === "save_settings")).toBe(false);
  });

  it("keeps history for the number of days entered", async () => {
    const snap = makeDemoSnapshot(Date.now());
    const calls = backend(snap);
    await renderApp(snap);
    await userEvent.keyboard(",");
    const dialog = await screen.findByTestId("settings-dialog");
    const keep = await within(dialog).findByLabelText("Keep history");
    expect(keep).toHaveValue("365");
    await userEvent.clear(keep);
    await userEvent.type(keep, "forever");
    await userEvent.click(screen.getByTestId("settings-save"));
    expect(await within(dialog).findByText(/Whole number of days, 0 to 36500/)).toBeInTheDocument();
    expect(calls.some((c) => c.cmd === "save_settings")).toBe(false);
    await userEvent.clear(keep);
    await userEvent.type(keep, "90");
    await userEvent.click(screen.getByTestId("settings-save"));
    await screen.findByTestId("settings-saved");
    expect(lastCall(calls, "save_settings")?.args).toMatchObject({ settings: { history_retention_days: 90 } });
  });

  it("saves, offers a restart, and switches to the demo plant", async () => {
    const snap = makeDemoSnapshot(Date.now());
    const calls = backend(snap);
    await renderApp(snap);
    await userEvent.keyboard(",");
    const dialog = await screen.findByTestId("settings-dialog");
    await within(dialog).findByLabelText("Host");
    await userEvent.click(within(dialog).getByTestId("source-demo"));
    expect(within(dialog).queryByLabelText("Host")).toBeNull();
    await userEvent.click(screen.getByTestId("settings-save"));
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("Saved — restart Takt to apply.");
    const save = calls.find((c) => c.cmd === "save_settings");
    expect(save?.args).toEqual({
      // A file without a downtime section gets the default micro-stop threshold (the tree defaults in Rust).
      settings: { broker: null, database_url: null, stale_after_s: 10, offline_after_s: 60, history_retention_days: 365, downtime: { micro_stop_threshold_s: 120 } },
      password: null,
    });
    await userEvent.click(screen.getByTestId("restart-button"));
    await waitFor(() => expect(calls.some((c) => c.cmd === "restart_app")).toBe(true));
  });

  it("edits the reason tree and saves exactly the edited tree", async () => {
    const { calls, dialog, row } = await openReasonTree();
    expect(within(dialog).getByTestId("reason-count")).toHaveTextContent("5 reasons");
    expect(within(dialog).getByText(/does not rewrite history/)).toBeInTheDocument();
    // The parent's code is shown before a child's own segment.
    expect(row("MECH/JAM")).toHaveTextContent("MECH/");
    expect(within(row("MECH/JAM")).getByLabelText("Category")).toHaveDisplayValue("inherit (Breakdown)");

    // Add a child: focus lands on its code, the label is one Tab away.
    await userEvent.click(within(row("MECH")).getByRole("button", { name: "Add a reason under MECH" }));
    expect(within(row("MECH/(new)")).getByLabelText("Code")).toHaveFocus();
    await userEvent.keyboard("BEARING");
    await userEvent.tab();
    expect(within(row("MECH/BEARING")).getByLabelText("Label")).toHaveFocus();
    await userEvent.keyboard("Bearing");

    // Rename a label, change a category, remove a node, reorder.
    const label = within(row("SETUP/ADJUST")).getByLabelText("Label");
    await userEvent.clear(label);
    await userEvent.type(label, "Fine adjustment");
    await userEvent.selectOptions(within(row("MECH/JAM")).getByLabelText("Category"), "micro_stop");
    await userEvent.click(within(row("MICRO")).getByRole("button", { name: "Remove MICRO" }));
    expect(within(dialog).queryByRole("group", { name: "MICRO" })).toBeNull();
    await userEvent.click(within(row("SETUP")).getByRole("button", { name: "Move SETUP up" }));
    // SETUP is first now: its "up" is disabled, so focus stays on the row, on "down".
    expect(within(row("SETUP")).getByRole("button", { name: "Move SETUP down" })).toHaveFocus();
    expect(within(dialog).getAllByTestId("reason-row").map((r) => r.dataset.path)).toEqual([
      "SETUP",
      "SETUP/ADJUST",
      "MECH",
      "MECH/JAM",
      "MECH/BEARING",
    ]);
    expect(within(dialog).getByTestId("reason-count")).toHaveTextContent("5 reasons");

    await userEvent.click(screen.getByTestId("settings-save"));
    await screen.findByTestId("settings-saved");
    expect(lastCall(calls, "save_settings")?.args).toEqual({
      settings: {
        broker: SETTINGS.settings.broker,
        database_url: null,
        stale_after_s: 10,
        offline_after_s: 60,
        history_retention_days: 365,
        downtime: {
          micro_stop_threshold_s: 120,
          reasons: {
            roots: [
              { code: "SETUP", label: "Setup", category: "setup", children: [{ code: "ADJUST", label: "Fine adjustment", category: null, children: [] }] },
              {
                code: "MECH",
                label: "Mechanical",
                category: "breakdown",
                children: [
                  { code: "JAM", label: "Jam", category: "micro_stop", children: [] },
                  { code: "BEARING", label: "Bearing", category: null, children: [] },
                ],
              },
            ],
          },
        },
      },
      password: null,
    });
  });

  it("refuses a duplicate sibling code and an invalid code segment until they are fixed", async () => {
    const { calls, dialog, row } = await openReasonTree();

    await userEvent.click(within(row("MECH/JAM")).getByRole("button", { name: "Add a reason after MECH/JAM" }));
    await userEvent.keyboard("JAM");
    const adjust = within(row("SETUP/ADJUST")).getByLabelText("Code");
    await userEvent.clear(adjust);
    await userEvent.type(adjust, "AD JUST");
    await userEvent.click(screen.getByTestId("settings-save"));

    const duplicate = within(dialog).getAllByRole("group", { name: "MECH/JAM" })[1]!;
    const dupCode = within(duplicate).getByLabelText("Code");
    expect(dupCode).toHaveAttribute("aria-invalid", "true");
    expect(dupCode).toHaveAccessibleDescription("MECH/JAM appears twice: codes must differ at the same level.");
    expect(dupCode).toHaveFocus();
    expect(adjust).toHaveAttribute("aria-invalid", "true");
    expect(adjust).toHaveAccessibleDescription("Use only A–Z, a–z, 0–9, -, _ or . (no spaces or /).");
    expect(within(dialog).getByTestId("reasons-error")).toHaveTextContent("2 reasons need fixing.");
    expect(calls.some((c) => c.cmd === "save_settings")).toBe(false);
    await userEvent.click(screen.getByTestId("settings-save"));
    expect(calls.some((c) => c.cmd === "save_settings")).toBe(false);

    // Fixing them clears the messages as you type, and Save goes through.
    await userEvent.clear(dupCode);
    await userEvent.type(dupCode, "BEARING");
    await userEvent.clear(adjust);
    await userEvent.type(adjust, "ADJUST");
    expect(within(dialog).queryByTestId("reasons-error")).toBeNull();
    expect(dupCode).not.toHaveAttribute("aria-invalid");
    await userEvent.click(screen.getByTestId("settings-save"));
    await screen.findByTestId("settings-saved");
    const saved = lastCall(calls, "save_settings")?.args as { settings: Settings };
    expect(saved.settings.downtime?.reasons?.roots[0]?.children?.map((c) => c.code)).toEqual(["JAM", "BEARING"]);
    expect(saved.settings.downtime?.reasons?.roots[1]?.children?.[0]?.code).toBe("ADJUST");
  });

  it("closes on Escape", async () => {
    const snap = makeDemoSnapshot(Date.now());
    backend(snap);
    await renderApp(snap);
    await userEvent.keyboard(",");
    await screen.findByTestId("settings-dialog");
    await userEvent.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("settings-dialog")).toBeNull());
  });
});

describe("keyboard", () => {
  it("switches views, toggles and persists the theme, shows the shortcuts", async () => {
    const snap = makeDemoSnapshot(Date.now());
    backend(snap);
    await renderApp(snap);

    await userEvent.keyboard("2");
    expect(await screen.findByTestId("view-diagnostics")).toBeInTheDocument();
    expect(screen.queryByTestId("view-overview")).toBeNull();
    await userEvent.keyboard("1");
    expect(await screen.findByTestId("view-overview")).toBeInTheDocument();

    expect(document.documentElement.dataset.theme).toBe("dark");
    await userEvent.keyboard("t");
    expect(document.documentElement.dataset.theme).toBe("light");
    expect(localStorage.getItem(THEME_KEY)).toBe("light");
    await userEvent.keyboard("t");
    expect(document.documentElement.dataset.theme).toBe("dark");

    await userEvent.keyboard("?");
    expect(await screen.findByTestId("shortcuts-dialog")).toBeInTheDocument();
    // shortcuts are inert while a dialog is open
    await userEvent.keyboard("2");
    expect(screen.getByTestId("view-overview")).toBeInTheDocument();
    await userEvent.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("shortcuts-dialog")).toBeNull());
  });
});

describe("startup ordering", () => {
  it("replays deltas that arrive before the snapshot", async () => {
    const now = Date.now();
    const snap = makeDemoSnapshot(now, 1);
    const path = "acme/plant1/assembly/line6/pack";
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    mockIPC(
      async (cmd) => {
        if (cmd === "get_snapshot") {
          await gate;
          return snap;
        }
        if (cmd === "get_settings") return SETTINGS;
        return null;
      },
      { shouldMockEvents: true },
    );
    render(App);
    // Wait until the store has subscribed, then emit before the snapshot is released.
    await vi.waitFor(async () => {
      const before = snap.work_centers.find((w) => w.path === path)!;
      await emit("plant-update", {
        full: false,
        version: 2,
        generated_ms: now,
        lines: [],
        work_centers: [{ ...before, state: { kind: "blocked", reason: null }, version: 2 }],
        broker: snap.broker,
        database: snap.database,
        diagnostics: snap.diagnostics,
      } satisfies PlantUpdate);
      release();
      await waitFor(() => expect(cell(path).dataset.state).toBe("blocked"), { timeout: 200 });
    });
  });
});

describe("alerts", () => {
  const down: AlertsView = {
    version: 3,
    unacknowledged: 1,
    alerts: [
      {
        id: 7,
        kind: "down_too_long",
        severity: "critical",
        subject: "acme/freiburg/packaging/line-1/filler",
        subject_name: "Filler",
        message: "Down for 31 min (reason MECH-JAM)",
        raised_ms: Date.now() - 21 * 60_000,
        cleared_ms: null,
        acknowledged: null,
      },
    ],
  };

  it("shows the unacknowledged count, lists alerts on 3, and acknowledges one", async () => {
    const snapshot = makeDemoSnapshot(Date.now());
    const calls = backend(snapshot, undefined, SETTINGS, down);
    await renderApp(snapshot);
    await waitFor(() => expect(screen.getByTestId("alert-badge").textContent).toBe("1"));
    await userEvent.keyboard("3");
    const row = await screen.findByTestId("alert-row");
    expect(row.dataset.severity).toBe("critical");
    expect(row.textContent).toContain("Filler");
    expect(row.textContent).toContain("Down for 31 min (reason MECH-JAM)");
    await userEvent.click(within(row).getByTestId("ack"));
    expect(calls.some((c) => c.cmd === "acknowledge_alert" && (c.args as { id: number }).id === 7)).toBe(true);
    // The backend pushes the acknowledged list; the badge goes away.
    await emit("alerts-update", {
      ...down,
      version: 4,
      unacknowledged: 0,
      alerts: [{ ...down.alerts[0]!, acknowledged: { by: "sup", at_ms: Date.now() } }],
    });
    await waitFor(() => expect(screen.queryByTestId("alert-badge")).toBeNull());
    expect(screen.getByTestId("alert-row").textContent).toContain("Acknowledged by sup");
  });

  it("says what raises alerts when there are none", async () => {
    const snapshot = makeDemoSnapshot(Date.now());
    backend(snapshot);
    await renderApp(snapshot);
    await userEvent.click(screen.getByTestId("alerts-tab"));
    expect((await screen.findByTestId("alerts-empty")).textContent).toContain("down too long");
  });
});

describe("shift report", () => {
  it("saves a line's report from its tile and says where, or why not", async () => {
    const snapshot = makeDemoSnapshot(Date.now());
    const calls = backend(snapshot);
    await renderApp(snapshot);
    const tiles = screen.getAllByTestId("line-tile");
    await userEvent.click(within(tiles[0]!).getByTestId("report-button"));
    const call = calls.find((c) => c.cmd === "save_shift_report");
    expect(call?.args).toMatchObject({ line: snapshot.lines[0]!.path, format: "png" });
    expect((call?.args as { date: string }).date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await waitFor(() => expect(screen.getByTestId("notice").textContent).toContain("saved to /data/reports/shift-report-"));
    const line2 = tiles.find((t) => t.dataset.path?.endsWith("line2"));
    expect(line2).toBeDefined();
    await userEvent.click(within(line2!).getByTestId("report-button"));
    await waitFor(() => expect(screen.getByTestId("notice").textContent).toContain("no history for line2"));
  });

  it("saves PNG, SVG or PDF: one remembered choice for every tile", async () => {
    localStorage.setItem(REPORT_FORMAT_KEY, "svg");
    const snapshot = makeDemoSnapshot(Date.now());
    const calls = backend(snapshot);
    await renderApp(snapshot);
    const tiles = screen.getAllByTestId("line-tile");
    const picker = (tile: HTMLElement) => within(tile).getByTestId<HTMLSelectElement>("report-format");
    expect(Array.from(picker(tiles[0]!).options).map((o) => o.text)).toEqual(["PNG", "SVG", "PDF"]);
    expect(picker(tiles[0]!).value).toBe("svg");

    await userEvent.selectOptions(picker(tiles[1]!), "pdf");
    expect(localStorage.getItem(REPORT_FORMAT_KEY)).toBe("pdf");
    expect(picker(tiles[0]!).value).toBe("pdf");
    expect(within(tiles[0]!).getByTestId("report-button").title).toContain("as PDF");
    await userEvent.click(within(tiles[0]!).getByTestId("report-button"));
    expect(lastCall(calls, "save_shift_report")?.args).toMatchObject({ line: snapshot.lines[0]!.path, format: "pdf" });
    await waitFor(() => expect(screen.getByTestId("notice").textContent).toMatch(/saved to \/data\/reports\/shift-report-line1-\S+\.pdf/));
  });
});

describe("line detail", () => {
  it("shows OEE on the tiles, and opens a line's detail from its tile", async () => {
    const snapshot = makeDemoSnapshot(Date.now());
    const calls = backend(snapshot);
    await renderApp(snapshot);
    const tiles = screen.getAllByTestId("line-tile");
    // OEE from get_live_oee; a line without history shows a dash.
    await waitFor(() => expect(within(tiles[0]!).getByTestId("line-oee").textContent).toMatch(/OEE\s*82\s*%/));
    const line2 = tiles.find((t) => t.dataset.path?.endsWith("line2"))!;
    expect(within(line2).getByTestId("line-oee").textContent).toMatch(/OEE\s*—/);

    await userEvent.click(within(tiles[0]!).getByTestId("detail-button"));
    const view = await screen.findByTestId("view-line");
    const call = calls.find((c) => c.cmd === "get_line_detail");
    expect(call?.args).toEqual({ line: snapshot.lines[0]!.path, range: { kind: "shift", offset: 0 } });
    await waitFor(() => expect(within(view).getAllByTestId("band-row")).toHaveLength(3));
    expect(within(view).getByTestId("detail-oee").textContent).toMatch(/%/);
    expect(within(view).getAllByTestId("waterfall-step").map((s) => s.dataset.label)).toEqual([
      "Planned",
      "Breakdowns",
      "Setups",
      "Micro-stops",
      "Run time",
      "Reduced speed",
      "Net run",
      "Start-up rejects",
      "Production rejects",
      "Fully productive",
    ]);
    // OEE per order: one row each, with its own figures.
    const orders = within(view).getAllByTestId("order-row") as HTMLTableRowElement[];
    expect(orders.map((r) => r.cells[0]?.textContent)).toEqual(["WO-4711", "WO-4712"]);
    expect(orders[0]!.textContent).toContain("P-330-CAN");
    expect(orders[0]!.textContent).toMatch(/1.410/);
    expect(orders[1]!.cells[5]?.textContent).toMatch(/^\d+\.\d\s%$/);
    // Micro-stops are hidden until asked for.
    expect(within(view).getAllByTestId("downtime-row")).toHaveLength(3);
    await userEvent.click(within(view).getByLabelText(/hide micro-stops/));
    expect(within(view).getAllByTestId("downtime-row")).toHaveLength(4);
    expect(screen.getByTestId("line-tab")).toBeInTheDocument();

    // Previous shift asks for offset 1; Escape goes back to the overview.
    await userEvent.click(screen.getByTestId("range-previous"));
    expect(lastCall(calls, "get_line_detail")?.args).toMatchObject({ range: { kind: "shift", offset: 1 } });
    await userEvent.keyboard("{Escape}");
    expect(screen.getByTestId("view-overview")).toBeInTheDocument();
    // 4 returns to the line last opened.
    await userEvent.keyboard("4");
    expect(await screen.findByTestId("view-line")).toBeInTheDocument();
  });

  it("assigns a reason, comments, splits and merges downtime through edit_downtime", async () => {
    const snapshot = makeDemoSnapshot(Date.now());
    const calls = backend(snapshot);
    await renderApp(snapshot);
    const tile = screen.getAllByTestId("line-tile")[0]!;
    tile.focus();
    await userEvent.keyboard("{Enter}");
    const view = await screen.findByTestId("view-line");
    await waitFor(() => expect(within(view).getAllByTestId("downtime-row")).toHaveLength(3));
    const line = snapshot.lines[0]!.path;

    // The stop without a reason on the labeler gets one.
    const row = () => within(view).getAllByTestId("downtime-row")[1]!;
    await userEvent.selectOptions(within(row()).getByTestId("reason-select"), "ELEC/SENSOR");
    const edit = lastCall(calls, "edit_downtime");
    expect(edit?.args).toMatchObject({
      line,
      range: { kind: "shift", offset: 0 },
      action: { action: "assign_reason", event: { work_center: `${line}/labeler` }, reason: "ELEC/SENSOR" },
    });
    await waitFor(() => expect((within(row()).getByTestId("reason-select") as HTMLSelectElement).value).toBe("ELEC/SENSOR"));
    expect(row().textContent).toContain("supervisor");

    // A comment is saved on Enter.
    const comment = within(row()).getByTestId("comment-input");
    await userEvent.type(comment, "sensor dirty{Enter}");
    expect(lastCall(calls, "edit_downtime")?.args).toMatchObject({ action: { action: "comment", text: "sensor dirty" } });

    // Merge it into the jam just before it.
    await userEvent.click(within(row()).getByTestId("merge-button"));
    expect(lastCall(calls, "edit_downtime")?.args).toMatchObject({ action: { action: "merge" } });
    await waitFor(() => expect(within(view).getAllByTestId("downtime-row")).toHaveLength(2));

    // Split the merged stop; a time outside it is refused in the form, before any call.
    const merged = within(view).getAllByTestId("downtime-row")[0]!;
    await userEvent.click(within(merged).getByTestId("split-button"));
    const at = within(merged).getByTestId("split-at");
    const before = calls.length;
    await userEvent.clear(at);
    await userEvent.type(at, "99:99{Enter}");
    expect(within(merged).getByRole("alert").textContent).toContain("HH:MM");
    expect(calls.length).toBe(before);
    await userEvent.clear(at);
    await userEvent.type(at, "{Enter}"); // empty: also refused
    expect(calls.length).toBe(before);
  });

  it("shows a refused edit where the supervisor is looking", async () => {
    const snapshot = makeDemoSnapshot(Date.now());
    backend(snapshot);
    await renderApp(snapshot);
    await userEvent.click(within(screen.getAllByTestId("line-tile")[0]!).getByTestId("detail-button"));
    const view = await screen.findByTestId("view-line");
    await waitFor(() => expect(within(view).getAllByTestId("downtime-row")).toHaveLength(3));
    // A reason code that is not in the tree (e.g. the tree changed meanwhile) is refused.
    const select = within(within(view).getAllByTestId("downtime-row")[0]!).getByTestId("reason-select") as HTMLSelectElement;
    const option = document.createElement("option");
    option.value = "GONE/REASON";
    select.append(option);
    await userEvent.selectOptions(select, "GONE/REASON");
    await waitFor(() => expect(screen.getByTestId("edit-error").textContent).toContain("not in the reason tree"));
  });
});
