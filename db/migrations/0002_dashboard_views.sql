-- 0002_dashboard_views.sql - read-only views for dashboards.
--
-- Run once by supd (src/store.c) inside its migration transaction when the
-- database's PRAGMA user_version is 1; the store then sets it to 2. Never
-- edit a migration that has shipped: add db/migrations/NNNN_*.sql instead
-- (to change a view: DROP VIEW and CREATE VIEW it again in the new file).
-- db/README.md documents every view and column.
--
-- The views are the supported way for dashboards to ask the common
-- questions, so that they do not each re-derive uptime or "per hour" from
-- the tables. supd itself never reads them. They add no work to supd's
-- writes, except for the one partial index at the end.
--
-- Unlike 0001 says, supd now deletes events older than the configured
-- events_keep (store_prune_events); containers and runs are still never
-- deleted. So all-time totals come from those two tables.
--
-- Conventions, as in 0001: times are UTC text 'YYYY-MM-DDTHH:MM:SS.sssZ';
-- an hour is 'YYYY-MM-DDTHH:00:00Z' (the time cut to the hour, so it sorts
-- and compares as text like the times do). Durations are whole seconds.
-- 'now' is the wall clock of the reader, read once per statement.

-- Current state of every configured (not removed) container. uptime_s only
-- while a run is in progress (starting, running, stopping), NULL otherwise.
-- Both durations are clamped at 0: the wall clock can step backwards (NTP)
-- and a negative uptime would only confuse a dashboard.
CREATE VIEW v_containers AS
SELECT name,
       state,
       state_since,
       max(0, CAST((julianday('now') - julianday(state_since)) * 86400 AS INTEGER)) AS in_state_s,
       pid,
       started_at,
       CASE WHEN state IN ('starting', 'running', 'stopping') AND started_at IS NOT NULL
            THEN max(0, CAST((julianday('now') - julianday(started_at)) * 86400 AS INTEGER))
       END AS uptime_s,
       restarts,
       oom_kills,
       last_exit_code,
       last_signal,
       last_reason
FROM containers
WHERE removed = 0;

-- Starts per container and hour, from runs (which supd never deletes, unlike
-- events). Every run is one start; restarts counts the starts that were not
-- the container's first run ever, whatever caused them: the restart policy,
-- supctl start/restart, or supd starting it again after its own restart.
-- So sum(restarts) equals containers.restarts only while no one started the
-- container by hand and supd did not restart; for automatic restarts alone,
-- count 'restart-scheduled' events (see db/README.md). Failed starts are
-- runs too. Hours with no start have no row. Removed containers keep their
-- rows: this is history.
CREATE VIEW v_restarts_per_hour AS
SELECT r.container AS container,
       substr(r.started_at, 1, 13) || ':00:00Z' AS hour,
       count(*) AS starts,
       sum(r.id > f.first_id) AS restarts
FROM runs r
JOIN (SELECT container, min(id) AS first_id FROM runs GROUP BY container) f
  ON f.container = r.container
GROUP BY r.container, hour;

-- Processes killed by the OOM killer, per container and the hour they were
-- seen killed. From 'oom-kill' events, which supd appends one per process
-- killed (store_record_oom), at the time it saw the kill: exact to the hour,
-- unlike runs.oom_kills, which has the count but only the run's start and
-- end. Covers the events kept (see events_keep in the supd configuration);
-- the all-time totals are containers.oom_kills and runs.oom_kills. An
-- 'oom-kill' event always names its container. GROUP BY hour first: with
-- container first, SQLite (without ANALYZE statistics) walks the much
-- larger events_container_id instead of events_oom_kill for the order.
CREATE VIEW v_oom_kills_per_hour AS
SELECT container,
       substr(time, 1, 13) || ':00:00Z' AS hour,
       count(*) AS oom_kills
FROM events
WHERE type = 'oom-kill'
GROUP BY hour, container;

-- Configured containers that supd gave up on: a start that cannot succeed
-- or the start limit hit. They stay so until 'supctl start NAME'.
CREATE VIEW v_failed AS
SELECT name,
       state_since AS since,
       max(0, CAST((julianday('now') - julianday(state_since)) * 86400 AS INTEGER)) AS failed_s,
       last_reason,
       last_exit_code,
       last_signal,
       restarts
FROM containers
WHERE removed = 0 AND state = 'failed';

-- The newest 1000 events, newest first (by id: the order they happened in,
-- even if the clock stepped).
CREATE VIEW v_recent_events AS
SELECT id, time, container, type, detail
FROM events
ORDER BY id DESC
LIMIT 1000;

-- v_oom_kills_per_hour without a scan of the whole event log, and covering
-- it. Partial: only 'oom-kill' rows are in it, so supd's other event
-- inserts (and event pruning) do not pay for it.
CREATE INDEX events_oom_kill ON events (container, time) WHERE type = 'oom-kill';
