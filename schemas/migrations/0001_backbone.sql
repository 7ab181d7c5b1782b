-- cellfleet schema, migration 1: the backbone (agents, channels, tests, samples).
--
-- Every primary or unique key of a measurement table includes test_id, so the tables can later be
-- distributed with Citus by test (create_distributed_table('samples', 'test_id'), co-located with
-- tests and test_progress) or partitioned without changing a key. agents and channels are small
-- reference tables.

CREATE TABLE agents (
    agent_id          text PRIMARY KEY,
    software_version  text NOT NULL,
    agent_epoch       bigint NOT NULL DEFAULT 0,
    protocol_version  integer NOT NULL DEFAULT 1,
    first_seen        timestamptz NOT NULL DEFAULT now(),
    last_seen         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE channels (
    agent_id       text NOT NULL REFERENCES agents (agent_id),
    channel_id     text NOT NULL,
    cycler_make    text NOT NULL DEFAULT '',
    cycler_model   text NOT NULL DEFAULT '',
    current_min_a  double precision,
    current_max_a  double precision,
    voltage_min_v  double precision,
    voltage_max_v  double precision,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, channel_id)
);

-- A test is one cell on one channel from start to end; its id is minted by whoever starts it.
CREATE TABLE tests (
    test_id              uuid PRIMARY KEY,
    agent_id             text NOT NULL,
    channel_id           text NOT NULL,
    cell_id              text NOT NULL,
    cell_type            text CHECK (cell_type IN ('symmetric', 'full')),
    electrode_area_m2    double precision,
    active_mass_kg       double precision,
    nominal_capacity_ah  double precision,
    attributes           jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at           timestamptz NOT NULL,
    ended_at             timestamptz,
    end_reason           text,
    last_seq             bigint
);
CREATE INDEX tests_cell_id ON tests (cell_id);
CREATE INDEX tests_agent_channel ON tests (agent_id, channel_id);

-- The committed high-water sequence number of each test, updated in the same transaction as the
-- samples it covers: a re-delivered sample (however re-batched) at or below it is never stored
-- twice, and a batch that starts beyond it + 1 is a gap.
CREATE TABLE test_progress (
    test_id        uuid PRIMARY KEY REFERENCES tests (test_id),
    committed_seq  bigint NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Raw measurements, SI units, positive current = charge. Times are seconds (Unix epoch and test
-- time) as double precision: exact for the instruments' resolution and far cheaper to ingest than
-- timestamptz text. Non-finite measurements arrive as NULL (counted by the coordinator).
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
    PRIMARY KEY (test_id, seq)
);
