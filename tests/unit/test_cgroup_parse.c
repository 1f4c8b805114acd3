/* test_cgroup_parse.c - the pure cgroup parsers of cgroup.h and
 * cgroup_resolve_base() against fixture files in fixtures/ next to this
 * file (found through __FILE__, so no build-system support is needed):
 *
 *   proc-self-cgroup-v1.txt           a hybrid host (v1 controllers, one per
 *                                     hierarchy, plus "0::/")
 *   proc-self-cgroup-v1-combined.txt  systemd v1 layout with cpu,cpuacct
 *   proc-self-cgroup-v2.txt           a unified host
 *   mountinfo-v1.txt                  the hybrid host's mounts (cgroup2 at
 *                                     /sys/fs/cgroup/unified)
 *   mountinfo-v1-combined.txt         systemd v1 mounts with "shared:N"
 *                                     optional fields and cpu,cpuacct
 *   mountinfo-v2.txt                  a unified host's mounts
 *   memory.events-6.1                 with oom_group_kill and sock_throttled
 *   memory.events-5.10                without oom_group_kill
 *   memory.oom_control                v1, with oom_kill (kernel >= 4.13)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "cgroup.h"

/* ---- fixtures ---- */

/* The whole file, NUL-terminated; fails the test if it cannot be read. */
static char *read_fixture(const char *name)
{
	char path[4096];
	const char *slash = strrchr(__FILE__, '/');
	if (slash)
		snprintf(path, sizeof(path), "%.*s/fixtures/%s", (int)(slash - __FILE__), __FILE__, name);
	else
		snprintf(path, sizeof(path), "fixtures/%s", name);
	FILE *f = fopen(path, "re");
	if (!f) {
		print_message("cannot open fixture %s: %s\n", path, strerror(errno));
		fail();
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		assert_non_null(buf);
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	buf[n] = 0;
	assert_true(n > 0);
	return buf;
}

/* r and the returned path, so that a failure shows both. */
#define assert_proc_self(text, controller, want)                                                         \
	do {                                                                                             \
		char _buf[4096] = "";                                                                    \
		int _r = cgroup_parse_proc_self((text), (controller), _buf, sizeof(_buf));               \
		if (_r != 0)                                                                             \
			print_message("controller %s: r=%d\n", (controller) ? (controller) : "(v2)", _r); \
		assert_int_equal(_r, 0);                                                                 \
		assert_string_equal(_buf, (want));                                                       \
	} while (0)

#define assert_proc_self_fails(text, controller, want_r)                                                  \
	do {                                                                                              \
		char _buf[4096] = "";                                                                     \
		int _r = cgroup_parse_proc_self((text), (controller), _buf, sizeof(_buf));                \
		if (_r != (want_r))                                                                       \
			print_message("controller %s: r=%d path='%s'\n", (controller) ? (controller) : "(v2)", \
				      _r, _buf);                                                          \
		assert_int_equal(_r, (want_r));                                                           \
	} while (0)

#define assert_v1_mount(text, controller, want)                                                \
	do {                                                                                   \
		char _buf[4096] = "";                                                          \
		int _r = cgroup_parse_v1_mount((text), (controller), _buf, sizeof(_buf));      \
		if (_r != 0)                                                                   \
			print_message("controller %s: r=%d\n", (controller), _r);              \
		assert_int_equal(_r, 0);                                                       \
		assert_string_equal(_buf, (want));                                             \
	} while (0)

#define assert_v1_mount_fails(text, controller, want_r)                                         \
	do {                                                                                    \
		char _buf[4096] = "";                                                           \
		int _r = cgroup_parse_v1_mount((text), (controller), _buf, sizeof(_buf));       \
		if (_r != (want_r))                                                             \
			print_message("controller %s: r=%d mount='%s'\n", (controller), _r, _buf); \
		assert_int_equal(_r, (want_r));                                                 \
	} while (0)

/* ---- cgroup_parse_proc_self ---- */

static void test_proc_self_v2(void **state)
{
	(void)state;
	char *text = read_fixture("proc-self-cgroup-v2.txt");
	assert_proc_self(text, NULL, "/user.slice/x.scope");
	assert_proc_self_fails(text, "memory", -ENOENT);
	assert_proc_self_fails(text, "", -ENOENT);
	free(text);
}

/* This machine's shape: one controller per hierarchy, and a "0::/" line. */
static void test_proc_self_v1_hybrid(void **state)
{
	(void)state;
	char *text = read_fixture("proc-self-cgroup-v1.txt");
	assert_proc_self(text, NULL, "/");
	assert_proc_self(text, "memory", "/ci/89b3fde4fb9d9843730896ae1ecfe871");
	assert_proc_self(text, "cpu", "/");
	assert_proc_self(text, "cpuacct", "/");
	assert_proc_self(text, "pids", "/");
	assert_proc_self(text, "freezer", "/");
	assert_proc_self(text, "name=systemd", "/");
	/* "name=systemd" is a named hierarchy, not a controller called systemd */
	assert_proc_self_fails(text, "systemd", -ENOENT);
	/* whole names only */
	assert_proc_self_fails(text, "mem", -ENOENT);
	assert_proc_self_fails(text, "memoryx", -ENOENT);
	assert_proc_self_fails(text, "cpuac", -ENOENT);
	assert_proc_self_fails(text, "hugetlb", -ENOENT);
	free(text);
}

/* A controller inside a combined list, at either position. */
static void test_proc_self_v1_combined(void **state)
{
	(void)state;
	char *text = read_fixture("proc-self-cgroup-v1-combined.txt");
	assert_proc_self(text, "cpu", "/system.slice/supd.service");
	assert_proc_self(text, "cpuacct", "/system.slice/supd.service");
	assert_proc_self(text, "net_cls", "/");
	assert_proc_self(text, "net_prio", "/");
	assert_proc_self(text, "memory", "/system.slice/supd.service");
	assert_proc_self(text, "pids", "/system.slice/supd.service");
	assert_proc_self(text, "freezer", "/");
	assert_proc_self(text, "name=systemd", "/system.slice/supd.service");
	assert_proc_self(text, NULL, "/system.slice/supd.service");
	assert_proc_self_fails(text, "systemd", -ENOENT);
	assert_proc_self_fails(text, "net", -ENOENT);
	assert_proc_self_fails(text, "cpuacc", -ENOENT);
	free(text);
}

static void test_proc_self_missing(void **state)
{
	(void)state;
	assert_proc_self_fails("", NULL, -ENOENT);
	assert_proc_self_fails("", "memory", -ENOENT);
	/* pure v1 without a unified line */
	assert_proc_self_fails("4:memory:/a\n1:name=systemd:/a\n", NULL, -ENOENT);
	/* an empty controller list on a non-zero hierarchy id is not the v2 line */
	assert_proc_self_fails("10::/z\n", NULL, -ENOENT);
	/* malformed lines are skipped */
	assert_proc_self_fails("garbage\n4:memory\n", "memory", -ENOENT);
	assert_proc_self("garbage\n4:memory\n0::/ok\n", NULL, "/ok");
}

static void test_proc_self_shapes(void **state)
{
	(void)state;
	/* last line without a newline */
	assert_proc_self("4:memory:/a\n0::/b", NULL, "/b");
	assert_proc_self("0::/b\n4:memory:/a", "memory", "/a");
	/* the path is everything after the second colon */
	assert_proc_self("0::/a:b:c\n", NULL, "/a:b:c");
	assert_proc_self("3:cpu,cpuacct:/x:y\n", "cpuacct", "/x:y");
	/* an empty path */
	assert_proc_self("0::\n", NULL, "");
}

static void test_proc_self_too_small(void **state)
{
	(void)state;
	const char *text = "0::/user.slice/x.scope\n"; /* path: 19 characters */
	char buf[32];
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(cgroup_parse_proc_self(text, NULL, buf, 19), -ENAMETOOLONG);
	assert_int_equal(cgroup_parse_proc_self(text, NULL, buf, 1), -ENAMETOOLONG);
	assert_int_equal(cgroup_parse_proc_self(text, NULL, buf, 20), 0);
	assert_string_equal(buf, "/user.slice/x.scope");
	assert_int_equal(buf[20], 'Z'); /* nothing written past size */

	char *fixture = read_fixture("proc-self-cgroup-v1.txt");
	assert_int_equal(cgroup_parse_proc_self(fixture, "memory", buf, 8), -ENAMETOOLONG);
	free(fixture);
}

/* ---- memory.events / memory.oom_control ---- */

static void assert_counts(const struct cgroup_oom_counts *c, uint64_t oom, uint64_t oom_kill, uint64_t group,
			  uint64_t max)
{
	assert_int_equal(c->oom, oom);
	assert_int_equal(c->oom_kill, oom_kill);
	assert_int_equal(c->oom_group_kill, group);
	assert_int_equal(c->max, max);
}

static void test_memory_events_6_1(void **state)
{
	(void)state;
	char *text = read_fixture("memory.events-6.1");
	struct cgroup_oom_counts c;
	memset(&c, 0xaa, sizeof(c));
	assert_int_equal(cgroup_parse_memory_events(text, &c), 0);
	assert_counts(&c, 3, 2, 1, 12);
	free(text);
}

/* Before 5.17 there is no oom_group_kill: it stays 0 (not whatever was in *ret). */
static void test_memory_events_5_10(void **state)
{
	(void)state;
	char *text = read_fixture("memory.events-5.10");
	struct cgroup_oom_counts c;
	memset(&c, 0xaa, sizeof(c));
	assert_int_equal(cgroup_parse_memory_events(text, &c), 0);
	assert_counts(&c, 1, 1, 0, 4);
	free(text);
}

static void test_memory_events_shapes(void **state)
{
	(void)state;
	struct cgroup_oom_counts c;
	memset(&c, 0xaa, sizeof(c));
	assert_int_equal(cgroup_parse_memory_events("", &c), 0);
	assert_counts(&c, 0, 0, 0, 0);
	/* no trailing newline, any order */
	assert_int_equal(cgroup_parse_memory_events("oom_kill 7\noom 9", &c), 0);
	assert_counts(&c, 9, 7, 0, 0);
	/* similar names do not match */
	assert_int_equal(cgroup_parse_memory_events("oom_killx 5\nxoom 4\nmax_usage 3\noom_group 2\n", &c), 0);
	assert_counts(&c, 0, 0, 0, 0);
	/* the full range */
	assert_int_equal(cgroup_parse_memory_events("oom_kill 18446744073709551615\n", &c), 0);
	assert_int_equal(c.oom_kill, UINT64_MAX);
	/* lines without a value are skipped */
	assert_int_equal(cgroup_parse_memory_events("populated\noom 1\n", &c), 0);
	assert_counts(&c, 1, 0, 0, 0);
}

static void test_memory_events_bad(void **state)
{
	(void)state;
	struct cgroup_oom_counts c;
	assert_int_equal(cgroup_parse_memory_events("oom_kill x\n", &c), -EINVAL);
	assert_int_equal(cgroup_parse_memory_events("oom \n", &c), -EINVAL);
	assert_int_equal(cgroup_parse_memory_events("max 99999999999999999999\n", &c), -EINVAL);
	/* a bad value of a key we ignore does not matter */
	assert_int_equal(cgroup_parse_memory_events("low x\noom 2\n", &c), 0);
	assert_int_equal(c.oom, 2);
}

static void test_oom_control(void **state)
{
	(void)state;
	char *text = read_fixture("memory.oom_control");
	struct cgroup_oom_counts c;
	memset(&c, 0xaa, sizeof(c));
	assert_int_equal(cgroup_parse_oom_control(text, &c), 0);
	assert_counts(&c, 0, 5, 0, 0);
	free(text);

	/* before 4.13 there is no oom_kill line */
	memset(&c, 0xaa, sizeof(c));
	assert_int_equal(cgroup_parse_oom_control("oom_kill_disable 0\nunder_oom 1\n", &c), 0);
	assert_counts(&c, 0, 0, 0, 0);
	/* oom_kill_disable is not oom_kill */
	assert_int_equal(cgroup_parse_oom_control("oom_kill_disable 1\n", &c), 0);
	assert_int_equal(c.oom_kill, 0);
	assert_int_equal(cgroup_parse_oom_control("oom_kill -\n", &c), -EINVAL);
}

/* ---- cgroup_parse_v1_mount ---- */

static void test_v1_mount_hybrid(void **state)
{
	(void)state;
	char *text = read_fixture("mountinfo-v1.txt");
	assert_v1_mount(text, "memory", "/sys/fs/cgroup/memory");
	assert_v1_mount(text, "cpu", "/sys/fs/cgroup/cpu");
	assert_v1_mount(text, "cpuacct", "/sys/fs/cgroup/cpuacct");
	assert_v1_mount(text, "pids", "/sys/fs/cgroup/pids");
	assert_v1_mount(text, "freezer", "/sys/fs/cgroup/freezer");
	assert_v1_mount(text, "name=systemd", "/sys/fs/cgroup/systemd");
	assert_v1_mount_fails(text, "systemd", -ENOENT);
	assert_v1_mount_fails(text, "hugetlb", -ENOENT);
	assert_v1_mount_fails(text, "mem", -ENOENT);
	free(text);
}

static void test_v1_mount_combined(void **state)
{
	(void)state;
	char *text = read_fixture("mountinfo-v1-combined.txt");
	assert_v1_mount(text, "cpu", "/sys/fs/cgroup/cpu,cpuacct");
	assert_v1_mount(text, "cpuacct", "/sys/fs/cgroup/cpu,cpuacct");
	assert_v1_mount(text, "memory", "/sys/fs/cgroup/memory");
	assert_v1_mount(text, "pids", "/sys/fs/cgroup/pids");
	assert_v1_mount(text, "freezer", "/sys/fs/cgroup/freezer");
	assert_v1_mount(text, "net_prio", "/sys/fs/cgroup/net_cls,net_prio");
	assert_v1_mount(text, "name=systemd", "/sys/fs/cgroup/systemd");
	assert_v1_mount_fails(text, "systemd", -ENOENT);
	free(text);
}

static void test_v1_mount_ignores_cgroup2(void **state)
{
	(void)state;
	char *text = read_fixture("mountinfo-v2.txt");
	assert_v1_mount_fails(text, "memory", -ENOENT);
	assert_v1_mount_fails(text, "cpu", -ENOENT);
	free(text);
	/* even if the cgroup2 super options named a controller */
	assert_v1_mount_fails("41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,memory\n", "memory",
			      -ENOENT);
	/* and a later v1 line still counts */
	assert_v1_mount("41 31 0:38 / /u rw - cgroup2 cgroup2 rw,memory\n"
			"35 31 0:32 / /m rw - cgroup cgroup rw,memory",
			"memory", "/m");
}

static void test_v1_mount_missing(void **state)
{
	(void)state;
	assert_v1_mount_fails("", "memory", -ENOENT);
	/* no " - " separator: skipped */
	assert_v1_mount_fails("35 31 0:32 / /sys/fs/cgroup/memory rw cgroup cgroup rw,memory\n", "memory", -ENOENT);
	/* too few fields after it: skipped */
	assert_v1_mount_fails("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup\n", "memory", -ENOENT);
	/* a controller named only in the per-mount options, not the super options */
	assert_v1_mount_fails("35 31 0:32 / /m rw,memory - cgroup cgroup rw,cpu\n", "memory", -ENOENT);
}

static void test_v1_mount_too_small(void **state)
{
	(void)state;
	const char *text = "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";
	char buf[64];
	assert_int_equal(cgroup_parse_v1_mount(text, "memory", buf, 21), -ENAMETOOLONG);
	assert_int_equal(cgroup_parse_v1_mount(text, "memory", buf, 22), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/memory");
}

/* Regression (found by this test, fixed): mountinfo escapes space, tab, newline and backslash in the mount
 * point as octal (\040, \011, \012, \134; see proc(5)). The parser returns
 * the escaped form, so a v1 hierarchy mounted at a path with a space is
 * looked for (and, by cgroup_mkdir_p(), created) at a wrong path. Expected:
 * the decoded path. Low severity: such mount points are rare. */
static void test_regression_v1_mount_octal_escapes(void **state)
{
	(void)state;
	char buf[256] = "";
	int r = cgroup_parse_v1_mount("35 31 0:32 / /sys/fs/cgroup/my\\040memory rw,relatime - cgroup cgroup rw,memory\n",
				      "memory", buf, sizeof(buf));
	assert_int_equal(r, 0);
	assert_string_equal(buf, "/sys/fs/cgroup/my memory");
}

/* ---- cgroup_resolve_base ---- */

#define assert_resolves(own, parent, want)                                             \
	do {                                                                           \
		char _buf[4096] = "";                                                  \
		int _r = cgroup_resolve_base((own), (parent), _buf, sizeof(_buf));     \
		if (_r != 0)                                                           \
			print_message("own '%s' parent '%s': r=%d\n", (own), (parent), _r); \
		assert_int_equal(_r, 0);                                               \
		assert_string_equal(_buf, (want));                                     \
	} while (0)

static void test_resolve_base(void **state)
{
	(void)state;
	assert_resolves("/user.slice/user-1000.slice/session-2.scope", "auto",
			"/user.slice/user-1000.slice/session-2.scope/sup");
	assert_resolves("/system.slice/supd.service", "auto", "/system.slice/supd.service/sup");
	assert_resolves("/", "auto", "/sup");
	assert_resolves("/x", "a/b", "/x/a/b");
	assert_resolves("/", "a/b", "/a/b");
	assert_resolves("/x", "sup", "/x/sup");
	assert_resolves("/x/y", "/abs/path", "/abs/path");
	assert_resolves("/", "/abs", "/abs");
	assert_resolves("/x", "/", "/");
	/* "auto" only as the whole value */
	assert_resolves("/x", "autox", "/x/autox");
}

static void test_resolve_base_too_small(void **state)
{
	(void)state;
	char buf[16];
	/* "/x/sup" needs 7 bytes */
	assert_int_equal(cgroup_resolve_base("/x", "auto", buf, 6), -ENAMETOOLONG);
	assert_int_equal(cgroup_resolve_base("/x", "auto", buf, 7), 0);
	assert_string_equal(buf, "/x/sup");
	assert_int_equal(cgroup_resolve_base("/x", "/abcdefghijklmnopqrstuvwxyz", buf, sizeof(buf)), -ENAMETOOLONG);
	assert_int_equal(cgroup_resolve_base("/x", "abcdefghijklmnopqrstuvwxyz", buf, sizeof(buf)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_self_v2),
		cmocka_unit_test(test_proc_self_v1_hybrid),
		cmocka_unit_test(test_proc_self_v1_combined),
		cmocka_unit_test(test_proc_self_missing),
		cmocka_unit_test(test_proc_self_shapes),
		cmocka_unit_test(test_proc_self_too_small),
		cmocka_unit_test(test_memory_events_6_1),
		cmocka_unit_test(test_memory_events_5_10),
		cmocka_unit_test(test_memory_events_shapes),
		cmocka_unit_test(test_memory_events_bad),
		cmocka_unit_test(test_oom_control),
		cmocka_unit_test(test_v1_mount_hybrid),
		cmocka_unit_test(test_v1_mount_combined),
		cmocka_unit_test(test_v1_mount_ignores_cgroup2),
		cmocka_unit_test(test_v1_mount_missing),
		cmocka_unit_test(test_v1_mount_too_small),
		cmocka_unit_test(test_regression_v1_mount_octal_escapes),
		cmocka_unit_test(test_resolve_base),
		cmocka_unit_test(test_resolve_base_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
