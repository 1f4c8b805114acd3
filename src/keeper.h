/* keeper.h - the fd keeper: a small process supd forks once that holds a
 * duplicate of every running container's pidfd and output pipes, so that
 * neither a crash nor a re-exec of supd loses them:
 *   - a container writing while supd is down gets no SIGPIPE (a reader
 *     stays) and is not blocked (the keeper drains the pipes into the
 *     container's log file until a supd comes back);
 *   - the next supd takes the pipes back and reads on where the last one
 *     stopped, and learns exit codes through the held pidfds
 *     (PIDFD_INFO_EXIT) even of containers that ended meanwhile.
 * The keeper listens on <run_dir>/keeper.sock (0600); one supd at a time is
 * connected. It exits when a supd that stopped every container says so.
 *
 * Protocol (SOCK_SEQPACKET, one text line per message, fds by SCM_RIGHTS):
 *   supd -> keeper  "hold RUN NAME PID STARTTIME STARTED_AT OOM_KILL
 *                    OOM_GROUP_KILL GROUP LOG_MAX_SIZE LOG_KEEP LOGPATH"
 *                   + [pidfd, stdout, stderr, sync] or without sync, or [pidfd]
 *                   "released PID STARTTIME"   "drop PID STARTTIME"
 *                   "take"   "quit"
 *   keeper -> supd  after take: "held RUN NAME PID STARTTIME STARTED_AT
 *                   OOM_KILL OOM_GROUP_KILL GROUP" + its fds, per run, then
 *                   "end".
 * The run's facts travel with it: a supd that crashed before committing a
 * run to the database leaves the next one enough to record and adopt it.
 * Everything returns 0 or -errno and never logs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define KEEPER_NAME_MAX 64

/* One run as the keeper knows it. */
struct keeper_run {
	int64_t run_id;
	char name[KEEPER_NAME_MAX];
	pid_t pid;
	uint64_t starttime;            /* /proc/PID/stat field 22 */
	int64_t started_at_ms;
	uint64_t oom_kill_seen, oom_group_kill_seen; /* the run's OOM counter baseline */
	char group[KEEPER_NAME_MAX + 4]; /* its cgroup's name below the base */
};

/* What a keeper held for one run, handed back to a starting supd. */
struct keeper_held {
	struct keeper_run run;
	int pidfd, out_fd, err_fd; /* owned by the receiver, O_CLOEXEC; pipes -1 if none */
	int sync_fd;               /* the child's release pipe, -1 once it was released */
};

struct keeper;

/* Connect to the keeper at sock_path, or start one if none answers. The
 * runs it held (from an earlier supd) are returned in *ret_held (malloc'd,
 * *ret_n entries; the caller owns their fds). *ret_pid is the keeper's pid
 * when it was started now, else 0. */
int keeper_attach(const char *sock_path, struct keeper **ret, struct keeper_held **ret_held, int *ret_n, pid_t *ret_pid);

/* Hand the keeper duplicates of a run's fds; log_path is where it writes
 * the run's output while no supd reads it. out_fd and err_fd may both be
 * -1 (a re-adopted run whose pipes were lost): the pidfd alone is held.
 * sync_fd (or -1) is the parked child's release pipe, sent before the
 * release: a supd that dies between hold and release leaves the child
 * parked, not gone, and the next supd releases it (no run is lost and none
 * is recorded that never ran). */
int keeper_hold(struct keeper *k, const struct keeper_run *run, const char *log_path, uint64_t log_max_size,
		int log_keep, int pidfd, int out_fd, int err_fd, int sync_fd);
/* The child was released: the keeper closes its copy of the release pipe. */
int keeper_released(struct keeper *k, pid_t pid, uint64_t starttime);
/* The run of process pid (started at starttime) is over: the keeper
 * closes its duplicates. A hold of the same process replaces the old one. */
int keeper_drop(struct keeper *k, pid_t pid, uint64_t starttime);
/* Every container is stopped: the keeper may exit. */
int keeper_quit(struct keeper *k);
/* Disconnect (the keeper stays and holds on). NULL ok. */
struct keeper *keeper_detach(struct keeper *k);
bool keeper_is_connected(const struct keeper *k);
/* The connection's fd, to poll for the keeper going away (-1 if none). */
int keeper_fd(const struct keeper *k);

/* Close the fds of n held entries and free the array. */
void keeper_held_free(struct keeper_held *held, int n);

/* --- shared by both ends (keeper_proto.c) --- */
/* The run's facts as text ("RUN NAME PID ... GROUP"), and back; parse
 * returns the length consumed or -EINVAL. */
int keeper_run_format(const struct keeper_run *run, char *buf, size_t size);
int keeper_run_parse(const char *text, struct keeper_run *ret);
#define KEEPER_MSG_MAX 4608
int keeper_send(int fd, const char *text, const int *fds, int n_fds);
/* Receive one message: text NUL-terminated in buf, up to max_fds fds.
 * Returns the text length, 0 on EOF, or -errno. */
int keeper_recv(int fd, char *buf, size_t size, int *fds, int max_fds, int *ret_n_fds);

/* The keeper process itself (keeper_main.c): serve listen_fd until told to
 * quit. Never returns. */
_Noreturn void keeper_main(int listen_fd);
