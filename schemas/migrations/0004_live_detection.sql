-- cellfleet schema, migration 4: live detection — alerts people act on, what the detectors derive
-- per cycle, detector checkpoints, the alert outbox and the commands sent to agents.
--
-- Why (docs/live-detection.md): the coordinator runs the detection core on every committed sample
-- inside the ingest transaction, so every row below commits or rolls back with the samples it was
-- derived from. Replays (after a takeover or a crash) derive the same rows again; the natural keys
-- below make them land once.

-- 1. alerts: the rule and its severity exactly as `cellfleet detect` prints them, a state people
--    change, and a natural key per test (rule, Q1 kind, the sequence number of the sample whose
--    ingestion raised it). The coordinator's own fleet-health alerts (F1, F2, F3) are episodes
--    with at most one open per test (F1, F3) or agent (F2); F2 has no test.
ALTER TABLE alerts DROP CONSTRAINT alerts_pkey;
ALTER TABLE alerts ADD PRIMARY KEY (alert_id);
ALTER TABLE alerts ALTER COLUMN test_id DROP NOT NULL;
ALTER TABLE alerts DROP CONSTRAINT alerts_severity_check;
UPDATE alerts SET severity = CASE severity WHEN 'critical' THEN 'fail' WHEN 'warning' THEN 'warn' ELSE 'info' END;
ALTER TABLE alerts ADD CONSTRAINT alerts_severity_check CHECK (severity IN ('fail', 'warn', 'info'));

ALTER TABLE alerts
    -- P1 … Q1 for the detectors, F1 … F3 for the coordinator's fleet-health rules.
    ADD COLUMN rule              text,
    -- The agent (always) and the test's channel and cell (null for F2), denormalised so an
    -- agent-level alert needs no test and a listing needs no join.
    ADD COLUMN agent_id          text,
    ADD COLUMN channel_id        text,
    ADD COLUMN cell_id           text,
    ADD COLUMN seq               bigint,
    ADD COLUMN test_time_s       double precision,
    -- The test time of the episode's last occurrence (Q1 notes aggregate their occurrences).
    ADD COLUMN last_test_time_s  double precision,
    ADD COLUMN occurrences       integer NOT NULL DEFAULT 1,
    ADD COLUMN evidence          jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN state             text NOT NULL DEFAULT 'firing',
    ADD COLUMN acknowledged_by   text,
    ADD COLUMN acknowledged_at   timestamptz,
    ADD COLUMN resolved_by       text,
    ADD COLUMN note              text,
    -- 'detector' (raised by the detection core) or 'coordinator' (fleet health).
    ADD COLUMN source            text NOT NULL DEFAULT 'detector';

-- Rows written before this migration: `kind` held what is now the rule, `details` the evidence.
UPDATE alerts SET rule = kind, evidence = details,
                  state = CASE WHEN resolved_at IS NULL THEN 'firing' ELSE 'resolved' END;
UPDATE alerts a SET agent_id = t.agent_id, channel_id = t.channel_id, cell_id = t.cell_id
FROM tests t WHERE t.test_id = a.test_id;
-- From now on `kind` is Q1's kind of note (time_backwards, logging_gap, …), null for other rules.
ALTER TABLE alerts ALTER COLUMN kind DROP NOT NULL;
UPDATE alerts SET kind = NULL WHERE rule IS DISTINCT FROM 'Q1';
ALTER TABLE alerts ALTER COLUMN rule SET NOT NULL;

ALTER TABLE alerts
    ADD CONSTRAINT alerts_state_check CHECK (state IN ('firing', 'acknowledged', 'resolved')),
    ADD CONSTRAINT alerts_source_check CHECK (source IN ('detector', 'coordinator')),
    ADD CONSTRAINT alerts_test_or_agent CHECK (test_id IS NOT NULL OR (rule = 'F2' AND agent_id IS NOT NULL)),
    ADD CONSTRAINT alerts_resolved_has_time CHECK (state <> 'resolved' OR resolved_at IS NOT NULL),
    ADD CONSTRAINT alerts_acknowledged_has_time CHECK (state <> 'acknowledged' OR acknowledged_at IS NOT NULL);

-- A detector alert's natural key: a replay derives the same (test, rule, kind, seq) and is not
-- stored again (INSERT … ON CONFLICT (test_id, rule, (COALESCE(kind, '')), seq) WHERE seq IS NOT NULL).
CREATE UNIQUE INDEX alerts_natural_key ON alerts (test_id, rule, (COALESCE(kind, '')), seq) WHERE seq IS NOT NULL;
-- One open fleet-health episode per test (F1, F3) and per agent (F2), whichever coordinator sees it.
CREATE UNIQUE INDEX alerts_open_test_health ON alerts (test_id, rule) WHERE rule IN ('F1', 'F3') AND state <> 'resolved';
CREATE UNIQUE INDEX alerts_open_agent_health ON alerts (agent_id, rule) WHERE rule = 'F2' AND state <> 'resolved';
CREATE INDEX alerts_by_test ON alerts (test_id, alert_id);
CREATE INDEX alerts_by_state ON alerts (state, alert_id);

