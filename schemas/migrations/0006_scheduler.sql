-- cellfleet schema, migration 6: the scheduler (issue 14; docs/scheduling.md) — studies, the cell
-- inventory, the queue of cell requests, the scheduler's channel state, who loaded which cell, and
-- load requests to people as info notifications.
--
-- Who writes what: `cellfleet study submit` writes studies, study_groups and cells; the
-- coordinators' scheduler round (one at a time: it holds pg_try_advisory_xact_lock(
-- 1667591214) for its transaction) queues cell_requests from the studies, assigns them, writes
-- channel_schedule, start_test commands and load requests, and records what finished tests count
-- as; the people's commands (`channels load`, `channels hold`, `study withdraw`, …) change rows the
-- next round reads. The rows are the truth: any coordinator continues another's work. Keys are
-- ready for distribution as the other tables are: these are small reference tables (a few
-- thousand cells and channels), the measurement tables keep test_id in every key.

-- 1. Studies, as submitted. `definition` is the TOML as given (its format: docs/scheduling.md §5).
--    `state` is the round's verdict: running, complete (every group has its replicates),
--    stock_exhausted (a group cannot reach them), or withdrawn (by a person: nothing more is
--    queued or assigned; tests already running run on).
CREATE TABLE studies (
    study_name         text PRIMARY KEY CHECK (study_name <> '' AND strpos(study_name, '/') = 0),
    priority           integer NOT NULL DEFAULT 0,
    infant_hours       double precision,
    infant_cycles      integer,
    hard_short_cycles  integer NOT NULL DEFAULT 1,
    state              text NOT NULL DEFAULT 'running'
                       CHECK (state IN ('running', 'complete', 'stock_exhausted', 'withdrawn')),
    definition         text NOT NULL,
    submitted_by       text NOT NULL DEFAULT '',
    submitted_at       timestamptz NOT NULL DEFAULT now(),
    state_changed_at   timestamptz NOT NULL DEFAULT now()
);

-- A study's groups, in the file's order (`position`). `requirements` is a vendor schedule's
-- ChannelRequirements as JSON (keys make, current_min_a, current_max_a, voltage_min_v,
-- voltage_max_v, aux_temperature; {} for a sim: protocol). `replicates` may grow
-- (`study add-replicates`).
CREATE TABLE study_groups (
    study_name      text NOT NULL REFERENCES studies (study_name),
    group_name      text NOT NULL CHECK (group_name <> '' AND strpos(group_name, '/') = 0),
    position        integer NOT NULL,
    replicates      integer NOT NULL CHECK (replicates >= 1),
    protocol        text NOT NULL CHECK (protocol <> ''),
    requirements    jsonb NOT NULL DEFAULT '{}'::jsonb,
    duration_hours  double precision CHECK (duration_hours > 0),
    on_fail         text NOT NULL DEFAULT 'notify' CHECK (on_fail IN ('notify', 'stop')),
    attributes      jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (study_name, group_name)
);

-- 2. The cell inventory (`cellfleet cells add --csv`, or the cells a study lists). A study's cell
--    has its group and its place in the group's stock (`stock_position`, used in order) and may
--    run its own protocol. The state: in_stock (not asked for yet), queued, assigned (a channel is
--    reserved for it), on_test, done (a conclusive test), failed (a failed test, counted or not),
--    retired (damaged at loading, or withdrawn from use: never used again).
CREATE TABLE cells (
    cell_id              text PRIMARY KEY CHECK (cell_id <> '' AND strpos(cell_id, '/') = 0),
    cell_type            text CHECK (cell_type IN ('symmetric', 'half', 'full')),
    electrode_area_m2    double precision CHECK (electrode_area_m2 > 0),
    active_mass_kg       double precision CHECK (active_mass_kg > 0),
    nominal_capacity_ah  double precision CHECK (nominal_capacity_ah > 0),
    attributes           jsonb NOT NULL DEFAULT '{}'::jsonb,
    state                text NOT NULL DEFAULT 'in_stock'
                         CHECK (state IN ('in_stock', 'queued', 'assigned', 'on_test', 'done', 'failed', 'retired')),
    study_name           text,
    group_name           text,
    stock_position       integer,
    protocol             text,
    note                 text,
    added_at             timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (study_name, group_name) REFERENCES study_groups (study_name, group_name),
    CHECK ((study_name IS NULL) = (group_name IS NULL) AND (study_name IS NULL) = (stock_position IS NULL))
);
CREATE UNIQUE INDEX cells_stock_order ON cells (study_name, group_name, stock_position) WHERE study_name IS NOT NULL;

