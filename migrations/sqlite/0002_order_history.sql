-- Historian for reports: which order and product each line ran, and when.
-- `path` is a line, or a work center that runs orders of its own (it then overrides its line).
--
-- The OEE of a range needs each counted part's ideal cycle, which depends on the product the
-- line was making at that moment; counter readings alone do not say. One row per change,
-- valid until the path's next row (like state_history). `order_number`/`product` NULL: the
-- line had no order. No foreign keys, as for the rest of the historian.
CREATE TABLE order_history (
    path         TEXT   NOT NULL,
    start_ms     BIGINT NOT NULL,
    order_number TEXT,
    product      TEXT,
    received_ms  BIGINT NOT NULL,
    PRIMARY KEY (path, start_ms)
);

-- Range reads over state_history (path, start_ms, kind) and counter_history
-- (path, kind, timestamp_ms) are served by their primary keys: reports read one work center
-- at a time, so no further index is needed there.
