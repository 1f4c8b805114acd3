/* dbsync.c - keep supervising while the database fails (see dbsync.h).
 *
 * The store queues every write (store_queue.c); this file decides when to
 * try committing the queue. Normally that is once per loop turn. After a
 * failure it is on a timer with exponential backoff, and the per-turn
 * flushes do nothing until the timer is due: with a busy timeout of
 * DBSYNC_BUSY_TIMEOUT_MS, a writer that holds the database's lock for
 * minutes costs the loop at most that much per retry, never a 5 s wait per
 * turn. A long catch-up is done in slices of STORE_FLUSH_BUDGET_MS, one per
 * loop turn, so that exits and client requests are still handled while it
 * runs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "dbsync.h"
#include "fd.h"
#include "log.h"
#include "store.h"

static void on_retry(uv_timer_t *t)
{
	dbsync_flush(t->data);
}

/* The status file for supctl (see DBSYNC_STATUS_SUFFIX): written to a
 * temporary name and renamed, so a reader sees a whole line or none. */
static void write_status(struct dbsync *ds)
{
	struct store_backlog b;
	store_get_backlog(ds->store, &b);
	char since[32], line[768], tmp[sizeof(ds->status_path) + 8];
	store_format_time(ds->failed_since_ms, since, sizeof(since));
	int n = snprintf(line, sizeof(line), "%d failing since %s: %s (%s)\n", (int)getpid(), since, b.error,
			 strerror(-ds->error));
	snprintf(tmp, sizeof(tmp), "%s.tmp", ds->status_path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = fd < 0 ? -errno : fd_write_all(fd, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
	if (fd >= 0)
		close(fd);
	if (r >= 0 && rename(tmp, ds->status_path) < 0)
		r = -errno;
	if (r < 0) {
		log_warning("%s: %s; supctl will not warn that the database is behind, ignoring", ds->status_path,
			    strerror(-r));
		(void)unlink(tmp);
	}
}

static void remove_status(struct dbsync *ds)
{
	if (ds->status_path[0] && unlink(ds->status_path) < 0 && errno != ENOENT)
		log_warning("removing %s: %s, ignoring", ds->status_path, strerror(errno));
}

int dbsync_init(struct dbsync *ds, uv_loop_t *loop, struct store *store, const char *path,
		const char *socket_path)
{
	*ds = (struct dbsync){ .store = store, .path = path };
	snprintf(ds->status_path, sizeof(ds->status_path), "%s%s", socket_path, DBSYNC_STATUS_SUFFIX);
	remove_status(ds); /* left by a supd that crashed while failing */
	int r = uv_timer_init(loop, &ds->retry);
	if (r < 0)
		return r;
	ds->retry.data = ds;
	ds->timer_inited = true;
	store_set_busy_timeout(store, DBSYNC_BUSY_TIMEOUT_MS);
	return 0;
}

static void arm(struct dbsync *ds, uint64_t delay_ms)
{
	ds->retry_at = uv_now(ds->retry.loop) + delay_ms;
	if (ds->timer_inited)
		uv_timer_start(&ds->retry, on_retry, delay_ms, 0);
}

/* Writes dropped because the backlog was full, and writes the database
 * refused, are said once each, so they are never lost silently. */
static void report_counts(struct dbsync *ds, const struct store_backlog *b)
{
	if (b->dropped > ds->dropped_seen) {
		if (ds->dropped_seen == ds->dropped_at_failure)
			log_error("database %s: %zu writes (%zu bytes) wait in memory, the most supd keeps: "
				  "dropping new ones until the database works again (their number is recorded then)",
				  ds->path, b->pending, b->pending_bytes);
		ds->dropped_seen = b->dropped;
	}
	if (b->rejected > ds->rejected_seen) {
		log_warning("database %s: %" PRIu64 " write(s) refused by the database and skipped (%s), ignoring",
			    ds->path, b->rejected - ds->rejected_seen, b->rejected_error);
		ds->rejected_seen = b->rejected;
	}
}

static void on_failure(struct dbsync *ds, int r)
{
	struct store_backlog b;
	store_get_backlog(ds->store, &b);

	if (!ds->failing) {
		ds->failing = true;
		ds->failed_since_ms = daemon_now_ms();
		ds->attempts = 0;
		ds->backoff_ms = DBSYNC_RETRY_FIRST_MS;
		ds->committed_at_failure = b.committed;
		ds->dropped_at_failure = b.dropped;
		ds->dropped_seen = b.dropped;
		log_error("database %s: cannot commit: %s (%s); supervising on, keeping changes in memory "
			  "(up to %d writes) and retrying", ds->path, b.error, strerror(-r), STORE_BACKLOG_MAX_WRITES);
		char detail[512];
		snprintf(detail, sizeof(detail), "cannot commit: %s (%s); %zu writes waiting in memory", b.error,
			 strerror(-r), b.pending);
		/* Queued behind what failed, so it lands in order, with the
		 * time the trouble began. */
		(void)store_event(ds->store, ds->failed_since_ms, NULL, "db-error", detail);
		ds->error = r;
		write_status(ds);
	} else {
		if (r != ds->error) {
			log_warning("database %s: still cannot commit, now: %s (%s)", ds->path, b.error, strerror(-r));
			ds->error = r;
			write_status(ds);
		}
		ds->backoff_ms = ds->backoff_ms * 2 < DBSYNC_RETRY_MAX_MS ? ds->backoff_ms * 2 : DBSYNC_RETRY_MAX_MS;
	}
	ds->attempts++;
	arm(ds, ds->backoff_ms);
}

static void on_recovered(struct dbsync *ds)
{
	struct store_backlog b;
	store_get_backlog(ds->store, &b);
	int64_t took = daemon_now_ms() - ds->failed_since_ms;
	uint64_t caught_up = b.committed - ds->committed_at_failure;
	uint64_t dropped = b.dropped - ds->dropped_at_failure;

	log_notice("database %s: commits again after %" PRId64 " ms and %" PRIu64 " failed attempts: %" PRIu64
		   " writes kept in memory are in it now, %" PRIu64 " dropped", ds->path, took, ds->attempts,
		   caught_up, dropped);
	char detail[512];
	snprintf(detail, sizeof(detail),
		 "after %" PRId64 " ms and %" PRIu64 " failed attempts: %" PRIu64 " writes caught up, %" PRIu64
		 " dropped (backlog full)", took, ds->attempts, caught_up, dropped);
	(void)store_event(ds->store, daemon_now_ms(), NULL, "db-recovered", detail);
	ds->failing = false;
	ds->error = 0;
	remove_status(ds);
	if (ds->timer_inited)
		uv_timer_stop(&ds->retry);
}

/* One flush with its consequences: -errno, 0 all committed, 1 more left. */
static int attempt(struct dbsync *ds)
{
	int r = store_flush(ds->store);
	if (r == 0 && ds->failing) {
		on_recovered(ds);
		r = store_flush(ds->store); /* the db-recovered event */
	}
	struct store_backlog b;
	store_get_backlog(ds->store, &b);
	report_counts(ds, &b);
	if (r < 0)
		on_failure(ds, r);
	return r;
}

void dbsync_flush(struct dbsync *ds)
{
	if (ds->failing && uv_now(ds->retry.loop) < ds->retry_at)
		return; /* the timer retries */
	if (attempt(ds) > 0)
		arm(ds, 0); /* the next slice of a catch-up, after this turn's other work */
}

bool dbsync_is_failing(const struct dbsync *ds)
{
	return ds->failing;
}

static int64_t monotonic_ms(void)
{
	return (int64_t)(uv_hrtime() / 1000000);
}

void dbsync_drain(struct dbsync *ds)
{
	int64_t deadline = monotonic_ms() + DBSYNC_EXIT_WAIT_MS;
	for (;;) {
		int r = attempt(ds);
		if (r == 0)
			return;
		if (r > 0)
			continue;
		int64_t left = deadline - monotonic_ms();
		if (left <= 0)
			break;
		if (ds->attempts == 1) {
			struct store_backlog b;
			store_get_backlog(ds->store, &b);
			log_notice("database %s: waiting up to %d ms for it to take the %zu changes still in memory",
				   ds->path, DBSYNC_EXIT_WAIT_MS, b.pending);
		}
		uint64_t nap = ds->backoff_ms < (uint64_t)left ? ds->backoff_ms : (uint64_t)left;
		usleep((useconds_t)(nap * 1000));
	}
	struct store_backlog b;
	store_get_backlog(ds->store, &b);
	log_error("database %s: %zu changes could not be committed before exit (%s) and are lost", ds->path,
		  b.pending, b.error);
}

void dbsync_close(struct dbsync *ds)
{
	remove_status(ds);
	if (ds->timer_inited && !uv_is_closing((uv_handle_t *)&ds->retry))
		uv_close((uv_handle_t *)&ds->retry, NULL);
	ds->timer_inited = false;
}
