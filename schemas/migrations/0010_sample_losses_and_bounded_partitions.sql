-- cellfleet schema, migration 10: holes in a test's samples that an agent declared lost, and
-- partition maintenance that never stops ingest (issue 17 §4, §7; docs/delivery.md §5.7, §6).
--
-- 1. sample_losses. An agent whose spool lost records (or whose delivery the coordinator refused
--    for good) declares, on its next batch or on the test's end, that samples S1…S2 will never
--    come. The ingest transaction records the part the coordinator lacked, once (the test's
--    high-water mark moves past it in the same transaction), with the F5 alert people are told of.
--
-- 2. Bounded partition maintenance. Migration 2's pass created every missing day's partition in
--    one transaction, each with DETACH / CREATE … PARTITION OF / ATTACH of the default partition:
--    ACCESS EXCLUSIVE locks on `samples` for the whole pass, and a cost growing with the square
--    of the days (one delivery whose times spanned 3 000 days stopped all ingest for 380 s).
--    Now the coordinator asks what there is to do (cellfleet_sample_partition_work), and does
--    each day in a transaction of its own (cellfleet_attach_sample_partition), a capped number
--    per pass, under a short lock_timeout. A day's partition is built beside `samples` and
--    attached with SHARE UPDATE EXCLUSIVE, which inserts and COPY do not wait for; only the
--    default partition is locked while that day's rows move out of it, and ingest of current
--    samples never touches the default partition. Migration 2's functions stay (additive), unused.

CREATE TABLE sample_losses (
    test_id      uuid NOT NULL REFERENCES tests (test_id),
    first_seq    bigint NOT NULL CHECK (first_seq >= 1),
    last_seq     bigint NOT NULL,
    -- The connection's identity (the test's owner), as for every delivery.
    agent_id     text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    declared_at  timestamptz NOT NULL DEFAULT now(),
    alert_id     bigint REFERENCES alerts (alert_id),
    PRIMARY KEY (test_id, first_seq),
    CHECK (last_seq >= first_seq)
);

-- The work one maintenance pass has, one row per day, oldest first: partitions to create (the
-- coming days, and each day with rows waiting in the default partition) and, with retain_days,
-- day partitions to drop. Reads only the catalogue and the default partition.
CREATE FUNCTION cellfleet_sample_partition_work(days_ahead integer, retain_days integer)
RETURNS TABLE (change text, day_utc date)
LANGUAGE sql STABLE AS $$
    WITH today AS (SELECT (now() AT TIME ZONE 'UTC')::date AS d),
    existing AS (
        SELECT to_date(substr(c.relname, 10), 'YYYYMMDD') AS day
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'samples'::regclass AND c.relname ~ '^samples_p[0-9]{8}$'
    ),
    wanted AS (
        SELECT g::date AS day FROM today, generate_series(today.d - 1, today.d + days_ahead, interval '1 day') AS g
        UNION
        SELECT DISTINCT date '1970-01-01' + floor(unix_time_s / 86400)::integer
        FROM samples_default WHERE unix_time_s >= 0 AND unix_time_s < 32503680000
    )
    SELECT 'create', w.day FROM wanted w, today
    WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.day = w.day)
      AND (retain_days IS NULL OR w.day >= today.d - retain_days)
    UNION ALL
    SELECT 'drop', e.day FROM existing e, today
    WHERE retain_days IS NOT NULL AND e.day < today.d - retain_days
    ORDER BY 2, 1
$$;

-- Creates the partition of one UTC day, samples_pYYYYMMDD = [day 00:00, day+1 00:00) in Unix
-- seconds, in the caller's transaction, moving that day's rows out of the default partition.
-- Returns the rows moved, or -1 if the partition exists. The CHECK constraint added before the
-- ATTACH spares PostgreSQL a scan of the new table; it is dropped after (the partition bound
-- says the same).
CREATE FUNCTION cellfleet_attach_sample_partition(day_utc date) RETURNS bigint
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
    EXECUTE format('CREATE TABLE %I (LIKE samples INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)', partition_name);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (unix_time_s IS NOT NULL AND unix_time_s >= %s AND unix_time_s < %s)',
                   partition_name, partition_name || '_range', lower_s, upper_s);
    -- No new rows into the default partition while this day's leave it (ingest of days that have
    -- partitions does not touch it), so the ATTACH's check of the default finds none of the day.
    LOCK TABLE samples_default IN EXCLUSIVE MODE;
    EXECUTE format('WITH moving AS (DELETE FROM samples_default WHERE unix_time_s >= %s AND unix_time_s < %s RETURNING *) '
                   'INSERT INTO %I SELECT * FROM moving', lower_s, upper_s, partition_name);
    GET DIAGNOSTICS moved = ROW_COUNT;
    EXECUTE format('ALTER TABLE samples ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', partition_name, lower_s, upper_s);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', partition_name, partition_name || '_range');
    RETURN moved;
END
$$;

-- Drops one day's partition (retention), in the caller's transaction: DETACH needs a moment of
-- ACCESS EXCLUSIVE on `samples`, which the caller bounds with lock_timeout. Returns the
-- planner's estimate of the rows dropped, or -1 if there is no such partition.
CREATE FUNCTION cellfleet_drop_sample_partition(day_utc date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    partition_name text := 'samples_p' || to_char(day_utc, 'YYYYMMDD');
    estimate bigint;
BEGIN
    SELECT greatest(c.reltuples, 0)::bigint INTO estimate FROM pg_class c WHERE c.oid = to_regclass(quote_ident(partition_name));
    IF estimate IS NULL THEN
        RETURN -1;
    END IF;
    EXECUTE format('ALTER TABLE samples DETACH PARTITION %I', partition_name);
    EXECUTE format('DROP TABLE %I', partition_name);
    RETURN estimate;
END
$$;
