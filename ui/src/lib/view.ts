export type View = "overview" | "diagnostics" | "alerts" | "line";
