-- cellfleet schema, migration 5: agents that follow cycler export files (issue 13) — what a
-- channel can measure, and the source files an agent quarantined, as fleet-health alerts.

-- 1. Whether a channel has an auxiliary temperature probe, as its agent's hello says. NULL for
--    channels last registered before this column (unknown); an agent from before the field
--    sends false, which is what is stored (proto3 cannot tell "false" from "not sent").
ALTER TABLE channels ADD COLUMN aux_temperature boolean;

-- 2. Every source quarantine an agent reported (wire `SourceQuarantined`), once per delivery: a
--    re-sent delivery (same agent, spool epoch and delivery id; delivery ids restart with a new
--    spool) is acknowledged and changes nothing, even after its alert was resolved. `test_id` is
--    what the agent named (no reference: its test may never have started); `alert_id` the F4
--    alert that tells people of it (raised by it, or already open for the same file).
CREATE TABLE source_quarantines (
    quarantine_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id        text NOT NULL,
    agent_epoch     bigint NOT NULL,
    delivery_id     bigint NOT NULL,
    channel_id      text NOT NULL DEFAULT '',
    test_id         uuid,
    -- The path relative to the watched folder.
    file            text NOT NULL CHECK (file <> ''),
    reason          text NOT NULL,
    -- The agent's clock when it quarantined the file (the coordinator's at receipt if it gave none).
    quarantined_at  timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    alert_id        bigint REFERENCES alerts (alert_id),
    UNIQUE (agent_id, agent_epoch, delivery_id)
);
CREATE INDEX source_quarantines_by_file ON source_quarantines (agent_id, file, quarantine_id);

-- 3. F4 (source file quarantined): a coordinator alert like F1–F3 (source 'coordinator', warn),
--    with the test when the agent named one it had started, else none (as F2); its evidence holds
--    `file` and `reason`. One open per (agent, file): a quarantine of a file whose F4 is open adds
--    no alert (it counts in the open one's `occurrences`). People resolve it once the file is
--    dealt with; the coordinator does not.
ALTER TABLE alerts DROP CONSTRAINT alerts_test_or_agent;
ALTER TABLE alerts ADD CONSTRAINT alerts_test_or_agent
    CHECK (test_id IS NOT NULL OR (rule IN ('F2', 'F4') AND agent_id IS NOT NULL));
ALTER TABLE alerts ADD CONSTRAINT alerts_source_quarantine_has_file
    CHECK (rule <> 'F4' OR evidence ? 'file');
CREATE UNIQUE INDEX alerts_open_source_quarantine ON alerts (agent_id, (evidence ->> 'file'))
    WHERE rule = 'F4' AND state <> 'resolved';
