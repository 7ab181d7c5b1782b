-- cellfleet schema, migration 7: the HTTP API's bearer tokens, and an audit log of what people
-- did (issue 15; docs/api.md).
--
-- Who writes what: `cellfleet token create` / `token revoke` write api_tokens; every `cellfleet api`
-- server reads them on each request (the servers are stateless, any number over one database, so
-- a revocation holds at once on all of them) and stamps last_used_at. audit_log is written in the
-- transaction of the change it records, so an action is in the log exactly when it happened.

-- 1. A token is shown once, to the person who made it; only its SHA-256 is kept, so a copy of the
--    database (a backup, a replica) does not let anyone in. A token is 32 random bytes, so an
--    unsalted hash is as strong as a salted one and can be looked up by its index. The name is
--    who the token speaks for (it is `acknowledged_by` on an alert acknowledged with it), hence
--    unique, also after a revocation: a name in the history means one holder. A revoked token is
--    kept (revoked_at) for the audit trail rather than deleted.
--    Roles: viewer reads; operator also acknowledges and resolves alerts (and confirms loads);
--    admin may do everything.
CREATE TABLE api_tokens (
    token_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name <> ''),
    role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    token_sha256  bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    -- Stamped by the API servers at most about once a minute per token (not on every request:
    -- a dashboard polling every second would otherwise write a row a second).
    last_used_at  timestamptz
);

-- 2. What people did to the fleet's state, through the API or the commands: acknowledged or
--    resolved an alert, confirmed a load, made or revoked a token. `actor` is the token's name
--    (the API) or the person named on the command line; `target` what was acted on (an alert id,
--    AGENT/CHANNEL, a token's name); `detail` the rest (the note, what changed). Only appended:
--    nothing updates or deletes a row.
CREATE TABLE audit_log (
    audit_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    action    text NOT NULL CHECK (action IN ('ack', 'resolve', 'load', 'token_create', 'token_revoke')),
    target    text NOT NULL,
    detail    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_by_target ON audit_log (target, audit_id);
