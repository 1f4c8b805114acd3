-- 0001_init.sql - the first schema of the sup database.
--
-- Run once by supd (src/store.c) inside a transaction when the database's
-- PRAGMA user_version is 0; the store then sets user_version to 1. Never
-- edit a migration that has shipped: add db/migrations/NNNN_*.sql instead.
-- See db/README.md for what every column means.
--
-- Conventions:
--  * Times are UTC text 'YYYY-MM-DDTHH:MM:SS.sssZ' (millisecond precision),
--    so they sort as text and SQLite's date functions read them directly.
--    The CHECKs below insist on exactly that form: a value that strftime()
--    would not print back identically is rejected, and so is text that is
--    not a time at all (strftime() gives NULL and NULL IS 'x' is false).
--  * There are deliberately no CHECKs that one time is after another
--    (ended_at >= started_at): the wall clock can step backwards (NTP, RTC
--    fixes) and a supervisor must never fail to record an exit because of it.
--  * Flags are INTEGER 0/1. NULL means "none / not applicable", never 0.
--  * Rows are never deleted by supd: a container that leaves the config is
--    marked removed = 1 so its history stays joinable.

-- One row per container name ever configured: the current state and the
-- outcome of the last run. supctl list reads this table.
CREATE TABLE containers (
    name            TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),
    state           TEXT NOT NULL DEFAULT 'stopped'
                    CHECK (state IN ('stopped', 'starting', 'running', 'stopping',
                                     'exited', 'oom-killed', 'failed', 'backoff')),
    -- when state last changed
    state_since     TEXT CHECK (state_since IS strftime('%Y-%m-%dT%H:%M:%fZ', state_since)),
    -- the live process of the current run; NULL when none
    pid             INTEGER CHECK (pid > 0),
    -- /proc/PID/stat field 22 (clock ticks after boot) of pid, so a recycled
    -- pid is not mistaken for ours after a supd restart; NULL when no pid
    pid_starttime   INTEGER CHECK (pid_starttime >= 0),
    -- cgroup path of the current or last run
    cgroup          TEXT,
    -- start time of the current or last run; NULL when never started
    started_at      TEXT CHECK (started_at IS strftime('%Y-%m-%dT%H:%M:%fZ', started_at)),
    -- automatic restarts by the restart policy (not supctl start/restart)
    restarts        INTEGER NOT NULL DEFAULT 0 CHECK (restarts >= 0),
    -- runs that ended in an OOM kill
    oom_kills       INTEGER NOT NULL DEFAULT 0 CHECK (oom_kills >= 0),
    -- runs.id of the run in progress; NULL when none. No index: this table
    -- has one row per container, so the foreign-key check is a short scan.
    current_run     INTEGER REFERENCES runs (id),
    -- outcome of the last finished run, copied from runs
    last_exit_code  INTEGER,  -- NULL when killed by a signal or never ran
    last_signal     INTEGER CHECK (last_signal > 0),  -- NULL when no signal
    last_reason     TEXT,
    removed         INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
    created_at      TEXT NOT NULL CHECK (created_at IS strftime('%Y-%m-%dT%H:%M:%fZ', created_at)),
    updated_at      TEXT NOT NULL CHECK (updated_at IS strftime('%Y-%m-%dT%H:%M:%fZ', updated_at))
);

-- One row per start of a container (each clone of its init process).
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,  -- rowid: grows with every start
    container       TEXT NOT NULL REFERENCES containers (name),
    pid             INTEGER CHECK (pid > 0),
    pid_starttime   INTEGER CHECK (pid_starttime >= 0),
    cgroup          TEXT,
    started_at      TEXT NOT NULL CHECK (started_at IS strftime('%Y-%m-%dT%H:%M:%fZ', started_at)),
    -- NULL while the run is in progress
    ended_at        TEXT CHECK (ended_at IS strftime('%Y-%m-%dT%H:%M:%fZ', ended_at)),
    exit_code       INTEGER,                           -- NULL: killed, never started, or running
    signal          INTEGER CHECK (signal > 0),        -- NULL: not killed by a signal
    oom_killed      INTEGER NOT NULL DEFAULT 0 CHECK (oom_killed IN (0, 1)),
    -- processes of this run killed by the OOM killer (main process or not)
    oom_kills       INTEGER NOT NULL DEFAULT 0 CHECK (oom_kills >= 0),
    reason          TEXT                               -- 'exited(1)', 'killed(SIGKILL)', ...
);
-- "the last N runs of a container" (supctl status) and the foreign key.
CREATE INDEX runs_container_id ON runs (container, id);

-- Append-only, time-ordered log. container is deliberately not a foreign
-- key: recording an event must never fail, and daemon-wide events have none.
-- type is not CHECKed either, so a new event type needs no table rebuild.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,  -- rowid: the order events happened in
    time            TEXT NOT NULL CHECK (time IS strftime('%Y-%m-%dT%H:%M:%fZ', time)),
    container       TEXT,                 -- NULL for daemon-wide events
    type            TEXT NOT NULL CHECK (type <> ''),
    detail          TEXT
);
-- dashboards select time ranges ("the last hour")
CREATE INDEX events_time ON events (time);
-- "events of one container after id N" (supctl events, status)
CREATE INDEX events_container_id ON events (container, id);