-- 3. The queue: a request is one cell of a study asked for a channel, `STUDY/GROUP/CELL` (a cell
--    is asked for once per study; a released reservation puts the same row back in the queue).
--    `submitted` is the FIFO order among equal priorities, kept across a release.
--    States: queued → assigned (a channel reserved: `reserved_until`; a start_test command
--    `command_id` for a simulated channel, a load request `load_alert_id` for a real one) →
--    running (its test started: `test_id`; for a real channel a person's `channels load` or the
--    next file on the channel) → finished (the test ended: `verdict`, `outcome`), or withdrawn.
--    For a simulated channel `test_id` is minted at assignment (the StartTest's).
CREATE SEQUENCE cell_request_submitted;
CREATE TABLE cell_requests (
    request_id      text PRIMARY KEY,
    cell_id         text NOT NULL REFERENCES cells (cell_id),
    study_name      text NOT NULL,
    group_name      text NOT NULL,
    protocol        text NOT NULL,
    requirements    jsonb NOT NULL DEFAULT '{}'::jsonb,
    priority        integer NOT NULL DEFAULT 0,
    submitted       bigint NOT NULL DEFAULT nextval('cell_request_submitted'),
    state           text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'assigned', 'running', 'finished', 'withdrawn')),
    agent_id        text,
    channel_id      text,
    test_id         uuid,
    command_id      bigint REFERENCES commands (command_id),
    load_alert_id   bigint REFERENCES alerts (alert_id),
    reserved_until  timestamptz,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    assigned_at     timestamptz,
    started_at      timestamptz,
    finished_at     timestamptz,
    -- How often a reservation of this request was released (timed out, refused, withdrawn).
    releases        integer NOT NULL DEFAULT 0,
    -- Why it was last released or withdrawn (a reservation timed out, the agent refused the
    -- start_test and why, the study was withdrawn).
    note            text,
    -- What the finished test counts as: conclusive (ran its course), failed (a fail alert after
    -- the infant window: a result, counted), infant (infant mortality: not counted, replaced),
    -- aborted (ended early without a fail alert: not counted, replaced), damaged (the cell was
    -- damaged at loading: not counted, replaced).
    verdict         text CHECK (verdict IN ('conclusive', 'failed', 'infant', 'aborted', 'damaged')),
    -- {fail_rule, fail_at_hours, fail_at_cycle, end_reason} of the finished test.
    outcome         jsonb,
    FOREIGN KEY (study_name, group_name) REFERENCES study_groups (study_name, group_name),
    CHECK (state NOT IN ('assigned', 'running') OR (agent_id IS NOT NULL AND channel_id IS NOT NULL)),
    CHECK (state <> 'finished' OR verdict IS NOT NULL)
);
-- A channel holds one cell; a cell is in the queue or on one channel once — enforced here too,
-- whatever a coordinator does.
CREATE UNIQUE INDEX cell_requests_one_per_channel ON cell_requests (agent_id, channel_id) WHERE state IN ('assigned', 'running');
CREATE UNIQUE INDEX cell_requests_one_per_cell ON cell_requests (cell_id) WHERE state IN ('queued', 'assigned', 'running');
CREATE UNIQUE INDEX cell_requests_one_per_test ON cell_requests (test_id) WHERE test_id IS NOT NULL;
CREATE INDEX cell_requests_open ON cell_requests (state, priority DESC, submitted) WHERE state IN ('queued', 'assigned', 'running');
CREATE INDEX cell_requests_by_group ON cell_requests (study_name, group_name);

-- 4. The scheduler's channel state, one row per channel it has seen (the round writes it; the API
--    and fleet-health alerts read it): idle, reserved, running, stopping (a stop was requested),
--    offline (its agent is away). `since` is when the state last changed. `held` is a person's
--    hold for maintenance (`channels hold` / `channels release`): a held channel is assigned
--    nothing; the round keeps the hold columns as people set them.
CREATE TABLE channel_schedule (
    agent_id     text NOT NULL,
    channel_id   text NOT NULL,
    state        text NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'reserved', 'running', 'stopping', 'offline')),
    request_id   text,
    cell_id      text,
    test_id      uuid,
    since        timestamptz NOT NULL DEFAULT now(),
    held         boolean NOT NULL DEFAULT false,
    hold_reason  text,
    held_by      text,
    held_at      timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, channel_id)
);

