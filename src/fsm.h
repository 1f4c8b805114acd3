/* fsm.h - the container state machine as a table: [state][event] -> action.
 * Pure: no I/O. The supervisor feeds every input through fsm_action() and
 * performs the action it names; only sv_enter_*() change the state. */
#pragma once

#include <stdbool.h>

enum sv_state {
	SV_STOPPED,    /* never started, or stopped on request */
	SV_STARTING,   /* cloned; waiting for execve to succeed or fail */
	SV_RUNNING,    /* the command runs */
	SV_STOPPING,   /* stop_signal sent; SIGKILL after stop_timeout */
	SV_EXITED,     /* ended on its own (any exit code or signal) */
	SV_OOM_KILLED, /* ended by the OOM killer */
	SV_FAILED,     /* failed start, or start limit hit; no restart until asked */
	SV_BACKOFF,    /* ended; a restart is scheduled after a delay */
	_SV_STATE_MAX
};

enum sv_event {
	SV_EV_START,        /* supctl start, autostart */
	SV_EV_STOP,         /* supctl stop, supd shutdown */
	SV_EV_EXEC_OK,      /* exec-error pipe reached EOF: the command runs */
	SV_EV_EXEC_FAILED,  /* the child reported a setup step failure */
	SV_EV_EXIT,         /* the main process was reaped */
	SV_EV_OOM,          /* the cgroup's oom_kill count rose */
	SV_EV_STOP_TIMEOUT, /* stop_timeout elapsed while stopping */
	SV_EV_RESTART_DUE,  /* backoff delay elapsed */
	_SV_EVENT_MAX
};

enum sv_action {
	SV_ACT_NONE,          /* nothing to do (already there) */
	SV_ACT_REJECT,        /* not possible in this state; tell the requester */
	SV_ACT_SPAWN,         /* start a new run */
	SV_ACT_MARK_RUNNING,  /* the run's command is executing */
	SV_ACT_NOTE_FAILURE,  /* remember the setup failure; the exit completes it */
	SV_ACT_SEND_STOP,     /* stop_signal, arm the stop timer */
	SV_ACT_SEND_KILL,     /* SIGKILL the whole container */
	SV_ACT_RECORD_EXIT,   /* close the run, apply the restart policy */
	SV_ACT_RECORD_OOM,    /* count an OOM kill of this run */
	SV_ACT_CANCEL_RESTART,/* drop a scheduled restart, go to stopped */
	_SV_ACTION_MAX
};

const char *sv_state_to_string(enum sv_state s);
const char *sv_event_to_string(enum sv_event e);
const char *sv_action_to_string(enum sv_action a);
/* -1 if unknown */
int sv_state_from_string(const char *s);

enum sv_action fsm_action(enum sv_state state, enum sv_event event);

/* A process of ours exists in this state (pid and pidfd are valid). */
bool sv_state_has_process(enum sv_state s);
/* The container is at rest: no process, nothing scheduled. */
bool sv_state_is_settled(enum sv_state s);
