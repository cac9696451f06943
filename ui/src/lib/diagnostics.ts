import type { TopicDiagnostic } from "./backend";

export type TopicSortKey =
  | "topic"
  | "messages"
  | "messages_per_s"
  | "errors"
  | "seq_gaps"
  | "rebirths"
  | "last_error"
  | "last_error_ms"
  | "last_message_ms";
export type SortDir = "asc" | "desc";

function cmpNullable(a: number | null, b: number | null): number {
  // Unknown values sort after known ones in ascending order.
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

/** Stable sort of topic rows; ties fall back to the topic name. */
export function sortTopics(topics: readonly TopicDiagnostic[], key: TopicSortKey, dir: SortDir): TopicDiagnostic[] {
  const sign = dir === "asc" ? 1 : -1;
  const byTopic = (a: TopicDiagnostic, b: TopicDiagnostic) => a.topic.localeCompare(b.topic);
  return topics.slice().sort((a, b) => {
    let c: number;
    switch (key) {
      case "topic":
        c = byTopic(a, b);
        break;
      case "messages":
        c = a.messages - b.messages;
        break;
      case "messages_per_s":
        c = cmpNullable(a.messages_per_s, b.messages_per_s);
        break;
      case "errors":
        c = a.errors - b.errors;
        break;
      case "seq_gaps":
        c = a.seq_gaps - b.seq_gaps;
        break;
      case "rebirths":
        c = a.rebirths - b.rebirths;
        break;
      case "last_error":
        c = (a.last_error ?? "").localeCompare(b.last_error ?? "");
        break;
      case "last_error_ms":
        c = cmpNullable(a.last_error_ms, b.last_error_ms);
        break;
      case "last_message_ms":
        c = cmpNullable(a.last_message_ms, b.last_message_ms);
        break;
    }
    return c !== 0 ? sign * c : byTopic(a, b);
  });
}

/** Numeric columns read best largest-first on the first click. */
export function defaultDir(key: TopicSortKey): SortDir {
  return key === "topic" || key === "last_error" ? "asc" : "desc";
}

/** Errors, Sparkplug `seq` gaps and rebirth requests all say something went wrong on a topic. */
export function hasProblems(t: TopicDiagnostic): boolean {
  return t.errors > 0 || t.seq_gaps > 0 || t.rebirths > 0;
}

/** Matches the query against the topic, its last error and its last rebirth reason. */
export function filterTopics(topics: readonly TopicDiagnostic[], query: string, problemsOnly: boolean): TopicDiagnostic[] {
  const q = query.trim().toLowerCase();
  const matches = (t: TopicDiagnostic) =>
    [t.topic, t.last_error ?? "", t.last_rebirth_reason ?? ""].some((text) => text.toLowerCase().includes(q));
  return topics.filter((t) => (!problemsOnly || hasProblems(t)) && (q === "" || matches(t)));
}
