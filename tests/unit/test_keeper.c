/* test_keeper.c - the fd keeper end to end, with a real keeper process:
 * what one supd hands it, the next one gets back (same facts, working
 * fds); while no supd is attached it drains the pipes into the log file;
 * drop and quit do what they say. Also the run-facts text round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd.h"
#include "keeper.h"

static void test_run_text_round_trip(void **state)
{
	(void)state;
	struct keeper_run in = { .run_id = 42, .pid = 1234, .starttime = 987654321, .started_at_ms = 1764866000123,
				 .oom_kill_seen = 7, .oom_group_kill_seen = 2 };
	strcpy(in.name, "web-1.x");
	strcpy(in.group, "web-1.x@1");
	char buf[512];
	int n = keeper_run_format(&in, buf, sizeof(buf));
	assert_true(n > 0);
	struct keeper_run out;
	assert_int_equal(keeper_run_parse(buf, &out), n);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_int_equal(keeper_run_parse("42 name 12", &out), -EINVAL);
	assert_int_equal(keeper_run_format(&in, buf, 10), -ENAMETOOLONG);
}

/* What a failing test must not leave behind. */
static pid_t child_pid, keeper_proc_pid;

static int teardown(void **state)
{
	(void)state;
	if (child_pid > 0)
		kill(child_pid, SIGKILL);
	if (keeper_proc_pid > 0)
		kill(keeper_proc_pid, SIGKILL);
	child_pid = keeper_proc_pid = 0;
	return 0;
}

static pid_t keeper_pid_from(const char *sock)
{
	char path[256], text[32] = "";
	snprintf(path, sizeof(path), "%s.pid", sock);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(text, sizeof(text), f))
		text[0] = 0;
	fclose(f);
	return (pid_t)atoi(text);
}

static void test_hand_over_and_drain(void **state)
{
	(void)state;
	char dir[] = "/tmp/sup-test-keeper.XXXXXX", sock[128], log[128];
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/keeper.sock", dir);
	snprintf(log, sizeof(log), "%s/c.log", dir);

	/* A "container": a child of ours that waits, with its two pipes; forked
	 * before the keeper connection exists, as supd's containers close it. */
	int out[2], err[2];
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	child_pid = child;

	struct keeper *k;
	struct keeper_held *held;
	int n;
	pid_t kpid;
	assert_int_equal(keeper_attach(sock, &k, &held, &n, &kpid), 0);
	assert_true(kpid > 0);
	keeper_proc_pid = kpid;
	assert_int_equal(n, 0);
	free(held);
	assert_int_equal(keeper_pid_from(sock), kpid);

	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	assert_true(pidfd >= 0);
	struct keeper_run run = { .run_id = 5, .pid = child, .starttime = 11, .started_at_ms = 22, .oom_kill_seen = 3 };
	strcpy(run.name, "c");
	strcpy(run.group, "c");
	/* Held with its release pipe, as supd does before releasing a child. */
	int sync[2];
	assert_int_equal(pipe2(sync, O_CLOEXEC), 0);
	assert_int_equal(keeper_hold(k, &run, log, 0, 5, pidfd, out[0], err[0], sync[1]), 0);
	close(sync[1]);
	/* Another process under the same run id (a run id a crashed supd never
	 * committed comes again): held beside it, dropped alone. */
	struct keeper_run other = run;
	other.pid = 1;
	assert_int_equal(keeper_hold(k, &other, log, 0, 5, pidfd, out[0], err[0], -1), 0);
	assert_int_equal(keeper_drop(k, 1, 11), 0);
	/* supd "crashes": our ends close, only the keeper still reads. */
	close(out[0]);
	close(err[0]);
	close(pidfd);
	k = keeper_detach(k);
	/* No SIGPIPE, and the keeper logs the lines. */
	assert_int_equal(fd_write_all(out[1], "one\ntwo\n", 8), 0);
	assert_int_equal(fd_write_all(err[1], "oops\n", 5), 0);
	char text[4096] = "";
	for (int i = 0; i < 200 && (!strstr(text, "two") || !strstr(text, "oops")); i++) {
		usleep(10000);
		fd_read_file_at(AT_FDCWD, log, text, sizeof(text));
	}
	assert_non_null(strstr(text, "Z stdout one\n"));
	assert_non_null(strstr(text, "Z stdout two\n"));
	assert_non_null(strstr(text, "Z stderr oops\n"));

	/* The next supd gets run 5 back (not the dropped 6) with working fds. */
	assert_int_equal(keeper_attach(sock, &k, &held, &n, &kpid), 0);
	assert_int_equal(kpid, 0); /* the same keeper */
	assert_int_equal(n, 1);
	assert_memory_equal(&held[0].run, &run, sizeof(run));
	/* Never marked released: its release pipe comes back, still open. */
	assert_true(held[0].sync_fd >= 0);
	assert_int_equal(write(held[0].sync_fd, "x", 1), 1);
	char go;
	assert_int_equal(read(sync[0], &go, 1), 1);
	close(sync[0]);
	assert_int_equal(fd_write_all(out[1], "three\n", 6), 0);
	char buf[16];
	assert_int_equal(read(held[0].out_fd, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "three\n", 6);
	assert_int_equal(syscall(SYS_pidfd_send_signal, held[0].pidfd, SIGKILL, NULL, 0), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	child_pid = 0; /* reaped: its pid is no longer ours to signal */
	keeper_held_free(held, n);

	/* quit: the keeper exits. */
	pid_t keeper = keeper_pid_from(sock);
	assert_int_equal(keeper_quit(k), 0);
	k = keeper_detach(k);
	for (int i = 0; i < 200 && kill(keeper, 0) == 0; i++) {
		waitpid(keeper, NULL, WNOHANG); /* our child: reap it */
		usleep(10000);
	}
	assert_int_equal(kill(keeper, 0), -1);
	keeper_proc_pid = 0;
	close(out[1]);
	close(err[1]);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_text_round_trip),
		cmocka_unit_test_teardown(test_hand_over_and_drain, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
