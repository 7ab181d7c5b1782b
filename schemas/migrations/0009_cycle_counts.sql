-- cellfleet schema, migration 9: each test's count of completed cycles, kept as cycles are stored,
-- and cycles indexed by their end (issue 15; docs/statistics.md §7). A test's life in cycles, censored, is that count; `/stats`
-- and `stats --database` read it for every test of the fleet, and counting `cycle_summaries`
-- per test at each request cost one index scan per test (about 190 ms for 10 000 tests of some
-- 120 cycles each). A table of its own, not a column of `test_progress`: a row there means "this
-- test streams", which fleet health watches for silence, and a file's test has no such row.
--
-- Kept by a statement trigger on `cycle_summaries`: it counts the rows a statement really
-- inserted (an `ON CONFLICT DO NOTHING` that found the cycle stored adds nothing) and removed, in
-- the writer's own transaction, so the count is exactly as durable as the cycles.

CREATE TABLE test_cycle_counts (
    test_id           uuid PRIMARY KEY REFERENCES tests (test_id),
    completed_cycles  bigint NOT NULL DEFAULT 0 CHECK (completed_cycles >= 0)
);

CREATE FUNCTION cellfleet_count_inserted_cycles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO test_cycle_counts AS k (test_id, completed_cycles)
    SELECT test_id, count(*) FROM inserted_cycles GROUP BY test_id ORDER BY test_id
    ON CONFLICT (test_id) DO UPDATE SET completed_cycles = k.completed_cycles + EXCLUDED.completed_cycles;
    RETURN NULL;
END $$;

CREATE FUNCTION cellfleet_count_deleted_cycles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE test_cycle_counts k SET completed_cycles = k.completed_cycles - d.n
    FROM (SELECT test_id, count(*) AS n FROM deleted_cycles GROUP BY test_id) d
    WHERE k.test_id = d.test_id;
    RETURN NULL;
END $$;

CREATE TRIGGER cycle_summaries_count_inserted AFTER INSERT ON cycle_summaries
    REFERENCING NEW TABLE AS inserted_cycles FOR EACH STATEMENT EXECUTE FUNCTION cellfleet_count_inserted_cycles();
CREATE TRIGGER cycle_summaries_count_deleted AFTER DELETE ON cycle_summaries
    REFERENCING OLD TABLE AS deleted_cycles FOR EACH STATEMENT EXECUTE FUNCTION cellfleet_count_deleted_cycles();

INSERT INTO test_cycle_counts (test_id, completed_cycles)
SELECT test_id, count(*) FROM cycle_summaries GROUP BY test_id;

-- A `fail` event at test time t is at life (cycles ending before t) + 1: with this index that
-- count is an index-only range scan of the test's cycles, not a visit to each row.
CREATE INDEX cycle_summaries_by_end_time ON cycle_summaries (test_id, end_test_time_s);
