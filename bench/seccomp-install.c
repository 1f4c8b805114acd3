/* seccomp-install - the child-side cost of seccomp = default, without
 * supd's own noise around it (bench/seccomp-cost measures through supd).
 *
 * For N rounds, alternating: fork; the child sets no_new_privs, installs
 * the default filter (or not) timing that call with CLOCK_MONOTONIC, and
 * execs a static /bin/true; the parent times fork-to-reap and takes the
 * child's CPU time (user + system) from wait4(). Prints medians: the
 * install call alone, and the whole start with and without the filter, in
 * wall time (inflated when other work shares the CPUs) and in CPU time.
 *
 *   cc -O2 -Isrc -o seccomp-install bench/seccomp-install.c build/libsupcore.a \
 *      $(pkg-config --libs libseccomp libuv inih sqlite3)
 *   ./seccomp-install build/rootfs/bin/true 2000 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockdown.h"
#include "seccomp_filter.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s STATIC-TRUE ROUNDS\n", argv[0]);
		return 2;
	}
	const char *true_path = argv[1];
	int n = atoi(argv[2]);
	struct seccomp_program *prog;
	struct sup_err err = { 0 };
	double t0 = now_us();
	if (seccomp_program_build(&prog, &err) < 0) {
		fprintf(stderr, "build: %s\n", err.msg);
		return 1;
	}
	double build_us = now_us() - t0;
	double *with = calloc((size_t)n, sizeof(double)), *without = calloc((size_t)n, sizeof(double));
	double *install = calloc((size_t)n, sizeof(double));
	double *cpu_with = calloc((size_t)n, sizeof(double)), *cpu_without = calloc((size_t)n, sizeof(double));
	int fds[2];
	if (!with || !without || !install || !cpu_with || !cpu_without || pipe(fds) < 0)
		return 1;

	for (int i = 0; i < 2 * n; i++) {
		int filtered = (i % 2) == (i / 2 % 2); /* alternate which goes first */
		double start = now_us();
		pid_t pid = fork();
		if (pid == 0) {
			double a = now_us();
			if (lockdown_no_new_privs() < 0 || (filtered && lockdown_seccomp(prog) < 0))
				_exit(1);
			double took = now_us() - a;
			if (write(fds[1], &took, sizeof(took)) != sizeof(took))
				_exit(1);
			char *args[] = { (char *)"true", NULL };
			execv(true_path, args);
			_exit(127);
		}
		int status;
		struct rusage ru;
		if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "child failed\n");
			return 1;
		}
		double total = now_us() - start, took;
		double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
			     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		if (read(fds[0], &took, sizeof(took)) != sizeof(took))
			return 1;
		if (filtered) {
			with[i / 2] = total;
			install[i / 2] = took;
			cpu_with[i / 2] = cpu;
		} else {
			without[i / 2] = total;
			cpu_without[i / 2] = cpu;
		}
	}
	double mw = median(with, n), mo = median(without, n);
	double cw = median(cpu_with, n), co = median(cpu_without, n);
	printf("filter: %u instructions, built once in %.0f us\n", prog->len, build_us);
	printf("install (no_new_privs + seccomp()) median: %.1f us\n", median(install, n));
	printf("fork+exec+exit of %s, median of %d: with filter %.1f us, without %.1f us, added %.1f us\n",
	       true_path, n, mw, mo, mw - mo);
	printf("CPU time of the child, median: with filter %.1f us, without %.1f us, added %.1f us\n", cw, co,
	       cw - co);
	seccomp_program_free(prog);
	return 0;
}
