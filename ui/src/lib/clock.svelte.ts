/**
 * One shared, second-aligned wall clock for the whole UI: every "time in state" and
 * "last msg … ago" reads `clock.now`, so they all tick together from the local clock.
 */
class Clock {
  now = $state(Date.now());
  #timer: ReturnType<typeof setTimeout> | null = null;
  #users = 0;

  /** Starts ticking (ref-counted); returns a stop function. */
  start(): () => void {
    this.#users++;
    if (this.#timer === null) this.#schedule();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.#users--;
      if (this.#users === 0 && this.#timer !== null) {
        clearTimeout(this.#timer);
        this.#timer = null;
      }
    };
  }

  #schedule(): void {
    this.now = Date.now();
    const delay = 1000 - (this.now % 1000) + 5;
    this.#timer = setTimeout(() => this.#schedule(), delay);
  }
}

export const clock = new Clock();
