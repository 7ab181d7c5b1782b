-- cellfleet schema, migration 2: raw samples partitioned by day, per-cycle summaries and alerts.
--
-- Why: a lab fleet writes without end. Raw samples are range-partitioned by their Unix time,
-- one partition per UTC day, so that retention drops whole partitions (fast, no VACUUM, no bloat)
-- and the indexes being written stay small. The coordinator maintains the partitions itself
-- (cellfleet_maintain_sample_partitions, below, called at start-up and hourly): no extension is
-- needed, so the embedded cluster, a lab IT's PostgreSQL and CI behave the same. Debian's
-- postgresql-15-partman can take over later; the layout (daily RANGE partitions plus a DEFAULT
-- partition) is the one pg_partman manages.
--
-- The key: PostgreSQL requires every unique key of a partitioned table to contain the partition
-- column, so (test_id, seq) becomes UNIQUE NULLS NOT DISTINCT (test_id, seq, unix_time_s). This
-- does not weaken exactly-once storage, for two reasons:
--   1. The guarantee never rested on this key. The coordinator stores a sample only if its seq is
--      above the test's committed high-water mark (test_progress), which it locks, checks and
--      advances in the same transaction as the rows; re-sent samples are skipped before COPY.
--   2. As a safety net the new key still catches a re-sent sample: the agent's spool re-sends the
--      bytes it stored, so a (test_id, seq) always comes with the same unix_time_s (or the same
--      NULL for a non-finite time, hence NULLS NOT DISTINCT) and lands in the same partition.
--      Only a sender that re-sent a sample with a *different* time could store it twice, and the
--      high-water mark stops that sender first.
-- Retention keeps the high-water marks, so even a sample re-sent after its partition was dropped
-- is recognised as a duplicate and not stored again.
--
-- Rows whose day has no partition yet (a cycler clock far off, back-filled history, NULL times)
-- go to samples_default; maintenance moves them into their day's partition when it creates it.

ALTER TABLE samples RENAME TO samples_unpartitioned;
ALTER INDEX samples_pkey RENAME TO samples_unpartitioned_pkey;

CREATE TABLE samples (
    test_id        uuid NOT NULL,
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
    CONSTRAINT samples_test_seq_time_key UNIQUE NULLS NOT DISTINCT (test_id, seq, unix_time_s)
) PARTITION BY RANGE (unix_time_s);

CREATE TABLE samples_default PARTITION OF samples DEFAULT;

INSERT INTO samples SELECT * FROM samples_unpartitioned;
DROP TABLE samples_unpartitioned;

