-- The supervisor's downtime edits: assign or change a reason, split, merge, comment.
--
-- Downtime events themselves are not stored twice: each one is a non-running interval of
-- state_history (start, state, the feed's reason; it ends where the next row starts). What
-- people add on top is this journal, in the order it was made. Reports derive the events
-- from the state history and replay the journal (takt-oee `DowntimeLog`), so an edit survives
-- late data and restarts, and every change keeps who, when, before and after.
--
-- `entry` is the audit entry as JSON (action, user, at, events before and after).
-- `event_start_ms` is the start of the (first) event the action names: reports read the
-- journal of a work center over the time range they show.
CREATE TABLE downtime_audit (
    -- The journal order. (SQLite rowid; PostgreSQL: BIGINT GENERATED ALWAYS AS IDENTITY.)
    id             INTEGER PRIMARY KEY,
    work_center    TEXT   NOT NULL,
    event_start_ms BIGINT NOT NULL,
    at_ms          BIGINT NOT NULL,
    user_name      TEXT   NOT NULL,
    entry          TEXT   NOT NULL
);

CREATE INDEX downtime_audit_event ON downtime_audit (work_center, event_start_ms);
