// The downtime reason tree as the settings dialog edits it. Pure helpers; the validation mirrors
// `ReasonTree::validate` in crates/oee/src/downtime.rs so Save is refused here, not by the backend.
import type { ReasonNode, ReasonTree, StopCategory } from "./backend";

/** One editable node. `id` keys rows and focus across moves and renames; it is never saved. */
export type ReasonDraft = {
  id: number;
  code: string;
  label: string;
  /** `null`: inherit the parent's (not allowed on roots). */
  category: StopCategory | null;
  children: ReasonDraft[];
};

export const STOP_CATEGORIES: readonly StopCategory[] = ["breakdown", "setup", "micro_stop"];

export const CATEGORY_LABEL: Record<StopCategory, string> = { breakdown: "Breakdown", setup: "Setup", micro_stop: "Micro-stop" };

/** Anything shaped like a reason node (`ReasonNode` from the backend, or a `ReasonDraft`). */
type NodeLike<T> = { code: string; category?: StopCategory | null; children?: readonly T[] };

/** Every node of a reason tree (any node is a reason a stop can be charged to). Takes drafts too. */
export function countReasons(nodes: readonly ReasonNode[]): number {
  return nodes.reduce((n, node) => n + 1 + countReasons(node.children ?? []), 0);
}

/** Full code of a child: the parent's full code, `/`, its own segment. */
export function joinCode(parentPath: string, code: string): string {
  return parentPath === "" ? code : `${parentPath}/${code}`;
}

export type FlatReason<T> = {
  node: T;
  depth: number;
  /** Full code, e.g. `MECH/JAM`. */
  path: string;
  /** The parent's full code ("" for roots). */
  parentPath: string;
  /** The category it counts as: its own, else the nearest ancestor's (`null` only under a root without one). */
  category: StopCategory | null;
  /** What "inherit" means here: the parent's effective category (`null` for roots). */
  inherited: StopCategory | null;
  first: boolean;
  last: boolean;
};

/** The tree as rows, depth first (the order the dialog and the reason picker list them in). */
export function flattenReasons<T extends NodeLike<T>>(roots: readonly T[]): FlatReason<T>[] {
  const out: FlatReason<T>[] = [];
  const walk = (nodes: readonly T[], depth: number, parentPath: string, inherited: StopCategory | null): void => {
    nodes.forEach((node, i) => {
      const path = joinCode(parentPath, node.code.trim());
      const category = node.category ?? inherited;
      out.push({ node, depth, path, parentPath, category, inherited, first: i === 0, last: i === nodes.length - 1 });
      walk(node.children ?? [], depth + 1, path, category);
    });
  };
  walk(roots, 0, "", null);
  return out;
}

export function draftsFromTree(tree: ReasonTree | undefined): ReasonDraft[] {
  let id = 0;
  const convert = (n: ReasonNode): ReasonDraft => ({
    id: ++id,
    code: n.code,
    label: n.label,
    category: n.category ?? null,
    children: (n.children ?? []).map(convert),
  });
  return (tree?.roots ?? []).map(convert);
}

/** The tree to save, in the shape the backend sends it (every field present). */
export function treeFromDrafts(drafts: readonly ReasonDraft[]): ReasonTree {
  const convert = (d: ReasonDraft): ReasonNode => ({
    code: d.code.trim(),
    label: d.label.trim(),
    category: d.category,
    children: d.children.map(convert),
  });
  return { roots: drafts.map(convert) };
}

/** What is wrong with one node, per control. */
export type ReasonIssue = { code?: string; category?: string };

/** Problems by node id; empty when the backend would accept the tree. */
export type ReasonIssues = Record<number, ReasonIssue>;

// Rust's `char::is_ascii_alphanumeric` plus `-`, `_`, `.`: no spaces, no `/` (the path separator).
const SEGMENT = /^[A-Za-z0-9._-]+$/;

