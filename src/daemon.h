/* daemon.h - supd itself: owns the loop, the config, the store, the
 * container table, the control socket and the signals. Logs; everything
 * below it returns errors. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "ctable.h"
#include "dbsync.h"
#include "logpipe.h"
#include "seccomp_filter.h"
#include "oomwatch.h"

struct store;
struct ctl;
struct signals;
struct container;
struct cgroup_manager;
struct keeper;
struct keeper_held;
struct store_container;

struct supd {
	uv_loop_t loop;
	bool loop_open; /* uv_loop_init succeeded */
	struct sup_config *config;
	struct store *store;
	struct ctl *ctl;
	struct signals *signals;
	struct cgroup_manager *cgroups;
	struct keeper *keeper;      /* holds run fds across a crash or re-exec; see keeper.h */
	uv_poll_t *keeper_poll;     /* its connection: the keeper went away when it closes */
	pid_t keeper_child;         /* the keeper's pid when this supd forked it (to reap), else 0 */
	/* Start-up only (recover.c): what the keeper and the database say an
	 * earlier supd left. */
	struct keeper_held *held;
	int n_held;
	struct store_container *recovery_rows;
	int n_recovery_rows;
	bool last_stop_clean;
	struct keeper_drop {        /* runs that ended: the keeper lets go of one */
		pid_t pid;          /* once the store has committed after_commit writes */
		uint64_t starttime;
		uint64_t after_commit; /* (or once nothing is pending) */
	} *keeper_drops;
	int n_keeper_drops, cap_keeper_drops;
	uv_timer_t prune_timer; /* hourly: events older than events_keep */
	struct dbsync db;           /* commits the store's backlog; retries while the database fails */
	uv_prepare_t flush_prepare; /* commit the store's batch before the loop waits */
	uv_check_t flush_check;     /* and right after each turn's I/O callbacks */
	uv_timer_t metrics_timer; /* one-shot after a change; data NULL until initialized */
	uint64_t rng; /* xorshift state for restart jitter */
	struct ctable table;
	struct container **containers; /* config order (sorted by name) */
	int n_containers;
	struct container **leaving;    /* removed by a reload, stopping; freed once settled */
	int n_leaving;
	struct sup_config **old_configs; /* replaced by reloads, still used by stopping containers */
	int n_old_configs;
	int devnull_fd;
	struct seccomp_program *seccomp; /* seccomp = default's filter, built once at start-up */
	int init_fd; /* sup-init for init = yes containers; -1 until one first needs it */
	struct logpipe_buffer *logbuf;
	struct logfile_set logfiles; /* bounds the open container log files */
	struct oomwatch_set oomwatches; /* OOM notifications of every run */
	bool shutting_down;
	bool reexec_pending; /* daemon-reexec or SIGUSR2: at the end of this loop turn */
	int settled_upto; /* shutdown: containers[0..settled_upto) are known settled */
	int n_unwatched_children; /* children without a pidwatch (a failed start) that SIGCHLD must reap */
	int n_exec_pending; /* runs whose exec-error pipe is still open (outcome not known yet) */
	int autostart_next; /* containers[] index autostart has reached */
	uv_idle_t autostart; /* resumes autostart once fewer starts are in flight */
};

/* Run supd with the config at path until SIGTERM/SIGINT. Returns the
 * process exit status (0 after a clean shutdown). argv is what supd was
 * started with, for re-executing itself. */
int daemon_run(const char *config_path, char **argv);

/* The configured (or leaving) container named name, or NULL. */
struct container *daemon_find(struct supd *d, const char *name);

/* Wall clock in ms since the epoch (what the database records). */
int64_t daemon_now_ms(void);

/* A run's exec outcome is known and its exec-error pipe closed: autostart
 * may go on. */
void daemon_exec_resolved(struct supd *d);

/* Start every autostart container not started yet, now (before a reload
 * changes the container list). */
void daemon_autostart_finish(struct supd *d);

/* c reached a settled state: a pending reload step for it runs now, and
 * during shutdown this may end the loop. */
void daemon_container_settled(struct supd *d, struct container *c);

/* Re-read the config file: start added containers, stop removed ones,
 * restart changed ones (once stopped, with the new config), leave the
 * unchanged ones alone. A bad config changes nothing: -errno with err set.
 * summary gets one line saying what changed. */
int daemon_reload(struct supd *d, char *summary, size_t size, struct sup_err *err);

/* The run ended: the keeper may let go of its fds once the end is
 * committed (before, a crash would still need them to learn the exit). */
void daemon_keeper_drop(struct supd *d, pid_t pid, uint64_t starttime);
/* Send the drops whose runs' ends are committed now (after each flush). */
void daemon_keeper_send_drops(struct supd *d);
/* Find the keeper (or start one), take back what it held for an earlier
 * supd (d->held), and watch it: if it goes away, a new one is started and
 * given every running container's pidfd again. */
void daemon_attach_keeper(struct supd *d);
/* Stop watching the keeper and disconnect; with quit, tell it to exit. */
void daemon_detach_keeper(struct supd *d, bool quit);
/* The descriptor of sup-init (see init_binary.h), opened on first use and
 * kept for supd's lifetime. fd (owned by d) or -errno with err set. */
int daemon_init_fd(struct supd *d, struct sup_err *err);
/* Commit the database's backlog now (a client is about to read it), or
 * leave it to the retry timer while the database fails. */
void daemon_flush(struct supd *d);

/* Next pseudo-random number (restart jitter; not for secrets). */
uint32_t daemon_random(struct supd *d);
