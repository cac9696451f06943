/** A choice kept in localStorage; `null` where none is stored or storage is unavailable. */
export function loadChoice(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function saveChoice(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value);
  } catch {
    // storage unavailable: the choice just isn't persisted
  }
}
