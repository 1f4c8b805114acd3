/* store-internal.h - what store.c, store_write.c, store_read.c and
 * store_queue.c share: the connection struct, the prepared statement ids,
 * the helpers that bind parameters, read columns, step statements and nest
 * transactions (defined in store.c), and the write descriptions the backlog
 * queues. Nothing outside the store includes it; it is, with those four
 * files, the only place that includes sqlite3.h. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store_op;

enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_CONTAINER_UPSERT,
	ST_CONTAINER_NAMES,
	ST_CONTAINER_REMOVE,
	ST_SET_STATE,
	ST_RUN_INSERT,
	ST_RUN_BEGIN_CONTAINER,
	ST_RUN_END,
	ST_RUN_END_CONTAINER,
	ST_COUNT_RESTART,
	ST_OOM_RUN,
	ST_OOM_CONTAINER,
	ST_EVENT,
	ST_LIST_CONTAINERS,
	ST_GET_CONTAINER,
	ST_LIST_RUNS,
	ST_LIST_EVENTS_ALL,
	ST_LIST_EVENTS_ONE,
	ST_PRUNE_EVENTS,
	ST_RUN_OOM_SEEN,
	ST_GET_RUN,
	ST_LAST_DAEMON_EVENT,
	_ST_MAX,
};

struct store {
	sqlite3 *db;
	bool readonly;                /* opened by store_open_readonly() */
	unsigned depth;               /* open transaction levels: 0 none, 1 BEGIN, >1 savepoints */
	bool autobatch;               /* writes are queued and committed by store_flush() */
	sqlite3_stmt *stmt[_ST_MAX];  /* prepared at open, indexed by enum stmt_id */
	int64_t next_run_id;          /* runs.id of the next store_run_begin(): known before its
				       * insert commits, so a queued run has its id at once */
	/* The backlog (autobatch): writes not yet committed, oldest first. */
	struct store_op *head, **tail;
	size_t pending, pending_bytes;
	size_t max_pending, max_pending_bytes; /* beyond either, a new write is dropped and counted */
	uint64_t committed;           /* writes committed from the backlog since open */
	uint64_t dropped;             /* writes refused since open because the backlog was full */
	uint64_t rejected;            /* writes the database refused outright, skipped */
	char error[256];              /* SQLite's message for the last flush that failed */
	char rejected_error[256];     /* and for the last write it refused */
};

/* One write as the caller asked for it: applied at once, or (autobatch)
 * copied into the backlog and applied by store_flush(). The strings are
 * borrowed from the caller until op_submit() copies them. */
enum store_op_kind {
	OP_SYNC_CONTAINERS, /* names, n_names */
	OP_SET_STATE,       /* name, state */
	OP_RUN_BEGIN,       /* name, run_id, pid, pid_starttime, cgroup, state */
	OP_RUN_END,         /* name, run_id, exit_code, signal, oom_killed, reason, state */
	OP_COUNT_RESTART,   /* name */
	OP_RECORD_OOM,      /* name, run_id, count, detail */
	OP_EVENT,           /* name (may be NULL), type, detail */
	OP_RUN_OOM_SEEN,    /* name, run_id, oom_kill_seen, oom_group_kill_seen */
};

struct store_op {
	struct store_op *next; /* backlog order */
	enum store_op_kind kind;
	int64_t now_ms;        /* when it happened (ended_at for OP_RUN_END) */
	const char *name;
	const char *state;
	const char *cgroup;
	const char *type;
	const char *detail;    /* reason for OP_RUN_END */
	const char *const *names;
	int n_names;
	int64_t run_id;
	int64_t pid;
	uint64_t pid_starttime;
	int64_t count;
	uint64_t oom_kill_seen, oom_group_kill_seen;
	int exit_code;
	int signal;
	bool oom_killed;
	size_t size;           /* bytes it takes in the backlog */
};

/* Apply op now, inside the caller's transaction (store_write.c). 0, -ENOENT
 * (no such row), -EIO (SQLite error; sqlite3_extended_errcode says which). */
int op_apply(struct store *s, const struct store_op *op);
/* Autobatch: copy op to the end of the backlog (or drop and count it when
 * full) and return 0. Otherwise apply it at once in its own transaction
 * level and return op_apply()'s result (store_queue.c). */
int op_submit(struct store *s, const struct store_op *op);
/* Free the whole backlog (store_close). */
void backlog_free(struct store *s);

/* Cleanup for a borrowed cached statement: reset it (ending its implicit
 * read transaction, so a reader never pins the WAL) and drop its bindings
 * (which may point at the caller's strings). */
static inline void stmt_donep(sqlite3_stmt **q)
{
	if (*q) {
		sqlite3_reset(*q);
		sqlite3_clear_bindings(*q);
	}
}
#define _cleanup_stmt_ _cleanup_(stmt_donep)

/* Times: the inverse of store_format_time(), exact to the millisecond;
 * -EIO for text not in the database's time layout. */
int parse_time(const char *text, int64_t *ret_ms);

/* Binding parameters: 0 or -EIO. bind_int64_or_null stores 0 as NULL,
 * bind_exit_code stores -1 as NULL, bind_text stores NULL and "" as NULL. */
int bind_int64(sqlite3_stmt *q, int i, int64_t v);
int bind_int64_or_null(sqlite3_stmt *q, int i, int64_t v);
int bind_exit_code(sqlite3_stmt *q, int i, int code);
int bind_text(sqlite3_stmt *q, int i, const char *v);
int bind_time(sqlite3_stmt *q, int i, int64_t ms);

/* Reading columns: text cut to size; a NULL time reads as 0; a NULL
 * integer reads as if_null. */
void column_text(sqlite3_stmt *q, int i, char *buf, size_t size);
int column_time(sqlite3_stmt *q, int i, int64_t *ret_ms);
int64_t column_int64_or(sqlite3_stmt *q, int i, int64_t if_null);
/* Room for element n of an array of *cap elements of size each. */
void *grow(void *v, int n, int *cap, size_t size);

/* Run a statement that returns no rows: 0 or -EIO. exec_stmt also resets it. */
int step_done(sqlite3_stmt *q);
int exec_stmt(struct store *s, enum stmt_id id);

/* Transactions (see store.c): tx_begin opens a level (BEGIN IMMEDIATE or a
 * SAVEPOINT), tx_end(s, r) commits it when r >= 0, rolls it back otherwise,
 * and returns r or the commit's error. */
int tx_begin(struct store *s);
int tx_end(struct store *s, int r);
