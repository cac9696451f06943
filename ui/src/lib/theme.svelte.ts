export type Theme = "dark" | "light";

export const THEME_KEY = "takt.theme";

function readStored(): Theme {
  try {
    const v = globalThis.localStorage?.getItem(THEME_KEY);
    return v === "light" ? "light" : "dark";
  } catch {
    return "dark";
  }
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
    try {
      globalThis.localStorage?.setItem(THEME_KEY, theme);
    } catch {
      // storage unavailable: the choice just isn't persisted
    }
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
