-- cellfleet schema, migration 3: half cells, and what a lab knows of a cell's cycling window.
--
-- Why: the detector judges a half cell (a working electrode against a lithium counter) in its own
-- window, which depends on the working electrode (an anode lithiates on a discharge of the cell, a
-- cathode on a charge) and on the protocol's voltage limits (docs/cell-metadata.md). The wire's
-- Cell gained CELL_TYPE_HALF, working_electrode, voltage_min_v and voltage_max_v within v1; these
-- are their columns. Additive: every existing row stays valid, the new columns are NULL (unknown)
-- for it, as they are for an agent that does not send them.
--
-- The checks restate what the coordinator refuses on receipt (MALFORMED), so a row that breaks
-- them can only come from elsewhere (a hand-written INSERT, a future bug) and is refused here too.

ALTER TABLE tests DROP CONSTRAINT tests_cell_type_check;
ALTER TABLE tests ADD CONSTRAINT tests_cell_type_check CHECK (cell_type IN ('symmetric', 'half', 'full'));

ALTER TABLE tests
    ADD COLUMN working_electrode text
        CONSTRAINT tests_working_electrode_check CHECK (working_electrode IN ('anode', 'cathode')),
    -- The cycling protocol's limits in volts (not the instrument's: those are channels.voltage_*).
    ADD COLUMN voltage_min_v double precision,
    ADD COLUMN voltage_max_v double precision;

-- Only a half cell has a working electrode. Limits are finite (PostgreSQL's NaN equals NaN) and
-- ordered; a half or full cell's are positive, a symmetric cell's minimum may be negative (it
-- swings around 0 V).
ALTER TABLE tests
    ADD CONSTRAINT tests_working_electrode_half_only CHECK (working_electrode IS NULL OR cell_type = 'half'),
    ADD CONSTRAINT tests_voltage_limits_finite CHECK (
        voltage_min_v NOT IN ('Infinity', '-Infinity', 'NaN') AND voltage_max_v NOT IN ('Infinity', '-Infinity', 'NaN')),
    ADD CONSTRAINT tests_voltage_limits_ordered CHECK (voltage_min_v < voltage_max_v),
    ADD CONSTRAINT tests_voltage_limits_positive CHECK (
        cell_type NOT IN ('half', 'full') OR (voltage_min_v > 0 AND voltage_max_v > 0));