export function validateReasons(drafts: readonly ReasonDraft[]): ReasonIssues {
  const issues: ReasonIssues = {};
  const walk = (nodes: readonly ReasonDraft[], parentPath: string): void => {
    const seen = new Set<string>();
    for (const n of nodes) {
      const code = n.code.trim();
      const issue: ReasonIssue = {};
      if (code === "") issue.code = "Code is required.";
      else if (!SEGMENT.test(code)) issue.code = "Use only A–Z, a–z, 0–9, -, _ or . (no spaces or /).";
      else if (seen.has(code)) issue.code = `${joinCode(parentPath, code)} appears twice: codes must differ at the same level.`;
      seen.add(code);
      if (parentPath === "" && n.category === null) issue.category = "Top-level reasons need a category.";
      if (issue.code !== undefined || issue.category !== undefined) issues[n.id] = issue;
      walk(n.children, joinCode(parentPath, code));
    }
  };
  walk(drafts, "");
  return issues;
}

// --- Edits. Each returns a new tree; nodes that did not change keep their identity. ---

function nextId(drafts: readonly ReasonDraft[]): number {
  let max = 0;
  const walk = (nodes: readonly ReasonDraft[]): void => {
    for (const n of nodes) {
      max = Math.max(max, n.id);
      walk(n.children);
    }
  };
  walk(drafts);
  return max + 1;
}

/** Rewrites the sibling list that contains `id` (the roots, or some node's children). */
function editSiblings(
  drafts: readonly ReasonDraft[],
  id: number,
  edit: (siblings: readonly ReasonDraft[], index: number) => ReasonDraft[],
): ReasonDraft[] {
  const index = drafts.findIndex((n) => n.id === id);
  if (index >= 0) return edit(drafts, index);
  return drafts.map((n) => {
    const children = editSiblings(n.children, id, edit);
    return children === n.children ? n : { ...n, children };
  });
}

function editNode(drafts: readonly ReasonDraft[], id: number, edit: (node: ReasonDraft) => ReasonDraft): ReasonDraft[] {
  return editSiblings(drafts, id, (siblings, i) => siblings.map((n, j) => (j === i ? edit(n) : n)));
}

function blank(id: number, category: StopCategory | null): ReasonDraft {
  return { id, code: "", label: "", category, children: [] };
}

export type Added = { drafts: ReasonDraft[]; id: number };

/** A new top-level reason at the end (roots need a category: breakdown is the common one). */
export function addRoot(drafts: readonly ReasonDraft[]): Added {
  const id = nextId(drafts);
  return { drafts: [...drafts, blank(id, "breakdown")], id };
}

/** A new last child of `parentId`, inheriting its category. */
export function addChild(drafts: readonly ReasonDraft[], parentId: number): Added {
  const id = nextId(drafts);
  return { drafts: editNode(drafts, parentId, (p) => ({ ...p, children: [...p.children, blank(id, null)] })), id };
}

/** A new reason right after `siblingId`, on the same level; a new root takes its neighbour's category. */
export function addSibling(drafts: readonly ReasonDraft[], siblingId: number): Added {
  const id = nextId(drafts);
  const isRoot = drafts.some((n) => n.id === siblingId);
  const next = editSiblings(drafts, siblingId, (siblings, i) => [
    ...siblings.slice(0, i + 1),
    blank(id, isRoot ? (siblings[i]?.category ?? "breakdown") : null),
    ...siblings.slice(i + 1),
  ]);
  return { drafts: next, id };
}

/** Removes a node with everything under it. */
export function removeReason(drafts: readonly ReasonDraft[], id: number): ReasonDraft[] {
  return editSiblings(drafts, id, (siblings, i) => siblings.filter((_, j) => j !== i));
}

/** Moves a node one place up (-1) or down (+1) among its siblings; at either end nothing changes. */
export function moveReason(drafts: readonly ReasonDraft[], id: number, by: -1 | 1): ReasonDraft[] {
  return editSiblings(drafts, id, (siblings, i) => {
    const j = i + by;
    const a = siblings[i];
    const b = siblings[j];
    if (!a || !b) return [...siblings];
    const out = [...siblings];
    out[i] = b;
    out[j] = a;
    return out;
  });
}

/** Where focus goes when `id` is removed: the next sibling, else the previous one, else the parent. */
export function focusAfterRemove(drafts: readonly ReasonDraft[], id: number): number | null {
  const walk = (nodes: readonly ReasonDraft[], parent: ReasonDraft | null): number | null | undefined => {
    const i = nodes.findIndex((n) => n.id === id);
    if (i >= 0) return (nodes[i + 1] ?? nodes[i - 1] ?? parent)?.id ?? null;
    for (const n of nodes) {
      const found = walk(n.children, n);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(drafts, null) ?? null;
}
