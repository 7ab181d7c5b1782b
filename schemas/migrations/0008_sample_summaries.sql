-- cellfleet schema, migration 8: a summary of every test's samples for plots (issue 15;
-- docs/api.md §3) — what `GET /tests/{id}/samples?points=N` reads instead of a months-long
-- test's millions of rows.
--
-- For each bucket of 2^6 = 64 consecutive samples (level 6) and of 2^12 = 4096 (level 12), the
-- bucket's first and last sample and those of its lowest and highest voltage are kept whole (at
-- most four rows a bucket). A line through them has every extreme a line through all samples
-- has, so a shape-preserving downsample (LTTB) over them looks like one over the raw samples: a
-- blow-up or a short's drop is never stepped over. Level 12 is made from level 6's points (the
-- extremes of the extremes are the extremes). Cost: at most 4/64 of the samples' rows, plus
-- 4/4096.
--
-- Who writes what: the coordinators summarise committed samples a few seconds behind ingest
-- (`SampleSummaryService`), off the commit path; `cellfleet_summarise_test` does one test's
-- next full buckets in the caller's transaction, its progress row locked (SKIP LOCKED: several
-- coordinators share the work, never a bucket twice). Buckets are full but for a test's last
-- one, summarised once the test has ended and all its samples are committed. Readers take the
-- summary below each level's progress and raw samples above it, so a plot ends at the newest
-- sample. Rows are only added; a test's summary is as durable as its samples.

CREATE TABLE sample_summary_points (
    test_id        uuid NOT NULL,
    level          smallint NOT NULL CHECK (level IN (6, 12)),
    seq            bigint NOT NULL,
    unix_time_s    double precision,
    test_time_s    double precision,
    voltage_v      double precision,
    current_a      double precision,
    capacity_ah    double precision,
    energy_wh      double precision,
    temperature_c  double precision,
    step_index     integer,
    step_type      smallint,
    cycle_index    integer,
    PRIMARY KEY (test_id, level, seq)
);

-- Where each level's summary ends: every sample with seq below next_seq is summarised.
CREATE TABLE sample_summary_progress (
    test_id          uuid PRIMARY KEY REFERENCES tests (test_id),
    level6_next_seq  bigint NOT NULL DEFAULT 0,
    level12_next_seq bigint NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Summarises one test's next buckets, at most `budget` samples; returns the samples summarised
-- (0: nothing to do, or another coordinator holds the test).
CREATE FUNCTION cellfleet_summarise_test(p_test uuid, p_budget bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    committed bigint;
    complete boolean;
    next6 bigint;
    next12 bigint;
    started6 bigint;
    limit6 bigint;
    limit12 bigint;
BEGIN
    INSERT INTO sample_summary_progress (test_id) VALUES (p_test) ON CONFLICT (test_id) DO NOTHING;
    SELECT level6_next_seq, level12_next_seq INTO next6, next12
    FROM sample_summary_progress WHERE test_id = p_test FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    started6 := next6;
    SELECT p.committed_seq, (t.ended_at IS NOT NULL AND t.last_seq IS NOT NULL AND p.committed_seq >= t.last_seq)
    INTO committed, complete
    FROM test_progress p JOIN tests t USING (test_id) WHERE p.test_id = p_test;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    -- Level 6: the full buckets below committed + 1 (all of them once the test is complete).
    limit6 := CASE WHEN complete THEN committed + 1 ELSE ((committed + 1) >> 6) << 6 END;
    limit6 := LEAST(limit6, next6 + ((p_budget >> 6) << 6));
    IF limit6 > next6 THEN
        INSERT INTO sample_summary_points
        SELECT test_id, 6, seq, unix_time_s, test_time_s, voltage_v, current_a, capacity_ah, energy_wh, temperature_c,
               step_index, step_type, cycle_index
        FROM (
            SELECT s.*,
                   row_number() OVER (PARTITION BY s.seq >> 6 ORDER BY s.seq) AS first_rank,
                   row_number() OVER (PARTITION BY s.seq >> 6 ORDER BY s.seq DESC) AS last_rank,
                   row_number() OVER (PARTITION BY s.seq >> 6 ORDER BY s.voltage_v ASC NULLS LAST, s.seq) AS low_rank,
                   row_number() OVER (PARTITION BY s.seq >> 6 ORDER BY s.voltage_v DESC NULLS LAST, s.seq) AS high_rank
            FROM samples s WHERE s.test_id = p_test AND s.seq >= next6 AND s.seq < limit6
        ) ranked
        WHERE first_rank = 1 OR last_rank = 1 OR low_rank = 1 OR high_rank = 1
        ON CONFLICT DO NOTHING;
        next6 := limit6;
    END IF;
    -- Level 12, from level 6's points: the level-12 buckets level 6 covers whole.
    limit12 := CASE WHEN complete AND next6 > committed THEN next6 ELSE (next6 >> 12) << 12 END;
    IF limit12 > next12 THEN
        INSERT INTO sample_summary_points
        SELECT test_id, 12, seq, unix_time_s, test_time_s, voltage_v, current_a, capacity_ah, energy_wh, temperature_c,
               step_index, step_type, cycle_index
        FROM (
            SELECT s.*,
                   row_number() OVER (PARTITION BY s.seq >> 12 ORDER BY s.seq) AS first_rank,
                   row_number() OVER (PARTITION BY s.seq >> 12 ORDER BY s.seq DESC) AS last_rank,
                   row_number() OVER (PARTITION BY s.seq >> 12 ORDER BY s.voltage_v ASC NULLS LAST, s.seq) AS low_rank,
                   row_number() OVER (PARTITION BY s.seq >> 12 ORDER BY s.voltage_v DESC NULLS LAST, s.seq) AS high_rank
            FROM sample_summary_points s WHERE s.test_id = p_test AND s.level = 6 AND s.seq >= next12 AND s.seq < limit12
        ) ranked
        WHERE first_rank = 1 OR last_rank = 1 OR low_rank = 1 OR high_rank = 1
        ON CONFLICT DO NOTHING;
        next12 := limit12;
    END IF;
    UPDATE sample_summary_progress SET level6_next_seq = next6, level12_next_seq = next12, updated_at = now()
    WHERE test_id = p_test;
    RETURN next6 - started6;
END;
$$;

-- The test time of each test's newest committed sample, written by the ingest transaction with
-- committed_seq: where a running test's life is censored (`GET /stats`, `stats --database`)
-- without a look into `samples` per test (which probes every daily partition). NULL for rows
-- committed before this migration; readers then look into `samples`.
ALTER TABLE test_progress ADD COLUMN last_test_time_s double precision;
