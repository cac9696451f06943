import type { TopicDiagnostic } from "./backend";

export type TopicSortKey = "topic" | "messages" | "errors" | "last_error" | "last_error_ms" | "last_message_ms";
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
      case "errors":
        c = a.errors - b.errors;
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

export function filterTopics(topics: readonly TopicDiagnostic[], query: string, errorsOnly: boolean): TopicDiagnostic[] {
  const q = query.trim().toLowerCase();
  return topics.filter(
    (t) => (!errorsOnly || t.errors > 0) && (q === "" || t.topic.toLowerCase().includes(q) || (t.last_error ?? "").toLowerCase().includes(q)),
  );
}