-- 5. Who put which cell on which channel, and how: 'confirmed' (a person, `channels load`),
--    'file' (the next file on a reserved real channel's watched folder), 'command' (a StartTest
--    to a simulated channel). A cell damaged at loading is recorded here too (`damaged`).
CREATE TABLE channel_loads (
    load_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id    text NOT NULL,
    channel_id  text NOT NULL,
    cell_id     text NOT NULL,
    request_id  text,
    test_id     uuid,
    how         text NOT NULL CHECK (how IN ('confirmed', 'file', 'command')),
    loaded_by   text NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    damaged     boolean NOT NULL DEFAULT false,
    note        text
);
CREATE INDEX channel_loads_by_channel ON channel_loads (agent_id, channel_id, load_id);
CREATE INDEX channel_loads_by_cell ON channel_loads (cell_id, load_id);

-- 6. A load request to a person — "load cell C on channel A/CH, schedule P" — is an `alerts` row
--    of severity 'info', rule 'L1', source 'scheduler', so it reaches people through the alert
--    outbox (Alertmanager, webhooks, `alerts watch`) exactly once, like every alert. It is a
--    notification, not a failure: nothing that counts alerts (statistics, fleet health, the
--    safety stop) counts it. It has no test yet; its evidence holds request_id, cell_id and
--    protocol. It is resolved by the scheduler when the load is confirmed or the reservation
--    released. One open per request.
ALTER TABLE alerts DROP CONSTRAINT alerts_source_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_source_check CHECK (source IN ('detector', 'coordinator', 'scheduler'));
ALTER TABLE alerts DROP CONSTRAINT alerts_test_or_agent;
ALTER TABLE alerts ADD CONSTRAINT alerts_test_or_agent
    CHECK (test_id IS NOT NULL OR (rule IN ('F2', 'F4', 'L1') AND agent_id IS NOT NULL));
ALTER TABLE alerts ADD CONSTRAINT alerts_load_request_is_info
    CHECK (rule <> 'L1' OR (severity = 'info' AND source = 'scheduler' AND evidence ? 'request_id'));
CREATE UNIQUE INDEX alerts_open_load_request ON alerts ((evidence ->> 'request_id'))
    WHERE rule = 'L1' AND state <> 'resolved';

-- 7. When the coordinator stored each test (the database's clock; the migration's time for older
--    tests): the next file on a reserved real channel is a test stored after the reservation,
--    whatever times the file's own records carry (an export may hold history).
ALTER TABLE tests ADD COLUMN registered_at timestamptz DEFAULT now();

-- 8. A round is due when something it acts on changed: a test started or ended, a request was
--    queued or changed state, a command was answered (a refused start_test), a hold was set or
--    lifted. The coordinators LISTEN on `cellfleet_schedule` and run a round at once, besides their
--    every-interval rounds, so a freed channel is refilled without waiting out the interval.
--    Statement-level: one notification per statement (and PostgreSQL folds equal ones per
--    transaction), never one per sample.
CREATE FUNCTION cellfleet_schedule_wake() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cellfleet_schedule', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER tests_schedule_wake AFTER INSERT OR UPDATE OF ended_at ON tests
FOR EACH STATEMENT EXECUTE FUNCTION cellfleet_schedule_wake();
CREATE TRIGGER cell_requests_schedule_wake AFTER INSERT OR UPDATE OF state ON cell_requests
FOR EACH STATEMENT EXECUTE FUNCTION cellfleet_schedule_wake();
CREATE TRIGGER commands_schedule_wake AFTER UPDATE OF state ON commands
FOR EACH STATEMENT EXECUTE FUNCTION cellfleet_schedule_wake();
CREATE TRIGGER channel_schedule_wake AFTER INSERT OR UPDATE OF held ON channel_schedule
FOR EACH STATEMENT EXECUTE FUNCTION cellfleet_schedule_wake();
