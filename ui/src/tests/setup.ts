import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/svelte";
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";

// jsdom has no layout engine and no ResizeObserver (used by bind:clientWidth); a no-op is enough.
if (!("ResizeObserver" in globalThis)) {
  class ResizeObserverStub {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  }
  (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = ResizeObserverStub;
}

afterEach(() => {
  // Unmount first so components can unlisten through the still-mocked IPC.
  cleanup();
  clearMocks();
  localStorage.clear();
  document.documentElement.dataset.theme = "dark";
});
