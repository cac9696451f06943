-- Takt MES database, initial schema.
--
-- Portable on purpose: BIGINT/TEXT columns, standard constraints and ON CONFLICT only, so
-- that migrations/postgres/0001_initial.sql can be this file almost verbatim.
-- Timestamps are BIGINT milliseconds since the Unix epoch (UTC), as everywhere in Takt.

-- ISA-95 equipment hierarchy, one row per node (enterprise, site, area, line, work center).
-- `sort_order` keeps the order in which the plant lists siblings (flow order of work centers).
CREATE TABLE equipment (
    path        TEXT   NOT NULL PRIMARY KEY,
    parent_path TEXT   REFERENCES equipment (path),
    level       TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    sort_order  BIGINT NOT NULL,
    -- IANA time zone; only site rows carry one.
    timezone    TEXT
);

CREATE INDEX equipment_parent ON equipment (parent_path, sort_order);

CREATE TABLE products (
    code           TEXT   NOT NULL PRIMARY KEY,
    name           TEXT   NOT NULL,
    ideal_cycle_ms BIGINT NOT NULL
);

CREATE TABLE work_orders (
    number     TEXT   NOT NULL PRIMARY KEY,
    product    TEXT   NOT NULL REFERENCES products (code),
    quantity   BIGINT NOT NULL,
    due_ms     BIGINT NOT NULL,
    priority   BIGINT NOT NULL,
    status     TEXT   NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE INDEX work_orders_schedule ON work_orders (priority, due_ms);

-- An order's routing. Orders are business records: a work center referenced here cannot be
-- deleted from the hierarchy (no cascade).
CREATE TABLE operations (
    order_number TEXT   NOT NULL REFERENCES work_orders (number) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    name         TEXT   NOT NULL,
    work_center  TEXT   NOT NULL REFERENCES equipment (path),
    PRIMARY KEY (order_number, seq)
);

CREATE INDEX operations_work_center ON operations (work_center);

-- One shift calendar per site; it goes when its site goes.
CREATE TABLE shift_calendars (
    site_path TEXT NOT NULL PRIMARY KEY REFERENCES equipment (path) ON DELETE CASCADE,
    timezone  TEXT NOT NULL
);

-- `position` keeps the calendar's order of shifts; times are local `HH:MM:SS`,
-- days a comma-separated list of `mon`..`sun`.
CREATE TABLE shift_patterns (
    site_path  TEXT   NOT NULL REFERENCES shift_calendars (site_path) ON DELETE CASCADE,
    position   BIGINT NOT NULL,
    name       TEXT   NOT NULL,
    start_time TEXT   NOT NULL,
    end_time   TEXT   NOT NULL,
    days       TEXT   NOT NULL,
    PRIMARY KEY (site_path, position)
);

-- Local dates (`YYYY-MM-DD`) without shifts.
CREATE TABLE holidays (
    site_path    TEXT NOT NULL REFERENCES shift_calendars (site_path) ON DELETE CASCADE,
    holiday_date TEXT NOT NULL,
    PRIMARY KEY (site_path, holiday_date)
);

-- Historian. No foreign keys on purpose: history must never be refused because the
-- configured hierarchy changed or has not been saved yet.

-- One row per state interval start; the interval ends where the next row of the path starts.
-- The primary key makes replays idempotent.
CREATE TABLE state_history (
    path        TEXT   NOT NULL,
    start_ms    BIGINT NOT NULL,
    kind        TEXT   NOT NULL,
    reason      TEXT,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (path, start_ms, kind)
);

-- Plant-wide time windows and retention purges.
CREATE INDEX state_history_start ON state_history (start_ms);

-- Cumulative counter readings as the source reported them, with the parts counted since the
-- previous reading (`delta`; after a PLC reset it is the new reading itself).
CREATE TABLE counter_history (
    path         TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    value        BIGINT NOT NULL,
    delta        BIGINT NOT NULL,
    received_ms  BIGINT NOT NULL,
    PRIMARY KEY (path, kind, timestamp_ms)
);

CREATE INDEX counter_history_time ON counter_history (timestamp_ms);
