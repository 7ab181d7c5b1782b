-- cellfleet schema, migration 11: old samples compacted into exact columnar chunks (issue 16 §4,
-- docs/compaction.md).
--
-- A chunk holds up to 32 768 consecutive stored rows of one test from one UTC day, every column
-- bit for bit, in the format of Sources/Core/SampleCompaction (format 1: a few bytes a sample
-- where a row of `samples` costs over a hundred). Compaction moves a test's rows of a day out
-- of `samples` with DELETE … RETURNING and inserts the chunks in the same transaction, so a
-- crash leaves the rows or the chunks, never both or neither. Reads (export, the API's samples,
-- detection replay) merge chunks and rows by seq; a seq is in exactly one of them.

CREATE TABLE sample_chunks (
    test_id            uuid NOT NULL REFERENCES tests (test_id),
    first_seq          bigint NOT NULL,
    last_seq           bigint NOT NULL,
    row_count          integer NOT NULL CHECK (row_count >= 1),
    -- The UTC day the rows were in (their partition), for retention and per-day compaction.
    day_utc            date NOT NULL,
    min_test_time_s    double precision,
    max_test_time_s    double precision,
    -- Bit i set: column i of docs/compaction.md §1 (seq = 0 … cycle_index = 10) has a value in
    -- some row; bit 11: some step_type is other than 0. An export decides its columns from these
    -- without decoding a chunk.
    column_mask        integer NOT NULL,
    format             smallint NOT NULL,
    columns            bytea NOT NULL,
    compacted_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (test_id, first_seq),
    CHECK (last_seq >= first_seq)
);

-- The bytes are already compressed: PostgreSQL's own compression would only cost time.
ALTER TABLE sample_chunks ALTER COLUMN columns SET STORAGE EXTERNAL;

CREATE INDEX sample_chunks_day ON sample_chunks (day_utc);
