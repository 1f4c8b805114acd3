-- 0003_recovery.sql - what a restarted supd needs to finish a run that a
-- crashed supd left open: the run's cgroup OOM counters as last seen.
--
-- A new supd compares the cgroup's counters now with these to count the OOM
-- kills that happened while no supd was watching, exactly once. Updated at
-- the start of every run (the baseline) and whenever supd records an OOM
-- kill. NULL for runs begun before this migration.
ALTER TABLE runs ADD COLUMN oom_kill_seen INTEGER CHECK (oom_kill_seen >= 0);
ALTER TABLE runs ADD COLUMN oom_group_kill_seen INTEGER CHECK (oom_group_kill_seen >= 0);
