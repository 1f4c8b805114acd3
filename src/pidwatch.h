/* pidwatch.h - turns a container's pidfd becoming readable into one exit
 * event. uv_poll on the pidfd; the exit is reaped with waitid(P_PIDFD) so
 * no other child of supd's can be stolen (KERNEL-NOTES pitfall 10).
 * Decides nothing: it reports the exit status to its callback. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

struct pidwatch_exit {
	int code;   /* exit code, -1 when killed by a signal */
	int signal; /* terminating signal, 0 when it exited */
	bool core_dumped;
	bool unknown; /* it ended, but how is lost (not our child, and neither
	               * its zombie nor PIDFD_INFO_EXIT told): code -1, signal 0 */
};

/* A wait(2)-style status as an exit. */
struct pidwatch_exit pidwatch_exit_from_status(int status);

struct pidwatch;
typedef void (*pidwatch_cb)(struct pidwatch *w, const struct pidwatch_exit *ex);

struct pidwatch {
	uv_poll_t poll; /* poll.data is free for the owner */
	int pidfd;
	bool active;
	pid_t foreign_pid;            /* not supd's child (adopted after a crash): */
	uint64_t foreign_starttime;   /* its status comes from procinfo, not waitid */
	pidwatch_cb on_exit;
};

/* Start watching pidfd (not owned: the caller closes it after the exit).
 * For a process that is not supd's child, set w->foreign_pid and
 * w->foreign_starttime first.
 * uv_poll is level-triggered, so an exit that happened before the watch
 * was armed is still reported on the next loop turn (pitfall 9). 0 or -errno. */
int pidwatch_start(struct pidwatch *w, uv_loop_t *loop, int pidfd, pidwatch_cb on_exit);

/* Reap now if the process has exited; calls on_exit and stops the watch.
 * Returns 1 if reaped, 0 if still running, -errno. Safe to call from the
 * SIGCHLD path as well. */
int pidwatch_check(struct pidwatch *w);

/* Stop polling and close the handle; close_cb as for uv_close. */
void pidwatch_close(struct pidwatch *w, uv_close_cb close_cb);
