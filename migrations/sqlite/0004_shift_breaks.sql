-- Breaks inside a shift pattern, local `HH:MM:SS` like the pattern itself. A break is not
-- planned production time, so OEE leaves it out. `position` keeps the pattern's order of
-- breaks; the breaks go with their pattern (and so with the calendar).
CREATE TABLE shift_breaks (
    site_path        TEXT   NOT NULL,
    pattern_position BIGINT NOT NULL,
    position         BIGINT NOT NULL,
    name             TEXT   NOT NULL,
    start_time       TEXT   NOT NULL,
    end_time         TEXT   NOT NULL,
    PRIMARY KEY (site_path, pattern_position, position),
    FOREIGN KEY (site_path, pattern_position)
        REFERENCES shift_patterns (site_path, position) ON DELETE CASCADE
);
