/* store.h - the SQLite database, the system of record. The only module
 * that includes sqlite3.h (store.c, store_write.c, store_read.c,
 * store_queue.c).
 *
 * supd opens it read-write (WAL mode, schema migrated to the version built
 * in from db/); supctl and dashboards open it read-only and never block
 * supd. Times cross this API as int64 milliseconds since the Unix epoch
 * and are stored as UTC text 'YYYY-MM-DDTHH:MM:SS.sssZ'.
 * Every function returns 0 or -errno (-EIO for an SQLite error, with the
 * SQLite message in err where an err parameter exists). Never logs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct store;

/* Open (creating if needed) and migrate to the newest schema. Refuses,
 * with err saying what to do: a file SQLite could only open read-only
 * (-EROFS: permissions, a read-only mount), a file that is not a database
 * or fails PRAGMA quick_check (-EUCLEAN), a schema newer than this build
 * (-EPROTO). */
int store_open(const char *path, struct store **ret, struct sup_err *err);
/* Open an existing database read-only (supctl). -ENOENT if missing. */
int store_open_readonly(const char *path, struct store **ret, struct sup_err *err);
struct store *store_close(struct store *s);

/* The schema version this build migrates to (PRAGMA user_version). */
int store_schema_version(void);

/* Group many writes into one transaction (the loop brackets a batch of
 * events with these). Nested begin is counted; only the outermost commits. */
int store_begin(struct store *s);
int store_commit(struct store *s);

/* Batch mode (supd): every write is queued in memory, in order, and
 * store_flush() commits the queue (the backlog), one transaction per at
 * most STORE_FLUSH_CHUNK writes. supd flushes before its loop waits, so
 * readers see each turn's writes as soon as the turn is done, and a turn
 * costs one commit. When the database cannot commit (locked by another
 * writer, disk full, I/O error, made read-only) the writes stay queued
 * and a later store_flush() catches up in order. A write that the
 * database refuses outright (an unknown container: -ENOENT before) is
 * skipped and counted in rejected. In batch mode every writer below
 * returns 0 at once, or -EINVAL for bad arguments; a write that finds the
 * backlog full (STORE_BACKLOG_MAX_WRITES writes or _BYTES of memory) is
 * dropped and counted, never silently. */
void store_set_autobatch(struct store *s, bool on);

#define STORE_BACKLOG_MAX_WRITES 100000
#define STORE_BACKLOG_MAX_BYTES (64u << 20)
#define STORE_FLUSH_CHUNK 1000

/* Commit the backlog, oldest first: 0 when it is empty; 1 when writes are
 * left after about STORE_FLUSH_BUDGET_MS of work (call again soon, so a
 * long catch-up does not stall the caller); -errno when the database
 * failed (-EBUSY locked, -ENOSPC full, -EROFS read-only, -EIO, ...), with
 * SQLite's message in store_backlog.error, everything not committed still
 * queued. Chunks committed before a failure stay committed. */
#define STORE_FLUSH_BUDGET_MS 50
int store_flush(struct store *s);

struct store_backlog {
	size_t pending;        /* writes queued, not yet committed */
	size_t pending_bytes;  /* memory they take */
	uint64_t committed;    /* writes committed from the backlog since open */
	uint64_t dropped;      /* writes dropped since open because the backlog was full */
	uint64_t rejected;     /* writes the database refused and that were skipped */
	const char *error;     /* SQLite's message for the last failed flush, "" if none */
	const char *rejected_error; /* and for the last rejected write */
};
/* The backlog's counters; the strings live until the next store call. */
void store_get_backlog(const struct store *s, struct store_backlog *ret);
/* Caps of the backlog (tests; supd keeps the defaults above). */
void store_set_backlog_limit(struct store *s, size_t max_writes, size_t max_bytes);
/* How long a write waits for another writer's lock before it fails with
 * -EBUSY (store_open() sets 5 s, which lets a concurrent migration finish;
 * supd lowers it once open, so a stuck writer cannot stall its loop). */
void store_set_busy_timeout(struct store *s, int ms);

/* Make sure a row exists for every configured container (state 'stopped'
 * for new rows, removed = 0), and mark rows whose names are not in the
 * list removed = 1 (history is kept). */
int store_sync_containers(struct store *s, const char *const *names, int n, int64_t now_ms);

/* Set containers.state (and state_since) for name. */
int store_set_state(struct store *s, const char *name, const char *state, int64_t now_ms);

/* A new run begins: insert into runs, point containers.current_run at it,
 * set pid, pid_starttime, cgroup, started_at, state. *ret_run_id gets the
 * run's id, allocated in memory (one more than the last run's) so that it
 * is known before the row is committed. */
int store_run_begin(struct store *s, const char *name, pid_t pid, uint64_t pid_starttime,
		    const char *cgroup, const char *state, int64_t now_ms, int64_t *ret_run_id);

