import { describe, expect, it } from "vitest";
import type { ReasonTree } from "./backend";
import {
  addChild,
  addRoot,
  addSibling,
  countReasons,
  draftsFromTree,
  flattenReasons,
  focusAfterRemove,
  moveReason,
  removeReason,
  treeFromDrafts,
  validateReasons,
  type ReasonDraft,
} from "./reasonTree";

// The shape get_settings sends: every field present, children inherit with `null`.
const TREE: ReasonTree = {
  roots: [
    {
      code: "MECH",
      label: "Mechanical",
      category: "breakdown",
      children: [
        { code: "JAM", label: "Jam", category: null, children: [] },
        { code: "ADJUST", label: "Adjustment", category: "setup", children: [] },
      ],
    },
    { code: "SETUP", label: "Setup", category: "setup", children: [{ code: "CHANGEOVER", label: "Changeover", category: null, children: [] }] },
    { code: "MICRO", label: "Minor stop", category: "micro_stop", children: [] },
  ],
};

const codes = (d: readonly ReasonDraft[]): string[] => flattenReasons(d).map((r) => r.path);
const idOf = (d: readonly ReasonDraft[], path: string): number => {
  const row = flattenReasons(d).find((r) => r.path === path);
  if (!row) throw new Error(`no ${path}`);
  return row.node.id;
};

describe("reason tree drafts", () => {
  it("round-trips the backend's tree and fills in missing optional fields", () => {
    expect(treeFromDrafts(draftsFromTree(TREE))).toEqual(TREE);
    expect(treeFromDrafts(draftsFromTree({ roots: [{ code: "A", label: "a", category: "setup" }] }))).toEqual({
      roots: [{ code: "A", label: "a", category: "setup", children: [] }],
    });
    expect(draftsFromTree(undefined)).toEqual([]);
  });

  it("gives every node its own id and trims what it saves", () => {
    const d = draftsFromTree(TREE);
    const ids = flattenReasons(d).map((r) => r.node.id);
    expect(new Set(ids).size).toBe(6);
    d[0]!.code = " MECH ";
    d[0]!.label = "Mechanical  ";
    expect(treeFromDrafts(d).roots[0]).toMatchObject({ code: "MECH", label: "Mechanical" });
  });

  it("flattens depth first with full codes and inherited categories", () => {
    const rows = flattenReasons(draftsFromTree(TREE));
    expect(rows.map((r) => [r.path, r.depth, r.category, r.inherited, r.first, r.last])).toEqual([
      ["MECH", 0, "breakdown", null, true, false],
      ["MECH/JAM", 1, "breakdown", "breakdown", true, false],
      ["MECH/ADJUST", 1, "setup", "breakdown", false, true],
      ["SETUP", 0, "setup", null, false, false],
      ["SETUP/CHANGEOVER", 1, "setup", "setup", true, true],
      ["MICRO", 0, "micro_stop", null, false, true],
    ]);
    expect(rows[1]!.parentPath).toBe("MECH");
    expect(countReasons(TREE.roots)).toBe(6);
  });
});

describe("reason tree validation (mirrors ReasonTree::validate)", () => {
  it("accepts the tree the backend sends, and an empty one", () => {
    expect(validateReasons(draftsFromTree(TREE))).toEqual({});
    expect(validateReasons([])).toEqual({});
  });

  it("refuses empty and invalid code segments", () => {
    const d = draftsFromTree(TREE);
    const jam = idOf(d, "MECH/JAM");
    const adjust = idOf(d, "MECH/ADJUST");
    d[0]!.children[0]!.code = "  ";
    d[0]!.children[1]!.code = "AD JUST";
    const issues = validateReasons(d);
    expect(issues[jam]?.code).toBe("Code is required.");
    expect(issues[adjust]?.code).toMatch(/Use only A–Z/);
    expect(Object.keys(issues)).toHaveLength(2);
    for (const bad of ["A/B", "Ä", "a+b", "#"]) {
      d[0]!.children[1]!.code = bad;
      expect(validateReasons(d)[adjust]?.code, bad).toMatch(/Use only/);
    }
    for (const good of ["a-b_c.d", "X1", "drive.fault"]) {
      d[0]!.children[1]!.code = good;
      expect(validateReasons(d)[adjust], good).toBeUndefined();
    }
  });

  it("refuses a duplicate among siblings, but not the same code at another level", () => {
    const d = draftsFromTree(TREE);
    d[0]!.children[1]!.code = "JAM";
    const issues = validateReasons(d);
    // Like the backend, the second one is the duplicate.
    expect(issues[idOf(d, "MECH/JAM")]).toBeUndefined();
    expect(issues[d[0]!.children[1]!.id]?.code).toBe("MECH/JAM appears twice: codes must differ at the same level.");
    d[0]!.children[1]!.code = "ADJUST";
    d[1]!.children[0]!.code = "MECH";
    expect(validateReasons(d)).toEqual({});
    // Codes are case-sensitive, as in the backend.
    d[2]!.code = "setup";
    expect(validateReasons(d)).toEqual({});
  });

  it("requires a category on roots only", () => {
    const d = draftsFromTree(TREE);
    d[2]!.category = null;
    expect(validateReasons(d)).toEqual({ [d[2]!.id]: { category: "Top-level reasons need a category." } });
    d[2]!.category = "setup";
    d[0]!.children[0]!.category = null;
    expect(validateReasons(d)).toEqual({});
  });
});

