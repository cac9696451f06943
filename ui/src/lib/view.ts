export type View = "overview" | "diagnostics";
