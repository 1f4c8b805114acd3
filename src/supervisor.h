/* supervisor.h - a supervised container and the only code that changes its
 * state. Every input (a request, an exit, the exec-error pipe, a timer)
 * becomes an sv_event fed to sv_handle_event(), which looks up the action
 * in the fsm table and performs it through sv_enter_*(). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "ctable.h"
#include "fsm.h"
#include "logpipe.h"
#include "pidwatch.h"
#include "restart.h"

struct supd;
struct ctl_client;
struct sv_run;
struct sv_prepared;

enum sv_wait { SV_WAIT_START, SV_WAIT_STOP, SV_WAIT_RESTART };

struct sv_waiter {
	struct ctl_client *client;
	enum sv_wait kind;
	struct sv_waiter *next;
};

struct container {
	struct ctable_link link;           /* name and pid index; link.name = cfg->name */
	struct supd *d;
	const struct container_config *cfg; /* owned by d->config */
	char **envp;                        /* prepared once for every run */
	enum sv_state state;
	int64_t state_since_ms;             /* wall clock, ms since the epoch */
	struct logfile log;                 /* <log_dir>/<name>.log, rotated by size */
	struct logpipe_owner pipes;         /* output pipes still open, this run's and earlier ones' */
	struct sv_run *run;                 /* the current run, NULL when none */
	bool run_alt;                       /* the current run's group has the alternate name */
	struct sv_prepared *spare;          /* the next run's child, parked; NULL when none */
	uv_timer_t timer;                   /* stop timeout; restart backoff */
	struct restart_tracker restart;     /* backoff and start-limit history */
	bool stop_requested;                /* a stop was asked: the exit is "stopped", no restart */
	bool start_pending;                 /* start-up wants it started (autostart, or recovery): */
	                                    /* autostart_some() does, a bounded number at a time */
	bool kill_sent;                     /* SIGKILL sent after stop_timeout in this run */
	struct sv_waiter *waiters;          /* control clients waiting for a settled state */
	/* A reload that must wait until the container is settled: */
	const struct container_config *reload_cfg; /* restart with this config, or NULL */
	bool reload_remove;                 /* removed from the config: free once settled */
};

/* Create the container for cfg (state stopped) and open its log file.
 * 0 or -errno with err filled. */
int sv_container_new(struct supd *d, const struct container_config *cfg, struct container **ret, struct sup_err *err);
/* Take a new config for the same name (reload). The running process, if
 * any, keeps what it was started with; the next run uses cfg. */
void sv_container_set_config(struct container *c, const struct container_config *cfg);

/* Close the timer and free once closed; the container must be settled. */
void sv_container_free(struct container *c);

/* A run that an earlier supd started and did not see end (it crashed or
 * re-executed), found by recover.c at start-up. */
struct sv_adoption {
	int64_t run_id;
	pid_t pid;
	uint64_t starttime;
	int pidfd;            /* -1: the process is gone and how it ended is lost */
	bool foreign;         /* not supd's child (its supd crashed): the exit is read, not reaped */
	int64_t started_at_ms;
	struct cgroup *cg;    /* the run's group, NULL if it is gone */
	bool alt;             /* the group has the alternate name (name@1) */
	bool has_oom_seen;    /* the OOM counters as last recorded: */
	uint64_t oom_kill_seen, oom_group_kill_seen;
	uint64_t oom_kills;   /* OOM kills of the run recorded already */
	int out_fd, err_fd;   /* its output pipes (from the keeper), -1 if lost */
	bool stopping;        /* the earlier supd was stopping it */
	bool hold;            /* the keeper does not hold its fds yet */
};
/* Supervise the adopted run as if this supd had started it: its exit, OOM
 * kills (also those while no supd watched) and output. Takes the fds and
 * cg. A run whose process is gone ends at once, by the restart policy. */
void sv_adopt(struct container *c, struct sv_adoption *a);

/* A new keeper replaced one that went away: hand it the running run's
 * pidfd and output pipes again. */
void sv_keeper_rehold(struct container *c);

/* supd is about to re-execute itself: drop what the next supd cannot take
 * over (a parked spare child) and hand the output over at a line boundary. */
void sv_prepare_reexec(struct container *c);

/* Feed one event into the state machine. */
void sv_handle_event(struct container *c, enum sv_event ev);

/* A control client wants to know when c has started / stopped. The reply
 * is sent when the state machine gets there (or at once if it is there). */
void sv_request(struct container *c, struct ctl_client *cl, enum sv_wait kind);
/* The client disconnected: forget it. */
void sv_forget_client(struct container *c, struct ctl_client *cl);

/* The SIGCHLD path: c's current run may have exited; reap it if so.
 * 1 if reaped, 0 if not, -errno. */
int sv_check_exit(struct container *c);

pid_t sv_pid(const struct container *c);

/* Memory use of the current run's cgroup in bytes. -ESRCH without a run. */
int sv_memory_current(struct container *c, uint64_t *ret);

/* supctl kill: send sig to the current run's main process. -ESRCH when
 * there is none. Changes no state: an exit that follows is an exit. */
int sv_kill(struct container *c, int sig);
