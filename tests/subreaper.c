/* subreaper - run a command as a child subreaper's child, and reap every
 * orphan that reparents to us while it runs, at once.
 *
 * Tests that SIGKILL supd need this: its containers reparent to the
 * nearest subreaper, and this machine's PID 1 does not reap orphans
 * promptly, so without it their exit status would never reach
 * PIDFD_INFO_EXIT (see KERNEL-NOTES.md). Exits with the command's status
 * as soon as the command ends (orphans left then go to PID 1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: subreaper COMMAND [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("subreaper: PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	pid_t child = fork();
	if (child < 0) {
		perror("subreaper: fork");
		return 1;
	}
	if (child == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "subreaper: %s: %m\n", argv[1]);
		_exit(127);
	}
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return 1;
		if (pid == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}
