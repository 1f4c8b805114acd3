/* store_queue.c - the backlog: in batch mode (supd) every write is copied
 * into an in-memory queue and store_flush() commits the queue in order.
 *
 * Why a queue rather than writing straight into an open transaction: supd
 * must go on supervising when the database cannot take a write (another
 * process holds the write lock, the disk is full, an I/O error, the file
 * became read-only), and must not lose what happened meanwhile. A write
 * that cannot be committed is simply still in the queue: the next flush
 * replays it, in order, with the same run ids (allocated in memory, see
 * store_run_begin()). Nothing here sleeps or retries; supd decides when to
 * flush again.
 *
 * A flush commits at most STORE_FLUSH_CHUNK writes per transaction, each in
 * a savepoint of its own: a write the database refuses outright (a
 * constraint, an unknown container) is rolled back alone, counted and
 * skipped, as it would have failed however often it was retried; any other
 * failure rolls back the chunk and keeps it queued. Never logs. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store-internal.h"

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *dup_str(const char *v, size_t *size)
{
	if (!v)
		return NULL;
	*size += strlen(v) + 1;
	return xstrdup(v);
}

static void op_free(struct store_op *op)
{
	if (!op)
		return;
	free((char *)op->name);
	free((char *)op->state);
	free((char *)op->cgroup);
	free((char *)op->type);
	free((char *)op->detail);
	if (op->names) {
		for (int i = 0; i < op->n_names; i++)
			free((char *)op->names[i]);
		free((char **)op->names);
	}
	free(op);
}

/* A copy of op owning its strings, with its size in the backlog. */
static struct store_op *op_dup(const struct store_op *op)
{
	struct store_op *c = xmalloc(sizeof(*c));
	size_t size = sizeof(*c);

	*c = *op;
	c->next = NULL;
	c->name = dup_str(op->name, &size);
	c->state = dup_str(op->state, &size);
	c->cgroup = dup_str(op->cgroup, &size);
	c->type = dup_str(op->type, &size);
	c->detail = dup_str(op->detail, &size);
	if (op->names) {
		const char **v = xcalloc((size_t)op->n_names + 1, sizeof(char *));
		size += ((size_t)op->n_names + 1) * sizeof(char *);
		for (int i = 0; i < op->n_names; i++)
			v[i] = dup_str(op->names[i], &size);
		c->names = v;
	}
	c->size = size;
	return c;
}

int op_submit(struct store *s, const struct store_op *op)
{
	if (!s->autobatch) {
		int r = tx_begin(s);
		if (r < 0)
			return r;
		return tx_end(s, op_apply(s, op));
	}

	struct store_op *c = op_dup(op);
	if (s->pending >= s->max_pending || s->pending_bytes + c->size > s->max_pending_bytes) {
		/* Full: the older writes are kept (they tell how it started),
		 * the new one is counted; supd records the count. */
		s->dropped++;
		op_free(c);
		return 0;
	}
	*s->tail = c;
	s->tail = &c->next;
	s->pending++;
	s->pending_bytes += c->size;
	return 0;
}

static struct store_op *backlog_pop(struct store *s)
{
	struct store_op *op = s->head;
	s->head = op->next;
	if (!s->head)
		s->tail = &s->head;
	s->pending--;
	s->pending_bytes -= op->size;
	return op;
}

void backlog_free(struct store *s)
{
	while (s->head)
		op_free(backlog_pop(s));
}

/* Failures that a retry cannot cure: the write itself is wrong. */
static bool rc_is_permanent(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
		return true;
	default:
		return false;
	}
}

static int rc_to_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	default:
		return -EIO;
	}
}

/* The chunk failed: keep SQLite's word for it, end the transaction (SQLite
 * may have ended it already), and report. The writes stay queued. */
static int chunk_failed(struct store *s)
{
	int rc = sqlite3_extended_errcode(s->db);
	snprintf(s->error, sizeof(s->error), "%s", sqlite3_errmsg(s->db));
	if (!sqlite3_get_autocommit(s->db))
		(void)exec_stmt(s, ST_ROLLBACK);
	s->depth = 0;
	return rc_to_errno(rc == SQLITE_OK ? SQLITE_IOERR : rc);
}

/* Commit the first STORE_FLUSH_CHUNK queued writes in one transaction. */
static int flush_chunk(struct store *s)
{
	struct store_op *op = s->head;
	size_t n = 0;

	assert(s->depth == 0);
	if (exec_stmt(s, ST_BEGIN) < 0)
		return chunk_failed(s);
	s->depth = 1;
	for (; op && n < STORE_FLUSH_CHUNK; op = op->next, n++) {
		if (exec_stmt(s, ST_SAVEPOINT) < 0)
			return chunk_failed(s);
		s->depth = 2;
		int r = op_apply(s, op);
		if (r == -EIO && !rc_is_permanent(sqlite3_extended_errcode(s->db)))
			return chunk_failed(s);
		if (r < 0) {
			s->rejected++;
			snprintf(s->rejected_error, sizeof(s->rejected_error), "%s",
				 r == -ENOENT ? "no such container or run" : sqlite3_errmsg(s->db));
			if (exec_stmt(s, ST_ROLLBACK_TO) < 0)
				return chunk_failed(s);
		}
		if (exec_stmt(s, ST_RELEASE) < 0)
			return chunk_failed(s);
		s->depth = 1;
	}
	if (exec_stmt(s, ST_COMMIT) < 0)
		return chunk_failed(s);
	s->depth = 0;
	s->committed += n;
	while (n-- > 0)
		op_free(backlog_pop(s));
	return 0;
}

void store_set_autobatch(struct store *s, bool on)
{
	assert(s && (on || !s->head));
	s->autobatch = on;
}

int store_flush(struct store *s)
{
	assert(s);
	if (!s->head)
		return 0;
	/* supd never flushes inside store_begin(); a caller that did would
	 * get its transaction mixed into the backlog's. */
	assert(s->depth == 0);

	int64_t start = monotonic_ms();
	while (s->head) {
		int r = flush_chunk(s);
		if (r < 0)
			return r;
		if (s->head && monotonic_ms() - start >= STORE_FLUSH_BUDGET_MS)
			return 1;
	}
	return 0;
}

void store_get_backlog(const struct store *s, struct store_backlog *ret)
{
	assert(s && ret);
	*ret = (struct store_backlog){
		.pending = s->pending,
		.pending_bytes = s->pending_bytes,
		.committed = s->committed,
		.dropped = s->dropped,
		.rejected = s->rejected,
		.error = s->error,
		.rejected_error = s->rejected_error,
	};
}

void store_set_backlog_limit(struct store *s, size_t max_writes, size_t max_bytes)
{
	assert(s);
	s->max_pending = max_writes;
	s->max_pending_bytes = max_bytes;
}
