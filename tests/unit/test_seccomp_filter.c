/* test_seccomp_filter.c - the default filter, built as supd builds it and
 * installed in a forked child (no root needed: no_new_privs first), refuses
 * what it should and lets the rest through. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lockdown.h"
#include "seccomp_filter.h"

/* In the child: 0 if every expectation holds, else the line that failed. */
#define EXPECT(call, want_errno)                                              \
	do {                                                                  \
		errno = 0;                                                    \
		long _r = (call);                                             \
		int _e = _r < 0 ? errno : 0;                                  \
		if (_e != (want_errno)) {                                     \
			fprintf(stderr, "%s: r=%ld errno %d, expected %d\n", #call, _r, \
				_e, (want_errno));                            \
			return 3;                                             \
		}                                                             \
	} while (0)

static int child_checks(const struct seccomp_program *prog)
{
	if (lockdown_no_new_privs() < 0 || lockdown_seccomp(prog) < 0)
		return 1;
	/* personality: odd values refused, Docker's few and queries allowed */
	EXPECT(syscall(SYS_personality, ADDR_NO_RANDOMIZE), EPERM);
	EXPECT(syscall(SYS_personality, READ_IMPLIES_EXEC), EPERM);
	EXPECT(syscall(SYS_personality, 0x0100000 /* MMAP_PAGE_ZERO */), EPERM);
	EXPECT(syscall(SYS_personality, 0x20009), EPERM);
	EXPECT(syscall(SYS_personality, 0x100000000ULL), EPERM);
	EXPECT(syscall(SYS_personality, 0xffffffffUL), 0);
	EXPECT(syscall(SYS_personality, UNAME26 | PER_LINUX32), 0);
	EXPECT(syscall(SYS_personality, 0), 0);
	EXPECT(syscall(SYS_keyctl, 0, -3, 0), EPERM);
	EXPECT(syscall(SYS_unshare, CLONE_NEWUSER), EPERM);
	EXPECT(syscall(SYS_setns, 0, 0), EPERM);
	EXPECT(syscall(SYS_init_module, NULL, 0, ""), EPERM);
	EXPECT(syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL), EPERM);
	EXPECT(syscall(SYS_ptrace, 0, 0, 0, 0), EPERM);
	EXPECT(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	EXPECT(syscall(SYS_clone3, NULL, 0), ENOSYS);
	EXPECT(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0), EPERM);
	EXPECT(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0), EPERM);
	/* ordinary calls, and a fork without namespaces */
	EXPECT(syscall(SYS_getpid), 0);
	char buf[8];
	EXPECT(syscall(SYS_getcwd, buf, 1), ERANGE); /* reached the kernel */
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		return 2;
	return 0;
}

static void test_filter(void **state)
{
	struct seccomp_program *prog = NULL;
	struct sup_err err = { 0 };
	(void)state;

	int r = seccomp_program_build(&prog, &err);
	if (r < 0)
		print_message("build: %s\n", err.msg);
	assert_int_equal(r, 0);
	assert_non_null(prog);
	assert_true(prog->len > 10);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_checks(prog));
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status))
		print_message("child failed: status %d (see its message above)\n", WEXITSTATUS(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_null(seccomp_program_free(prog));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
