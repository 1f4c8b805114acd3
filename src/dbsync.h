/* dbsync.h - supd's side of the database when it fails: commits the
 * store's backlog each loop turn, and while the database cannot commit
 * (locked by another writer, disk full, I/O error, read-only) keeps
 * supervising, retries on a backoff timer instead of waiting in the loop,
 * logs one line when it starts failing and one when it recovers, and
 * records the pair as 'db-error' and 'db-recovered' events with counts.
 * Top layer: logs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct store;

/* First retry after a failure, doubled up to the max. */
#define DBSYNC_RETRY_FIRST_MS 100
#define DBSYNC_RETRY_MAX_MS 2000
/* supd's busy timeout: how long one attempt may wait for another writer's
 * lock, i.e. the longest a stuck writer stalls the loop per retry. */
#define DBSYNC_BUSY_TIMEOUT_MS 20
/* At exit, how long supd keeps retrying before it gives up on the backlog
 * (and says how many writes are lost). */
#define DBSYNC_EXIT_WAIT_MS 10000

/* While commits fail, supd keeps a one-line file SOCKET_PATH + this suffix
 * (next to its control socket, on run_dir's filesystem, not the database's)
 * saying so: "PID failing since TIME: ERROR". supctl list and status warn
 * when it exists and PID is alive, without asking supd (a busy supd would
 * slow every reader). Removed on recovery, at exit and at start. */
#define DBSYNC_STATUS_SUFFIX ".db-failing"

struct dbsync {
	struct store *store;      /* borrowed */
	const char *path;         /* for messages; borrowed from the config */
	char status_path[4200];   /* socket path + DBSYNC_STATUS_SUFFIX */
	uv_timer_t retry;         /* next attempt while failing, or the next slice of a catch-up */
	bool timer_inited;
	bool failing;             /* the last flush failed; writes wait in the backlog */
	int error;                /* -errno of the last failure */
	uint64_t backoff_ms;      /* delay before the next attempt, doubled per failure */
	uint64_t retry_at;        /* uv_now() of the next attempt */
	int64_t failed_since_ms;  /* wall clock of the first failure of this episode */
	uint64_t attempts;        /* failed attempts in this episode */
	uint64_t committed_at_failure; /* backlog counters when the episode began */
	uint64_t dropped_at_failure;
	uint64_t dropped_seen;    /* dropped count already logged */
	uint64_t rejected_seen;   /* rejected count already logged */
};

/* Lower the busy timeout, init the timer, remove a stale status file. The
 * store must be in batch mode. 0 or a libuv error. */
int dbsync_init(struct dbsync *ds, uv_loop_t *loop, struct store *store, const char *path,
		const char *socket_path);
/* Commit what is queued, unless a retry is pending; handles failure and
 * recovery. Cheap when nothing is queued. */
void dbsync_flush(struct dbsync *ds);
/* True while the database is failing (the backlog grows). */
bool dbsync_is_failing(const struct dbsync *ds);
/* At exit: retry for up to DBSYNC_EXIT_WAIT_MS (blocking; every container
 * has stopped), then log how many writes are lost if some still are. */
void dbsync_drain(struct dbsync *ds);
/* Close the timer (with the loop's other handles) and remove the status
 * file. */
void dbsync_close(struct dbsync *ds);
