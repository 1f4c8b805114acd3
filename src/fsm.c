/* fsm.c - the container state machine (see fsm.h).
 *
 *                     START
 *   stopped|exited|oom-killed|failed ──────────► starting ──EXEC_FAILED──► (starting, failure noted)
 *          ▲  ▲                          │  sv_enter_starting()   │
 *          │  │                   EXEC_OK│                        │EXIT
 *          │  │                          ▼                        ▼
 *          │  │                       running ───EXIT──► sv_enter_ended(): exited | oom-killed
 *          │  │                          │ sv_enter_running()      | failed | backoff (restart policy)
 *          │  │                      STOP│                                  │
 *          │  │                          ▼                        RESTART_DUE│ sv_enter_starting()
 *          │  └────────EXIT──────── stopping ◄────────────────────────────────┘ (back to starting)
 *          │        sv_enter_ended()  │  ▲  sv_enter_stopping()
 *          │                          └──┘ STOP_TIMEOUT: SIGKILL (sv_kill_all)
 *          └─ backoff ──STOP──► stopped  (CANCEL_RESTART)
 *
 * Also: starting + STOP -> stopping (the half-set-up child is signalled);
 * backoff + START -> starting at once (an operator does not wait out the
 * delay); stopping + EXEC_FAILED -> failure noted, the exit completes it.
 * "none" marks events that are stale or redundant in a state (a timer that
 * fired after its cause was gone, a second stop); "reject" marks requests
 * or process events that cannot happen there. Both do nothing; the
 * difference documents intent for readers and tests.
 *
 * Invariants (checked by sv_assert_invariants() in supervisor.c):
 *   starting, running, stopping: pid > 0, pidfd >= 0, a run row is open.
 *   every other state: no pid, no pidfd, no open run.
 *   stopping: the stop timer is armed until SIGKILL is sent.   backoff: the restart timer is armed.
 * An OOM notification may come before or after the exit: RECORD_OOM is
 * valid in every state with a process, and the exit is classified only
 * after a fresh read of the counter (KERNEL-NOTES pitfall 3). */
#include <assert.h>
#include <string.h>

#include "fsm.h"
#include "macro.h"

static const char *const state_names[] = {
	[SV_STOPPED] = "stopped",   [SV_STARTING] = "starting",     [SV_RUNNING] = "running",
	[SV_STOPPING] = "stopping", [SV_EXITED] = "exited",         [SV_OOM_KILLED] = "oom-killed",
	[SV_FAILED] = "failed",     [SV_BACKOFF] = "backoff",
};
static_assert(ELEMENTSOF(state_names) == _SV_STATE_MAX, "state_names");

static const char *const event_names[] = {
	[SV_EV_START] = "start",       [SV_EV_STOP] = "stop",   [SV_EV_EXEC_OK] = "exec-ok",
	[SV_EV_EXEC_FAILED] = "exec-failed", [SV_EV_EXIT] = "exit", [SV_EV_OOM] = "oom",
	[SV_EV_STOP_TIMEOUT] = "stop-timeout", [SV_EV_RESTART_DUE] = "restart-due",
};
static_assert(ELEMENTSOF(event_names) == _SV_EVENT_MAX, "event_names");

static const char *const action_names[] = {
	[SV_ACT_NONE] = "none",           [SV_ACT_REJECT] = "reject",
	[SV_ACT_SPAWN] = "spawn",         [SV_ACT_MARK_RUNNING] = "mark-running",
	[SV_ACT_NOTE_FAILURE] = "note-failure", [SV_ACT_SEND_STOP] = "send-stop",
	[SV_ACT_SEND_KILL] = "send-kill", [SV_ACT_RECORD_EXIT] = "record-exit",
	[SV_ACT_RECORD_OOM] = "record-oom", [SV_ACT_CANCEL_RESTART] = "cancel-restart",
};
static_assert(ELEMENTSOF(action_names) == _SV_ACTION_MAX, "action_names");

#define N SV_ACT_NONE
#define X SV_ACT_REJECT

/* Rows: states; columns: START STOP EXEC_OK EXEC_FAILED EXIT OOM STOP_TIMEOUT RESTART_DUE */
static const enum sv_action table[_SV_STATE_MAX][_SV_EVENT_MAX] = {
	[SV_STOPPED]    = { SV_ACT_SPAWN, N, X, X, X, X, N, N },
	[SV_STARTING]   = { N, SV_ACT_SEND_STOP, SV_ACT_MARK_RUNNING, SV_ACT_NOTE_FAILURE, SV_ACT_RECORD_EXIT, SV_ACT_RECORD_OOM, N, N },
	[SV_RUNNING]    = { N, SV_ACT_SEND_STOP, N, X, SV_ACT_RECORD_EXIT, SV_ACT_RECORD_OOM, N, N },
	[SV_STOPPING]   = { X, N, N, SV_ACT_NOTE_FAILURE, SV_ACT_RECORD_EXIT, SV_ACT_RECORD_OOM, SV_ACT_SEND_KILL, N },
	[SV_EXITED]     = { SV_ACT_SPAWN, N, X, X, X, X, N, N },
	[SV_OOM_KILLED] = { SV_ACT_SPAWN, N, X, X, X, X, N, N },
	[SV_FAILED]     = { SV_ACT_SPAWN, N, X, X, X, X, N, N },
	[SV_BACKOFF]    = { SV_ACT_SPAWN, SV_ACT_CANCEL_RESTART, X, X, X, X, N, SV_ACT_SPAWN },
};

#undef N
#undef X

enum sv_action fsm_action(enum sv_state state, enum sv_event event)
{
	assert((unsigned)state < _SV_STATE_MAX && (unsigned)event < _SV_EVENT_MAX);
	return table[state][event];
}

const char *sv_state_to_string(enum sv_state s)
{
	return (unsigned)s < _SV_STATE_MAX ? state_names[s] : "unknown";
}

const char *sv_event_to_string(enum sv_event e)
{
	return (unsigned)e < _SV_EVENT_MAX ? event_names[e] : "unknown";
}

const char *sv_action_to_string(enum sv_action a)
{
	return (unsigned)a < _SV_ACTION_MAX ? action_names[a] : "unknown";
}

int sv_state_from_string(const char *s)
{
	for (int i = 0; i < _SV_STATE_MAX; i++)
		if (!strcmp(state_names[i], s))
			return i;
	return -1;
}

bool sv_state_has_process(enum sv_state s)
{
	return s == SV_STARTING || s == SV_RUNNING || s == SV_STOPPING;
}

bool sv_state_is_settled(enum sv_state s)
{
	return !sv_state_has_process(s) && s != SV_BACKOFF;
}