-- 2. cycle_summaries: what the core computes per cycle, beside the columns it had. One row per
--    (test, cycle), written when the cycle completes (a replay writes the same row again: DO NOTHING).
ALTER TABLE cycle_summaries
    ADD COLUMN start_test_time_s                  double precision,
    ADD COLUMN end_test_time_s                    double precision,
    ADD COLUMN charge_seconds                     double precision,
    ADD COLUMN discharge_seconds                  double precision,
    ADD COLUMN rest_seconds                       double precision,
    -- Delivered over stored charge as the cell's rules judge it (an anode half cell's is
    -- delithiation over lithiation); null for symmetric cells.
    ADD COLUMN cell_coulombic_efficiency          double precision,
    ADD COLUMN energy_efficiency                  double precision,
    -- Symmetric cells: the plateau overpotential of each half-cycle.
    ADD COLUMN charge_plateau_overpotential_v     double precision,
    ADD COLUMN discharge_plateau_overpotential_v  double precision,
    ADD COLUMN dc_resistance_ohm                  double precision,
    -- Delivered capacity over the test's reference capacity (nominal, else the first cycles').
    ADD COLUMN state_of_health                    double precision,
    ADD COLUMN temperature_max_c                  double precision,
    ADD COLUMN end_of_charge_voltage_v            double precision,
    ADD COLUMN end_of_discharge_voltage_v         double precision;

-- 3. Detector checkpoints: the state of a test's live detection and the last sequence number it
--    covers, written in the ingest transaction every so many samples and at the test's end. A
--    coordinator taking a test over restores it and replays the samples after `covered_seq`.
CREATE TABLE detector_checkpoints (
    test_id         uuid PRIMARY KEY REFERENCES tests (test_id),
    covered_seq     bigint NOT NULL,
    -- TestDetection's checkpoint format; another version is not read: the test is replayed from
    -- its first sample instead.
    format_version  integer NOT NULL,
    state           bytea NOT NULL,
    -- Set once the detector has been finished at the test's end (nothing more to derive).
    finished        boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- 4. The cadence of each test's commits, for F1 (a running test silent for longer than
--    max(10 × its usual interval, 5 min)), and each agent's coordinator, for F2.
ALTER TABLE test_progress
    ADD COLUMN usual_interval_s  double precision,
    ADD COLUMN last_sample_at    timestamptz;
ALTER TABLE agents
    ADD COLUMN coordinator_id    text;

-- 5. Alert delivery: the receivers (from the coordinators' --alertmanager and --webhook) and a
--    durable outbox with one row per alert, receiver and state to tell. Rows are made by the
--    trigger below in the transaction that changes the alert, so a committed alert always has its
--    deliveries, whoever changed it (the ingest path, `cellfleet alerts ack`, an API).
CREATE TABLE alert_receivers (
    receiver_id  text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('alertmanager', 'webhook')),
    url          text NOT NULL,
    enabled      boolean NOT NULL DEFAULT true,
    added_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, url)
);

