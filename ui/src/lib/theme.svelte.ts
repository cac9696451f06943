import { loadChoice, saveChoice } from "./storage";

export type Theme = "dark" | "light";

export const THEME_KEY = "takt.theme";

function readStored(): Theme {
  return loadChoice(THEME_KEY) === "light" ? "light" : "dark";
}

class ThemeState {
  current = $state<Theme>(readStored());

  /** Re-reads the persisted choice and applies it to <html data-theme>. */
  init(): void {
    this.current = readStored();
    this.#apply();
  }

  set(theme: Theme): void {
    this.current = theme;
    saveChoice(THEME_KEY, theme);
    this.#apply();
  }

  toggle(): void {
    this.set(this.current === "dark" ? "light" : "dark");
  }

  #apply(): void {
    if (typeof document !== "undefined") document.documentElement.dataset.theme = this.current;
  }
}

export const theme = new ThemeState();