-- Creates the partition of one UTC day, samples_pYYYYMMDD = [day 00:00, day+1 00:00) in Unix
-- seconds, moving that day's rows out of the default partition. Returns the rows moved, or -1 if
-- the partition already existed.
CREATE FUNCTION cellfleet_create_sample_partition(day_utc date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    partition_name text := 'samples_p' || to_char(day_utc, 'YYYYMMDD');
    lower_s double precision := (day_utc - date '1970-01-01')::double precision * 86400;
    upper_s double precision := (day_utc - date '1970-01-01' + 1)::double precision * 86400;
    moved bigint := 0;
BEGIN
    IF to_regclass(quote_ident(partition_name)) IS NOT NULL THEN
        RETURN -1;
    END IF;
    IF EXISTS (SELECT 1 FROM samples_default WHERE unix_time_s >= lower_s AND unix_time_s < upper_s) THEN
        -- PostgreSQL refuses a new partition while the default holds rows of its range: take the
        -- default out, create the day, move its rows, put the default back.
        ALTER TABLE samples DETACH PARTITION samples_default;
        EXECUTE format('CREATE TABLE %I PARTITION OF samples FOR VALUES FROM (%s) TO (%s)', partition_name, lower_s, upper_s);
        INSERT INTO samples SELECT * FROM samples_default WHERE unix_time_s >= lower_s AND unix_time_s < upper_s;
        GET DIAGNOSTICS moved = ROW_COUNT;
        DELETE FROM samples_default WHERE unix_time_s >= lower_s AND unix_time_s < upper_s;
        ALTER TABLE samples ATTACH PARTITION samples_default DEFAULT;
    ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF samples FOR VALUES FROM (%s) TO (%s)', partition_name, lower_s, upper_s);
    END IF;
    RETURN moved;
END
$$;

-- One maintenance pass, in the caller's transaction, serialised between coordinators:
--   1. partitions for yesterday, today and the next days_ahead days;
--   2. partitions for days that have rows waiting in the default partition;
--   3. with retain_days set: drop the day partitions older than retain_days whole days (UTC) and
--      delete such rows from the default partition. Only `samples` is touched: tests,
--      test_progress, cycle_summaries and alerts are kept whatever their age.
-- Returns one row per change: change ('created', 'dropped', 'deleted'), the partition, and rows
-- (moved into a created partition; the planner's estimate for a dropped one; exact for deleted).
CREATE FUNCTION cellfleet_maintain_sample_partitions(days_ahead integer, retain_days integer)
RETURNS TABLE (change text, partition_name text, row_count bigint)
LANGUAGE plpgsql AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    first_kept date := CASE WHEN retain_days IS NULL THEN NULL ELSE today - retain_days END;
    horizon_s double precision := (today - date '1970-01-01' + days_ahead + 1)::double precision * 86400;
    d date;
    n bigint;
    old record;
BEGIN
    PERFORM pg_advisory_xact_lock(7341002);
    FOR d IN
        SELECT g::date FROM generate_series(today - 1, today + days_ahead, interval '1 day') AS g
        UNION
        SELECT DISTINCT date '1970-01-01' + floor(unix_time_s / 86400)::integer
        FROM samples_default WHERE unix_time_s >= 0 AND unix_time_s < horizon_s
        ORDER BY 1
    LOOP
        CONTINUE WHEN first_kept IS NOT NULL AND d < first_kept;
        n := cellfleet_create_sample_partition(d);
        IF n >= 0 THEN
            change := 'created'; partition_name := 'samples_p' || to_char(d, 'YYYYMMDD'); row_count := n;
            RETURN NEXT;
        END IF;
    END LOOP;

    IF first_kept IS NOT NULL THEN
        FOR old IN
            SELECT c.relname, greatest(c.reltuples, 0)::bigint AS estimate
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'samples'::regclass AND c.relname ~ '^samples_p[0-9]{8}$'
              AND to_date(substr(c.relname, 10), 'YYYYMMDD') < first_kept
            ORDER BY c.relname
        LOOP
            EXECUTE format('ALTER TABLE samples DETACH PARTITION %I', old.relname);
            EXECUTE format('DROP TABLE %I', old.relname);
            change := 'dropped'; partition_name := old.relname; row_count := old.estimate;
            RETURN NEXT;
        END LOOP;
        DELETE FROM samples_default WHERE unix_time_s < (first_kept - date '1970-01-01')::double precision * 86400;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            change := 'deleted'; partition_name := 'samples_default'; row_count := n;
            RETURN NEXT;
        END IF;
    END IF;
    RETURN;
END
$$;

SELECT * FROM cellfleet_maintain_sample_partitions(3, NULL);

-- What the detectors derive per cycle. Kept for the life of the test: retention of raw samples
-- never touches it, so a fleet's history stays queryable after its raw data is gone.
CREATE TABLE cycle_summaries (
    test_id                   uuid NOT NULL REFERENCES tests (test_id),
    cycle_index               integer NOT NULL,
    start_unix_time_s         double precision,
    end_unix_time_s           double precision,
    charge_capacity_ah        double precision,
    discharge_capacity_ah     double precision,
    charge_energy_wh          double precision,
    discharge_energy_wh       double precision,
    coulombic_efficiency      double precision,
    mean_charge_voltage_v     double precision,
    mean_discharge_voltage_v  double precision,
    sample_count              bigint NOT NULL DEFAULT 0,
    updated_at                timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (test_id, cycle_index)
);

-- Failures and warnings raised about a test (by a detector, or the coordinator itself). Kept
-- whatever the raw-sample retention.
CREATE TABLE alerts (
    test_id      uuid NOT NULL REFERENCES tests (test_id),
    alert_id     bigint GENERATED ALWAYS AS IDENTITY,
    kind         text NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    cycle_index  integer,
    raised_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    message      text NOT NULL,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (test_id, alert_id)
);
CREATE INDEX alerts_open ON alerts (raised_at) WHERE resolved_at IS NULL;