CREATE TABLE alert_deliveries (
    delivery_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id         bigint NOT NULL REFERENCES alerts (alert_id),
    receiver_id      text NOT NULL REFERENCES alert_receivers (receiver_id),
    -- The alert state this delivery tells the receiver.
    alert_state      text NOT NULL CHECK (alert_state IN ('firing', 'acknowledged', 'resolved')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (alert_id, receiver_id, alert_state)
);
-- What a worker takes next (FOR UPDATE SKIP LOCKED).
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE delivered_at IS NULL;

-- A new alert, or a change of its state: a delivery per enabled receiver (Alertmanager is told
-- only firing and resolved: acknowledging keeps an alert firing there), and a notification for
-- `cellfleet alerts watch` and the delivery workers.
CREATE FUNCTION cellfleet_alert_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state THEN
        RETURN NEW;
    END IF;
    INSERT INTO alert_deliveries (alert_id, receiver_id, alert_state)
    SELECT NEW.alert_id, r.receiver_id, NEW.state
    FROM alert_receivers r
    WHERE r.enabled AND (r.kind = 'webhook' OR NEW.state <> 'acknowledged')
    ON CONFLICT (alert_id, receiver_id, alert_state) DO NOTHING;
    PERFORM pg_notify('cellfleet_alerts', NEW.alert_id::text || ' ' || NEW.state);
    RETURN NEW;
END
$$;

CREATE TRIGGER alerts_changed AFTER INSERT OR UPDATE OF state ON alerts
FOR EACH ROW EXECUTE FUNCTION cellfleet_alert_changed();

-- 6. Commands to agents (the safety stop; later the scheduler's starts). A fail alert of a test
--    with attributes.on_fail = "stop" gets one stop command, in the alert's transaction. The
--    coordinator holding the agent's connection sends it (again, until the agent answers: the
--    agent executes a command id once) and stores the agent's result.
CREATE TABLE commands (
    command_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id        text NOT NULL,
    channel_id      text,
    test_id         uuid REFERENCES tests (test_id),
    alert_id        bigint REFERENCES alerts (alert_id),
    action          text NOT NULL CHECK (action IN ('stop_channel', 'start_test')),
    reason          text NOT NULL DEFAULT '',
    body            jsonb NOT NULL DEFAULT '{}'::jsonb,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'succeeded', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    completed_at    timestamptz,
    result_ok       boolean,
    result_message  text,
    -- One stop per fail alert, however often the alert is derived again.
    UNIQUE (alert_id, action)
);
CREATE INDEX commands_open ON commands (agent_id, command_id) WHERE state IN ('pending', 'sent');

CREATE FUNCTION cellfleet_command_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cellfleet_commands', NEW.agent_id);
    RETURN NEW;
END
$$;

CREATE TRIGGER commands_changed AFTER INSERT ON commands
FOR EACH ROW EXECUTE FUNCTION cellfleet_command_changed();

-- 7. The safety stop (docs/live-detection.md §5). A fail alert of a running test whose
--    attributes.on_fail is "stop" gets one stop command in the alert's own transaction, so a
--    committed fail alert of such a test always has its stop, whoever derived it; a replayed
--    alert is not inserted again and makes none. One stop per test: a second fail alert of the
--    same test finds the first stop. `safety_stop` tells people where the stop stands:
--    'requested', 'stop pending' (unconfirmed after a minute), 'stopped', or why it was not.
ALTER TABLE alerts ADD COLUMN safety_stop text;

CREATE FUNCTION cellfleet_alert_safety_stop() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO commands (agent_id, channel_id, test_id, alert_id, action, reason)
    SELECT t.agent_id, t.channel_id, t.test_id, NEW.alert_id, 'stop_channel', NEW.rule
    FROM tests t
    WHERE t.test_id = NEW.test_id AND t.ended_at IS NULL AND t.attributes ->> 'on_fail' = 'stop'
      AND NOT EXISTS (SELECT 1 FROM commands c WHERE c.test_id = NEW.test_id AND c.action = 'stop_channel')
    ON CONFLICT (alert_id, action) DO NOTHING;
    IF FOUND THEN
        UPDATE alerts SET safety_stop = 'requested' WHERE alert_id = NEW.alert_id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER alerts_safety_stop AFTER INSERT ON alerts
FOR EACH ROW WHEN (NEW.severity = 'fail' AND NEW.test_id IS NOT NULL)
EXECUTE FUNCTION cellfleet_alert_safety_stop();

-- 8. Alert delivery (docs/live-detection.md §4): the coordinators work the outbox above. A
--    coordinator claims due rows with FOR UPDATE SKIP LOCKED, counts the attempt and moves
--    `next_attempt_at` a lease ahead, so a coordinator that dies holding a claim has it retried
--    by whichever coordinator serves the receiver once the lease is over. `claim_token` names
--    the claim: only its holder records a failure (a late answer after the lease passed cannot
--    move a newer claim's retry); a success is recorded whoever had it.
ALTER TABLE alert_receivers
    -- The coordinator that last started with this receiver configured, and when.
    ADD COLUMN configured_by  text,
    ADD COLUMN configured_at  timestamptz;
ALTER TABLE alert_deliveries
    ADD COLUMN claimed_by     text,
    ADD COLUMN claim_token    uuid,
    -- The HTTP status of the last attempt (null: no answer — refused, reset, timed out).
    ADD COLUMN last_status    integer,
    ADD COLUMN delivered_by   text,
    -- Alertmanager only: the last re-post of this delivered row (an alert still firing is posted
    -- again every interval; a resolution once more after it was delivered).
    ADD COLUMN reposted_at    timestamptz;
-- The rows an Alertmanager may need re-posted.
CREATE INDEX alert_deliveries_told ON alert_deliveries (receiver_id, alert_id) WHERE delivered_at IS NOT NULL;

-- 9. Fleet health (docs/live-detection.md §3): what the coordinators' FleetHealth service reads
--    to raise and resolve F1 (test silent), F2 (agent lost) and F3 (clock ahead) as `alerts` rows
--    with source 'coordinator' (one open episode each: the partial unique indexes of §1). The
--    ingest transaction writes test_progress.last_sample_at (the database's clock at the commit
--    that brought new samples), usual_interval_s (the cadence of those commits) and
--    sample_clock_ahead_s (how far the newest sample's unix time was ahead of the receiving
--    coordinator's clock); the coordinator holding an agent writes agents.last_seen (hello,
--    heartbeats, deliveries; throttled), connected_at (its last hello: F1 counts a test's silence
--    from no earlier than its agent's return) and coordinator_id.
ALTER TABLE test_progress
    ADD COLUMN sample_clock_ahead_s  double precision;
ALTER TABLE agents
    ADD COLUMN connected_at          timestamptz;
-- The service's scan: the running tests (few) of a fleet whose finished tests grow without end.
CREATE INDEX tests_running ON tests (agent_id) WHERE ended_at IS NULL;
