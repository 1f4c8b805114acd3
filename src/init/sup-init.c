/* sup-init - the tiny init supd runs as PID 1 of a container with
 * `init = yes`: sup-init COMMAND [ARG...]
 *
 * A command that is PID 1 of its pid namespace gets no default signal
 * actions (a SIGTERM it does not handle is dropped, so a shell script waits
 * out stop_timeout) and inherits every orphan, which stay zombies when it
 * never calls wait(). This program sits in between: it forks the command
 * into a process group of its own, forwards every signal it receives to
 * that group, reaps every child that exits, and once the command itself
 * has exited, exits with its status (128 + N when signal N killed it, as a
 * shell reports it). Whatever the command left running then dies with the
 * namespace, whose init this is.
 *
 * The whole group gets the signal, not only the command, so that the
 * children of a shell script stop too (as dumb-init does; tini only signals
 * the command unless run with -g). The group is the command's own: a child
 * that moves itself to another group or session is reached only when the
 * namespace ends.
 *
 * Linked statically (supd executes it from a descriptor in any rootfs, which
 * need not hold a libc), no allocation, and nothing but the command's
 * messages on stderr. supd does not depend on its code: only on its exit
 * status and its forwarding of signals. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_CANNOT_EXEC 126 /* found, but not executable (as a shell) */
#define EXIT_NOT_FOUND 127

/* Signals that only the kernel sends in response to a fault of this very
 * process: leave them unblocked so that a fault still kills us rather than
 * spinning, and never forward them. */
static int is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || sig == SIGSYS;
}

static void forwarded_set(sigset_t *set)
{
	sigfillset(set);
	for (int sig = 1; sig < NSIG; sig++)
		if (is_fault_signal(sig))
			sigdelset(set, sig);
}

static _Noreturn void run_command(char **argv, const sigset_t *old_mask)
{
	/* Its own process group, so the forwarded signals reach its children;
	 * and the signal mask it would have had without us. */
	if (setpgid(0, 0) < 0)
		fprintf(stderr, "sup-init: setpgid: %s, ignoring\n", strerror(errno));
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	execvp(argv[0], argv);
	int e = errno;
	fprintf(stderr, "sup-init: cannot run '%s': %s\n", argv[0], strerror(e));
	_exit(e == ENOENT || e == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

static int status_to_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255; /* cannot happen without WUNTRACED */
}

/* Reap every child that has exited; *ret_status is set and 1 returned
 * once the command is among them. */
static int reap(pid_t command, int *ret_status)
{
	int found = 0, status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == command) {
			*ret_status = status;
			found = 1;
		}
	return found;
}

int main(int argc, char **argv)
{
	sigset_t forwarded, old;
	int status;

	if (argc > 1 && !strcmp(argv[1], "--"))
		argv++, argc--;
	if (argc < 2) {
		fprintf(stderr, "usage: sup-init [--] COMMAND [ARG...]\n");
		return EXIT_USAGE;
	}

	/* Blocked before the fork: a signal that comes before we wait for
	 * it stays pending, so none is lost, and a blocked signal is queued
	 * even to a PID 1 that has no handler for it. */
	forwarded_set(&forwarded);
	sigprocmask(SIG_BLOCK, &forwarded, &old);

	pid_t command = fork();
	if (command < 0) {
		fprintf(stderr, "sup-init: fork: %s\n", strerror(errno));
		return EXIT_CANNOT_EXEC;
	}
	if (command == 0)
		run_command(argv + 1, &old);
	/* Also here, so that a signal forwarded right after the fork finds
	 * the group even if the child has not run setpgid yet. */
	(void)setpgid(command, command);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&forwarded, &si);
		if (sig < 0)
			continue; /* EINTR */
		if (sig == SIGCHLD) {
			if (reap(command, &status))
				return status_to_exit_code(status);
			continue;
		}
		/* The group may be gone already (the command exited and its
		 * SIGCHLD is still pending): nothing to do then. */
		if (kill(-command, sig) < 0 && errno == ESRCH)
			(void)kill(command, sig);
	}
}
