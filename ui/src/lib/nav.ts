export type Rect = { left: number; top: number; width: number; height: number };
export type NavKey = "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" | "Home" | "End";

export function isNavKey(key: string): key is NavKey {
  return (
    key === "ArrowLeft" || key === "ArrowRight" || key === "ArrowUp" || key === "ArrowDown" || key === "Home" || key === "End"
  );
}

/**
 * Index of the tile to focus from `current` (reading order for left/right, geometry for
 * up/down: the nearest row below/above, then the horizontally closest tile in it).
 * Returns `current` when there is nowhere to go.
 */
export function neighbourIndex(rects: readonly Rect[], current: number, key: NavKey): number {
  const n = rects.length;
  if (n === 0) return -1;
  if (current < 0 || current >= n) return 0;
  switch (key) {
    case "Home":
      return 0;
    case "End":
      return n - 1;
    case "ArrowLeft":
      return Math.max(0, current - 1);
    case "ArrowRight":
      return Math.min(n - 1, current + 1);
    case "ArrowUp":
    case "ArrowDown": {
      const cur = rects[current];
      if (!cur) return current;
      const cx = cur.left + cur.width / 2;
      const down = key === "ArrowDown";
      let best = current;
      let bestDy = Infinity;
      let bestDx = Infinity;
      rects.forEach((r, i) => {
        if (i === current) return;
        const dy = down ? r.top - cur.top : cur.top - r.top;
        if (dy < Math.max(1, cur.height / 2)) return; // same row or wrong direction
        const dx = Math.abs(r.left + r.width / 2 - cx);
        if (dy < bestDy - 1 || (Math.abs(dy - bestDy) <= 1 && dx < bestDx)) {
          best = i;
          bestDy = dy;
          bestDx = dx;
        }
      });
      return best;
    }
  }
}
