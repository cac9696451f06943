import "./app.css";
import { mount } from "svelte";
import App from "./App.svelte";
import { theme } from "./lib/theme.svelte";

// Apply the persisted theme before the first paint.
theme.init();

async function start(): Promise<void> {
  const target = document.getElementById("app");
  if (!target) throw new Error("#app missing from index.html");
  // Outside the Tauri webview (plain `npm run dev` in a browser) there is no backend: serve a
  // simulated plant through the same IPC mocks the tests use. Dev builds only.
  if (import.meta.env.DEV && !("__TAURI_INTERNALS__" in window)) {
    const { installDemoBackend } = await import("./dev/demoBackend");
    installDemoBackend();
  }
  mount(App, { target });
}

void start();