describe("reason tree edits", () => {
  it("adds a child at the end, inheriting, with a fresh id", () => {
    const d = draftsFromTree(TREE);
    const { drafts, id } = addChild(d, idOf(d, "MECH"));
    expect(drafts[0]!.children.map((c) => c.id)).toEqual([...d[0]!.children.map((c) => c.id), id]);
    expect(drafts[0]!.children[2]).toEqual({ id, code: "", label: "", category: null, children: [] });
    expect(flattenReasons(d).some((r) => r.node.id === id)).toBe(false);
    // Untouched branches keep their identity; the input is not changed.
    expect(drafts[1]).toBe(d[1]);
    expect(d[0]!.children).toHaveLength(2);
  });

  it("adds a sibling right after a node; a new root takes its neighbour's category", () => {
    const d = draftsFromTree(TREE);
    const child = addSibling(d, idOf(d, "MECH/JAM"));
    expect(child.drafts[0]!.children[1]).toMatchObject({ id: child.id, category: null });
    const root = addSibling(d, idOf(d, "SETUP"));
    expect(root.drafts.map((n) => n.code)).toEqual(["MECH", "SETUP", "", "MICRO"]);
    expect(root.drafts[2]).toMatchObject({ id: root.id, category: "setup" });
    const last = addRoot(d);
    expect(last.drafts[3]).toMatchObject({ id: last.id, code: "", category: "breakdown" });
    expect(addRoot([]).drafts).toEqual([{ id: 1, code: "", label: "", category: "breakdown", children: [] }]);
  });

  it("removes a node with its children", () => {
    const d = draftsFromTree(TREE);
    expect(codes(removeReason(d, idOf(d, "SETUP")))).toEqual(["MECH", "MECH/JAM", "MECH/ADJUST", "MICRO"]);
    expect(codes(removeReason(d, idOf(d, "MECH/JAM")))).toEqual(["MECH", "MECH/ADJUST", "SETUP", "SETUP/CHANGEOVER", "MICRO"]);
  });

  it("moves among siblings only, and not past either end", () => {
    const d = draftsFromTree(TREE);
    expect(codes(moveReason(d, idOf(d, "SETUP"), -1))).toEqual([
      "SETUP",
      "SETUP/CHANGEOVER",
      "MECH",
      "MECH/JAM",
      "MECH/ADJUST",
      "MICRO",
    ]);
    expect(codes(moveReason(d, idOf(d, "MECH/JAM"), 1))).toEqual(["MECH", "MECH/ADJUST", "MECH/JAM", "SETUP", "SETUP/CHANGEOVER", "MICRO"]);
    expect(codes(moveReason(d, idOf(d, "MECH/JAM"), -1))).toEqual(codes(d));
    expect(codes(moveReason(d, idOf(d, "MICRO"), 1))).toEqual(codes(d));
    expect(codes(moveReason(d, idOf(d, "SETUP/CHANGEOVER"), 1))).toEqual(codes(d));
  });

  it("picks where focus goes after a removal", () => {
    const d = draftsFromTree(TREE);
    expect(focusAfterRemove(d, idOf(d, "MECH/JAM"))).toBe(idOf(d, "MECH/ADJUST"));
    expect(focusAfterRemove(d, idOf(d, "MECH/ADJUST"))).toBe(idOf(d, "MECH/JAM"));
    expect(focusAfterRemove(d, idOf(d, "SETUP/CHANGEOVER"))).toBe(idOf(d, "SETUP"));
    expect(focusAfterRemove(d, idOf(d, "MICRO"))).toBe(idOf(d, "SETUP"));
    const single = draftsFromTree({ roots: [{ code: "A", label: "a", category: "setup" }] });
    expect(focusAfterRemove(single, single[0]!.id)).toBeNull();
  });
});
