/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";

// Tauri expects a fixed port and must be able to see Rust build errors in the terminal.
export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  envPrefix: ["VITE_", "TAURI_"],
  server: {
    port: 1420,
    strictPort: true,
    watch: {
      // The Rust side rebuilds constantly; never watch it from the UI dev server.
      ignored: ["**/src-tauri/**", "**/target/**", "**/crates/**"],
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Tauri on Linux runs in WebKitGTK; Safari 15 / ES2021 is the safe floor.
    target: ["es2021", "safari15"],
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/tests/setup.ts"],
    include: ["src/**/*.test.ts"],
    restoreMocks: true,
  },
});
