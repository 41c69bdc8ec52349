-- pgha metadata schema, version 2. Created by `pgha primary register` inside the
-- database named by the node's conninfo, and replicated to every standby by
-- PostgreSQL itself. Upgrades are explicit, idempotent scripts (schema_v2.sql...).
CREATE SCHEMA IF NOT EXISTS pgha;

CREATE TABLE IF NOT EXISTS pgha.schema_version (
    version     integer     PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pgha.nodes (
    node_id           integer PRIMARY KEY CHECK (node_id > 0),
    node_name         text    NOT NULL UNIQUE CHECK (node_name <> ''),
    type              text    NOT NULL CHECK (type IN ('primary', 'standby', 'witness')),
    upstream_node_id  integer REFERENCES pgha.nodes (node_id) ON DELETE SET NULL,
    active            boolean NOT NULL DEFAULT true,
    location          text    NOT NULL DEFAULT 'default',
    priority          integer NOT NULL DEFAULT 100 CHECK (priority >= 0),
    conninfo          text    NOT NULL,
    repluser          text    NOT NULL,
    slot_name         text,
    data_directory    text    NOT NULL DEFAULT '',
    daemon_listen     text    NOT NULL DEFAULT '',   -- host:port of the node's pghad
    registered_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pgha.events (
    event_id         bigserial   PRIMARY KEY,
    node_id          integer     NOT NULL,
    node_name        text        NOT NULL,
    event            text        NOT NULL,
    successful       boolean     NOT NULL,
    event_timestamp  timestamptz NOT NULL DEFAULT now(),
    details          text        NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_timestamp_idx ON pgha.events (event_timestamp);

CREATE TABLE IF NOT EXISTS pgha.monitoring_history (
    primary_node_id  integer     NOT NULL,
    standby_node_id  integer     NOT NULL,
    sampled_at       timestamptz NOT NULL DEFAULT now(),
    primary_lsn      pg_lsn      NOT NULL,
    received_lsn     pg_lsn,
    replayed_lsn     pg_lsn,
    lag_bytes        bigint
);
CREATE INDEX IF NOT EXISTS monitoring_history_sampled_idx ON pgha.monitoring_history (sampled_at);

-- One row: the cluster's current term and the primary elected in it.
CREATE TABLE IF NOT EXISTS pgha.cluster_state (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    term             bigint  NOT NULL DEFAULT 1 CHECK (term > 0),
    primary_node_id  integer REFERENCES pgha.nodes (node_id) ON DELETE SET NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pgha.cluster_state (singleton) VALUES (true) ON CONFLICT DO NOTHING;

-- Version 2: one row per timeline switch (promotion), for `pgha cluster history`.
-- Node ids are kept without a foreign key: the history outlives registrations.
CREATE TABLE IF NOT EXISTS pgha.timeline_history (
    timeline             integer     PRIMARY KEY CHECK (timeline > 1),
    parent_timeline      integer     NOT NULL,
    fork_lsn             pg_lsn      NOT NULL,   -- where the parent timeline ended
    switched_at          timestamptz NOT NULL DEFAULT now(),
    reason               text        NOT NULL CHECK (reason IN ('failover', 'switchover', 'manual_promote', 'unfence')),
    term                 bigint      NOT NULL,
    old_primary_id       integer,
    old_primary_name     text,
    new_primary_id       integer     NOT NULL,
    new_primary_name     text        NOT NULL,
    old_primary_wal_end  pg_lsn,                 -- known once the old primary rejoined
    bytes_beyond_fork    bigint                  -- WAL the old primary had that the new one never got
);

-- Every statement above is idempotent, so this script also upgrades version 1.
INSERT INTO pgha.schema_version (version) VALUES (1), (2) ON CONFLICT DO NOTHING;