struct store_run_end {
	int64_t ended_at_ms;
	int exit_code;      /* -1 when killed by a signal or never started */
	int signal;         /* 0 when it exited normally */
	bool oom_killed;    /* the run ended by an OOM kill (kills are counted by store_record_oom) */
	const char *reason; /* e.g. "exited(1)", "killed(SIGKILL)", "exec: No such file or directory" */
	const char *state;  /* the container's state after this run: exited, failed, stopped, ... */
};
/* The run ends: fill runs row, clear containers.pid/current_run, copy the
 * outcome to containers.last_*, set containers.state; oom_killed adds one
 * to containers.oom_kills. */
int store_run_end(struct store *s, const char *name, int64_t run_id, const struct store_run_end *end);

/* count processes of run run_id were killed by the OOM killer: add it to
 * runs.oom_kills and containers.oom_kills and append one 'oom-kill' event
 * per process killed (at most 10000), each with detail, in one transaction. */
int store_record_oom(struct store *s, const char *name, int64_t run_id, int64_t count, int64_t now_ms, const char *detail);

/* The run's cgroup OOM counters as last seen (at its start, and after each
 * recorded kill), so a supd restarted after a crash counts the kills it did
 * not see exactly once. */
int store_run_set_oom_seen(struct store *s, const char *name, int64_t run_id, uint64_t oom_kill, uint64_t oom_group_kill);

/* containers.restarts += 1 */
int store_count_restart(struct store *s, const char *name);

/* Append to the event log. name may be NULL for daemon-wide events. */
int store_event(struct store *s, int64_t now_ms, const char *name, const char *type, const char *detail);

/* Delete at most max_rows (> 0, else -EINVAL) events with time before
 * older_than_ms, oldest first, in one short write transaction of their own,
 * so that supd can prune a long log in small batches and never hold the
 * write lock long. *ret_deleted (may be NULL) gets the number deleted: less
 * than max_rows means nothing older is left. A time outside years 0-9999
 * deletes nothing. */
int store_prune_events(struct store *s, int64_t older_than_ms, int max_rows, int *ret_deleted);

/* --- readers (supctl, tests) --- */

struct store_container {
	char name[64];
	char state[24];
	int64_t state_since_ms;
	int64_t pid;            /* 0 when none */
	uint64_t pid_starttime; /* /proc/PID/stat field 22, 0 when none */
	char cgroup[512];
	int64_t started_at_ms;  /* 0 when never started */
	int64_t restarts;
	int64_t oom_kills;
	int64_t current_run;    /* 0 when none */
	int last_exit_code;     /* -1 when none */
	int last_signal;        /* 0 when none */
	char last_reason[256];
	bool removed;
};

struct store_run {
	int64_t id;
	int64_t pid;
	int64_t started_at_ms;
	int64_t ended_at_ms; /* 0 while running */
	int exit_code;       /* -1 when none */
	int signal;
	bool oom_killed;
	char reason[256];
};

struct store_event_row {
	int64_t id;
	int64_t time_ms;
	char container[64]; /* empty for daemon-wide events */
	char type[32];
	char detail[512];
};

/* All non-removed containers sorted by name; *ret is one malloc'd array. */
int store_list_containers(struct store *s, struct store_container **ret, int *ret_n);
/* -ENOENT when there is no such row. */
int store_get_container(struct store *s, const char *name, struct store_container *ret);
/* Newest first, at most limit rows. */
int store_list_runs(struct store *s, const char *name, int limit, struct store_run **ret, int *ret_n);
/* Events with id > after_id, oldest first, at most limit; name NULL = all. */
int store_list_events(struct store *s, const char *name, int64_t after_id, int limit,
		      struct store_event_row **ret, int *ret_n);

/* One run as a restarted supd needs it to finish or re-adopt it. */
struct store_run_state {
	int64_t id;
	char container[64];
	int64_t pid;            /* 0 when none */
	uint64_t pid_starttime; /* 0 when none */
	char cgroup[512];
	int64_t started_at_ms;
	bool has_oom_seen;      /* false for runs from before schema version 3 */
	uint64_t oom_kill_seen, oom_group_kill_seen;
	bool open;              /* ended_at is NULL */
	int64_t oom_kills;      /* OOM kills recorded for it so far */
};
/* -ENOENT when there is no such run. */
int store_get_run(struct store *s, int64_t run_id, struct store_run_state *ret);
/* Whether the last supd to use this database stopped cleanly: *ret_clean
 * is true when its last lifecycle event is 'supd-stopped' (or there is
 * none), false when a 'supd-started' has no 'supd-stopped' after it. */
int store_last_stop_was_clean(struct store *s, bool *ret_clean);

/* UTC text form used in the database for ms since the epoch. buf >= 32. */
void store_format_time(int64_t ms, char *buf, size_t size);
