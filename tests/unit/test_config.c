/* test_config.c - config_load() on a full valid config and on every kind of
 * bad input, checking that each error names file, line, section and key.
 * Each test gets its own mkdtemp() directory (with a rootfs directory, a
 * regular file and c.d/) that teardown removes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "parse.h"

struct fixture {
	char dir[256];         /* the temp dir */
	char rootfs[512];      /* an empty directory */
	char notdir[512];      /* a regular file */
};

#define BAD_SENTINEL ((struct sup_config *)0x5a5a)

/* ---- fixture ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int remove_tree(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *fp = NULL;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/sup-test-config-XXXXXX", tmp);
	if (!mkdtemp(f->dir)) {
		print_error("mkdtemp(%s): %s\n", f->dir, strerror(errno));
		free(f);
		return -1;
	}
	snprintf(f->rootfs, sizeof(f->rootfs), "%s/rootfs", f->dir);
	snprintf(f->notdir, sizeof(f->notdir), "%s/notadir", f->dir);
	if (mkdir(f->rootfs, 0755) < 0 || !(fp = fopen(f->notdir, "w"))) {
		print_error("setup in %s: %s\n", f->dir, strerror(errno));
		remove_tree(f->dir);
		free(f);
		return -1;
	}
	fclose(fp);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	if (getuid() == 0 && geteuid() != 0) { /* a failed check left us as nobody */
		if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0 || setresgid((gid_t)-1, 0, (gid_t)-1) < 0)
			return -1;
	}
	struct fixture *f = *state;
	int r;

	if (!f)
		return 0;
	r = remove_tree(f->dir);
	if (r < 0)
		print_error("removing %s: %s\n", f->dir, strerror(errno));
	free(f);
	return r;
}

/* ---- helpers ---- */

/* tmpl with @ROOTFS@, @NOTDIR@ and @DIR@ replaced; caller frees. */
static char *expand(const struct fixture *f, const char *tmpl)
{
	static const char *const keys[] = { "@ROOTFS@", "@NOTDIR@", "@DIR@" };
	const char *vals[] = { f->rootfs, f->notdir, f->dir };
	size_t size = strlen(tmpl) + 1;
	char *out, *o;

	for (const char *p = tmpl; *p; p++)
		if (*p == '@')
			size += PATH_MAX;
	out = o = malloc(size);
	assert_non_null(out);
	while (*tmpl) {
		size_t i;
		for (i = 0; i < 3; i++)
			if (strncmp(tmpl, keys[i], strlen(keys[i])) == 0)
				break;
		if (i < 3) {
			o = stpcpy(o, vals[i]);
			tmpl += strlen(keys[i]);
		} else {
			*o++ = *tmpl++;
		}
	}
	*o = 0;
	return out;
}

static void path_of(const struct fixture *f, const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", f->dir, rel);
}

static void write_raw(const struct fixture *f, const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX];
	FILE *fp;

	path_of(f, rel, path, sizeof(path));
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void write_file(const struct fixture *f, const char *rel, const char *tmpl)
{
	char *text = expand(f, tmpl);
	write_raw(f, rel, text, strlen(text));
	free(text);
}

static void make_dir(const struct fixture *f, const char *rel)
{
	char path[PATH_MAX];
	path_of(f, rel, path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
}

static struct sup_config *load_ok(const struct fixture *f, const char *rel)
{
	struct sup_config *c = NULL;
	struct sup_err err = { 0 };
	char path[PATH_MAX];
	int r;

	path_of(f, rel, path, sizeof(path));
	r = config_load(path, &c, &err);
	if (r != 0)
		print_message("config_load(%s) = %d: %s\n", path, r, err.msg);
	assert_int_equal(r, 0);
	assert_non_null(c);
	return c;
}

static void assert_contains(const char *msg, const char *part)
{
	if (!strstr(msg, part))
		print_message("error message: %s\nexpected it to contain: %s\n", msg, part);
	assert_non_null(strstr(msg, part));
}

/* Load main (relative to the fixture dir); expect failure with a message
 * that starts with "<dir>/<file>:<line>: " and contains what and why. */
static void expect_error_in(const struct fixture *f, const char *main, const char *file, int line, const char *what,
			    const char *why)
{
	struct sup_config *c = BAD_SENTINEL;
	struct sup_err err = { 0 };
	char path[PATH_MAX], prefix[PATH_MAX + 64];
	int r;

	path_of(f, main, path, sizeof(path));
	r = config_load(path, &c, &err);
	if (r != -EINVAL)
		print_message("config_load(%s) = %d (expected -EINVAL): %s\n", path, r, err.msg);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	assert_ptr_equal(c, BAD_SENTINEL); /* *ret untouched */

	snprintf(prefix, sizeof(prefix), "%s/%s:%d: ", f->dir, file, line);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
		print_message("error message: %s\nexpected it to start with: %s\n", err.msg, prefix);
	assert_int_equal(strncmp(err.msg, prefix, strlen(prefix)), 0);
	if (what)
		assert_contains(err.msg, what);
	if (why)
		assert_contains(err.msg, why);
	assert_null(strchr(err.msg, '\n'));
}

/* tmpl as bad.conf: expect the error at line, from config_load() and the
 * same message from config_load_string(). */
static void expect_error(const struct fixture *f, const char *tmpl, int line, const char *what, const char *why)
{
	struct sup_config *c = BAD_SENTINEL;
	struct sup_err err = { 0 }, err2 = { 0 };
	char path[PATH_MAX];
	char *text = expand(f, tmpl);

	write_raw(f, "bad.conf", text, strlen(text));
	expect_error_in(f, "bad.conf", "bad.conf", line, what, why);

	path_of(f, "bad.conf", path, sizeof(path));
	config_load(path, &c, &err);
	assert_int_equal(config_load_string(path, text, &c, &err2), -EINVAL);
	assert_ptr_equal(c, BAD_SENTINEL);
	assert_string_equal(err.msg, err2.msg);
	free(text);
}

/* The whole message, for the format of each kind of error. */
static void expect_message(const struct fixture *f, const char *tmpl, const char *expected_tmpl)
{
	struct sup_config *c = BAD_SENTINEL;
	struct sup_err err = { 0 };
	char path[PATH_MAX];
	char *expected = expand(f, expected_tmpl);

	write_file(f, "bad.conf", tmpl);
	path_of(f, "bad.conf", path, sizeof(path));
	assert_int_equal(config_load(path, &c, &err), -EINVAL);
	assert_ptr_equal(c, BAD_SENTINEL);
	if (strcmp(err.msg, expected) != 0)
		print_message("error message: %s\nexpected:      %s\n", err.msg, expected);
	assert_string_equal(err.msg, expected);
	free(expected);
}

#define WEB "[container:web]\nrootfs = @ROOTFS@\ncommand = /bin/true\n"

/* ---- valid configs ---- */

static const char full_main[] =
	"; sup main config\n"
	"# both comment styles\n"
	"[supd]\n"
	"state_dir = @DIR@/state\n"
	"run_dir = @DIR@/run\n"
	"log_dir = @DIR@/log\n"
	"cgroup_parent = /sup.slice\n"
	"db = @DIR@/db/sup.db\n"
	"socket = @DIR@/s.sock\n"
	"init_path = @DIR@/bin/sup-init\n"
	"include = c.d/*.conf\n"
	"include = @DIR@/more/*.conf\n"
	"include = nowhere/*.conf   ; matches nothing: fine\n"
	"include = c.d/b.conf       ; already included: parsed once\n"
	"include = *.conf           ; matches this file: skipped\n"
	"\n"
	"[container:zeta]\n"
	"rootfs = @ROOTFS@\n"
	"command = /bin/sleep 1000\n";

static const char full_a[] =
	"[container:web]\n"
	"rootfs = @ROOTFS@/\n"
	"command = /bin/sh -c \"exec httpd -f -p 80\" ; inline comment\n"
	"workdir = /srv\n"
	"hostname = web-host\n"
	"env = PATH=/bin:/usr/bin\n"
	"env = GREETING=hello world\n"
	"env = EMPTY=\n"
	"env = WITH_SEMI=a;b\n"
	"user = 1000:100\n"
	"network = host\n"
	"memory_max = 64M\n"
	"cpu_max = 0.5\n"
	"pids_max = 256\n"
	"restart = always\n"
	"restart_delay = 200ms\n"
	"restart_delay_max = 1m\n"
	"restart_reset = 2m\n"
	"start_limit = 5/30s\n"
	"oom_policy = continue\n"
	"stop_signal = SIGINT\n"
	"stop_timeout = 1m30s\n"
	"autostart = no\n"
	"readonly_rootfs = yes\n"
	"init = yes\n"
	"userns = yes\n"
	"uid_map = 0 200000 65536\n"
	"gid_map = 50 300000 51\n"
	"\n"
	"[container:api]\n"
	"rootfs=@ROOTFS@\n"
	"command:/bin/api --port=8080\n"
	"user = 0\n";

static void test_full_config(void **state)
{
	struct fixture *f = *state;
	struct sup_config *c;
	const struct container_config *web, *api, *db, *zeta;
	char path[PATH_MAX];

	make_dir(f, "c.d");
	make_dir(f, "more");
	write_file(f, "supd.conf", full_main);
	write_file(f, "c.d/a.conf", full_a);
	write_file(f, "c.d/b.conf", "[container:db]\nrootfs = @ROOTFS@\ncommand = /bin/db\n");
	write_file(f, "c.d/ignored.txt", "not a config\n");
	write_file(f, "more/m.conf", "# nothing but a comment\n");
	c = load_ok(f, "supd.conf");

	path_of(f, "supd.conf", path, sizeof(path));
	assert_string_equal(c->path, path);
	path_of(f, "state", path, sizeof(path));
	assert_string_equal(c->supd.state_dir, path);
	path_of(f, "run", path, sizeof(path));
	assert_string_equal(c->supd.run_dir, path);
	path_of(f, "log", path, sizeof(path));
	assert_string_equal(c->supd.log_dir, path);
	assert_string_equal(c->supd.cgroup_parent, "/sup.slice");
	path_of(f, "db/sup.db", path, sizeof(path));
	assert_string_equal(c->supd.db_path, path);
	path_of(f, "s.sock", path, sizeof(path));
	assert_string_equal(c->supd.socket_path, path);
	path_of(f, "bin/sup-init", path, sizeof(path));
	assert_string_equal(c->supd.init_path, path);

	/* sorted by name, whatever the order of definition */
	assert_int_equal(c->n_containers, 4);
	assert_string_equal(c->containers[0].name, "api");
	assert_string_equal(c->containers[1].name, "db");
	assert_string_equal(c->containers[2].name, "web");
	assert_string_equal(c->containers[3].name, "zeta");

	web = config_find(c, "web");
	assert_ptr_equal(web, &c->containers[2]);
	path_of(f, "c.d/a.conf", path, sizeof(path));
	assert_string_equal(web->file, path);
	assert_int_equal(web->line, 1);
	snprintf(path, sizeof(path), "%s/", f->rootfs); /* as written */
	assert_string_equal(web->rootfs, path);
	assert_string_equal(web->command, "/bin/sh -c \"exec httpd -f -p 80\"");
	assert_string_equal(web->argv[0], "/bin/sh");
	assert_string_equal(web->argv[1], "-c");
	assert_string_equal(web->argv[2], "exec httpd -f -p 80");
	assert_null(web->argv[3]);
	assert_string_equal(web->workdir, "/srv");
	assert_string_equal(web->hostname, "web-host");
	assert_int_equal(web->n_env, 4);
	assert_string_equal(web->env[0], "PATH=/bin:/usr/bin");
	assert_string_equal(web->env[1], "GREETING=hello world");
	assert_string_equal(web->env[2], "EMPTY=");
	assert_string_equal(web->env[3], "WITH_SEMI=a;b");
	assert_null(web->env[4]);
	assert_true(web->has_user);
	assert_int_equal(web->uid, 1000);
	assert_int_equal(web->gid, 100);
	assert_int_equal(web->network, NETWORK_HOST);
	assert_int_equal(web->memory_max, 64ULL << 20);
	assert_int_equal(web->cpu_max, 500);
	assert_int_equal(web->pids_max, 256);
	assert_int_equal(web->restart, RESTART_ALWAYS);
	assert_int_equal(web->restart_delay_ms, 200);
	assert_int_equal(web->restart_delay_max_ms, 60000);
	assert_int_equal(web->restart_reset_ms, 120000);
	assert_int_equal(web->start_limit_burst, 5);
	assert_int_equal(web->start_limit_window_ms, 30000);
	assert_int_equal(web->oom_policy, OOM_POLICY_CONTINUE);
	assert_int_equal(web->stop_signal, SIGINT);
	assert_int_equal(web->stop_timeout_ms, 90000);
	assert_false(web->autostart);
	assert_true(web->readonly_rootfs);
	assert_true(web->init);
	assert_true(web->userns);
	assert_int_equal(web->uid_map.inside, 0);
	assert_int_equal(web->uid_map.outside, 200000);
	assert_int_equal(web->uid_map.count, 65536);
	assert_int_equal(web->gid_map.inside, 50);
	assert_int_equal(web->gid_map.outside, 300000);
	assert_int_equal(web->gid_map.count, 51);

	api = config_find(c, "api");
	assert_non_null(api);
	assert_int_equal(api->line, 30);
	assert_false(api->init);
	assert_false(api->userns);
	assert_int_equal(api->uid_map.count, 0);
	assert_int_equal(api->gid_map.count, 0);
	assert_string_equal(api->argv[0], "/bin/api");
	assert_string_equal(api->argv[1], "--port=8080");
	assert_true(api->has_user);
	assert_int_equal(api->uid, 0);
	assert_int_equal(api->gid, 0);

	db = config_find(c, "db");
	assert_non_null(db);
	path_of(f, "c.d/b.conf", path, sizeof(path));
	assert_string_equal(db->file, path);

	zeta = config_find(c, "zeta");
	assert_non_null(zeta);
	path_of(f, "supd.conf", path, sizeof(path));
	assert_string_equal(zeta->file, path);
	assert_int_equal(zeta->line, 17);

	assert_null(config_find(c, "nope"));
	assert_null(config_find(c, ""));
	assert_null(config_free(c));
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	struct sup_config *c;
	const struct container_config *web;

	write_file(f, "supd.conf", WEB);
	c = load_ok(f, "supd.conf");
	assert_string_equal(c->supd.state_dir, "/var/lib/sup");
	assert_string_equal(c->supd.run_dir, "/run/sup");
	assert_string_equal(c->supd.log_dir, "/var/log/sup");
	assert_string_equal(c->supd.cgroup_parent, "auto");
	assert_string_equal(c->supd.db_path, "/var/lib/sup/sup.db");
	assert_string_equal(c->supd.socket_path, "/run/sup/supd.sock");
	assert_null(c->supd.init_path);

	assert_int_equal(c->n_containers, 1);
	web = config_find(c, "web");
	assert_non_null(web);
	assert_int_equal(web->line, 1);
	assert_string_equal(web->rootfs, f->rootfs);
	assert_string_equal(web->command, "/bin/true");
	assert_null(web->workdir);
	assert_string_equal(web->hostname, "web");
	assert_non_null(web->env);
	assert_null(web->env[0]);
	assert_int_equal(web->n_env, 0);
	assert_false(web->has_user);
	assert_int_equal(web->network, NETWORK_NONE);
	assert_int_equal(web->memory_max, 0);
	assert_int_equal(web->cpu_max, 0);
	assert_int_equal(web->pids_max, 0);
	assert_int_equal(web->restart, RESTART_ON_FAILURE);
	assert_int_equal(web->restart_delay_ms, 100);
	assert_int_equal(web->restart_delay_max_ms, 30000);
	assert_int_equal(web->restart_reset_ms, 60000);
	assert_int_equal(web->start_limit_burst, 10);
	assert_int_equal(web->start_limit_window_ms, 60000);
	assert_int_equal(web->oom_policy, OOM_POLICY_KILL);
	assert_int_equal(web->stop_signal, SIGTERM);
	assert_int_equal(web->stop_timeout_ms, 10000);
	assert_true(web->autostart);
	assert_false(web->readonly_rootfs);
	assert_int_equal(web->capabilities, caps_default());
	assert_false(web->keep_capabilities);
	assert_true(web->no_new_privs);
	assert_int_equal(web->seccomp, SECCOMP_POLICY_DEFAULT);
	assert_false(web->rlimit_nofile.set);
	assert_false(web->rlimit_nproc.set);
	assert_false(web->rlimit_core.set);
	assert_false(web->init);
	assert_false(web->userns);
	assert_int_equal(web->uid_map.count, 0);
	config_free(c);

	/* userns = yes alone maps 0..65535 inside to 100000.. outside */
	write_file(f, "supd.conf", WEB "userns = yes\n");
	c = load_ok(f, "supd.conf");
	web = config_find(c, "web");
	assert_true(web->userns);
	assert_int_equal(web->uid_map.inside, 0);
	assert_int_equal(web->uid_map.outside, 100000);
	assert_int_equal(web->uid_map.count, 65536);
	assert_int_equal(web->gid_map.inside, 0);
	assert_int_equal(web->gid_map.outside, 100000);
	assert_int_equal(web->gid_map.count, 65536);
	config_free(c);

	/* a map without root inside is fine when user names a mapped id */
	write_file(f, "supd.conf", WEB "userns = yes\nuid_map = 1000 200000 1\ngid_map = 100 300000 1\nuser = 1000:100\n");
	c = load_ok(f, "supd.conf");
	assert_int_equal(config_find(c, "web")->uid_map.inside, 1000);
	config_free(c);

	/* derived paths follow state_dir and run_dir */
	write_file(f, "supd.conf", "[supd]\nstate_dir = /s\nrun_dir = /r/\n");
	c = load_ok(f, "supd.conf");
	assert_string_equal(c->supd.db_path, "/s/sup.db");
	assert_string_equal(c->supd.socket_path, "/r/supd.sock");
	assert_int_equal(c->n_containers, 0);
	assert_null(config_find(c, "web"));
	config_free(c);

	/* an empty file is a valid config */
	write_file(f, "supd.conf", "");
	c = load_ok(f, "supd.conf");
	assert_int_equal(c->n_containers, 0);
	config_free(c);
}

static void test_load_string(void **state)
{
	struct fixture *f = *state;
	struct sup_config *c = NULL;
	struct sup_err err = { 0 };
	char *text = expand(f, WEB "[container:api]\nrootfs = @ROOTFS@\ncommand = /bin/api\n");
	char name[PATH_MAX];
	int r;

	/* relative includes are relative to the directory of name */
	make_dir(f, "c.d");
	write_file(f, "c.d/x.conf", "[container:x]\nrootfs = @ROOTFS@\ncommand = x\n");
	path_of(f, "virtual.conf", name, sizeof(name));
	r = config_load_string(name, text, &c, &err);
	if (r)
		print_message("%s\n", err.msg);
	assert_int_equal(r, 0);
	assert_int_equal(c->n_containers, 2);
	assert_string_equal(c->containers[0].name, "api");
	assert_string_equal(c->containers[0].file, name);
	assert_int_equal(c->containers[0].line, 4);
	config_free(c);
	free(text);

	text = expand(f, "[supd]\ninclude = c.d/*.conf\n");
	r = config_load_string(name, text, &c, &err);
	if (r)
		print_message("%s\n", err.msg);
	assert_int_equal(r, 0);
	assert_int_equal(c->n_containers, 1);
	assert_non_null(config_find(c, "x"));
	config_free(c);
	free(text);
}

static void test_syntax_variants(void **state)
{
	struct fixture *f = *state;
	struct sup_config *c;
	const struct container_config *web;
	char *text;

	/* BOM, CRLF, blank lines, indented comments, "key: value", spaces
	 * around '=', comment after a header */
	text = expand(f, "\xEF\xBB\xBF[container:web] ; the web server\r\n"
			 "\r\n"
			 "  # indented comment\r\n"
			 "rootfs=@ROOTFS@\r\n"
			 "command   :   /bin/echo  a;b  ;comment\r\n"
			 "env = A=x;y\r\n"
			 "hostname = h ;\r\n");
	write_raw(f, "supd.conf", text, strlen(text));
	free(text);
	c = load_ok(f, "supd.conf");
	web = config_find(c, "web");
	assert_non_null(web);
	assert_string_equal(web->rootfs, f->rootfs);
	assert_string_equal(web->command, "/bin/echo  a;b");
	assert_string_equal(web->env[0], "A=x;y");
	assert_string_equal(web->hostname, "h");
	config_free(c);

	/* a section header may be indented; its first key too */
	write_file(f, "supd.conf", "  [container:web]\n  rootfs = @ROOTFS@\ncommand = /bin/true\n");
	c = load_ok(f, "supd.conf");
	assert_non_null(config_find(c, "web"));
	config_free(c);
}

/* inih (as Debian builds it) cuts lines at 198 bytes and section names at
 * 49; neither may cut a value or shift a line number. */
static void test_long_lines(void **state)
{
	struct fixture *f = *state;
	char long_arg[1001], text[8192], name[64];
	struct sup_config *c;
	const struct container_config *ctr;

	memset(long_arg, 'x', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = 0;
	memset(name, 'n', 63);
	name[63] = 0;
	snprintf(text, sizeof(text),
		 "[container:%s]\n"
		 "rootfs = @ROOTFS@\n"
		 "command = /bin/echo %s \"=:[]\" ; comment %s\n"
		 "env = LONG=%s\n"
		 "; %s = comment\n"
		 "hostname = h\n",
		 name, long_arg, long_arg, long_arg, long_arg);
	write_file(f, "supd.conf", text);
	c = load_ok(f, "supd.conf");
	ctr = config_find(c, name);
	assert_non_null(ctr);
	assert_string_equal(ctr->name, name);
	assert_string_equal(ctr->argv[1], long_arg);
	assert_string_equal(ctr->argv[2], "=:[]");
	assert_null(ctr->argv[3]);
	assert_string_equal(ctr->env[0] + strlen("LONG="), long_arg);
	assert_string_equal(ctr->hostname, "h");
	config_free(c);

	/* the line after long lines still has the right number */
	snprintf(text, sizeof(text), WEB "env = LONG=%s\n; %s\nmemory_max = 1Q\n", long_arg, long_arg);
	expect_error(f, text, 6, "[container:web] key 'memory_max'", "unknown unit 'Q'");

	/* an invalid long name is not cut to a valid one */
	snprintf(text, sizeof(text), "[container:%sn]\nrootfs = @ROOTFS@\ncommand = x\n", name);
	expect_error(f, text, 1, "invalid container name", NULL);
	snprintf(text, sizeof(text), "[container:%s]\n", long_arg);
	expect_error(f, text, 1, "invalid container name", NULL);
}

static void test_equal(void **state)
{
	struct fixture *f = *state;
	struct sup_config *a, *b;
	struct container_config copy;
	const struct container_config *wa, *wb;

	make_dir(f, "c.d");
	make_dir(f, "b");
	write_file(f, "supd.conf", full_main);
	write_file(f, "c.d/a.conf", full_a);
	a = load_ok(f, "supd.conf");
	/* the same containers in another file, at other lines */
	{
		char *text = malloc(sizeof(full_a) + 2);
		assert_non_null(text);
		snprintf(text, sizeof(full_a) + 2, "\n\n%s", full_a);
		write_file(f, "b/supd.conf", text);
		free(text);
	}
	b = load_ok(f, "b/supd.conf");
	assert_int_equal(config_find(b, "web")->line, 3);

	wa = config_find(a, "web");
	wb = config_find(b, "web");
	assert_true(container_config_equal(wa, wb));
	assert_true(container_config_equal(wa, wa));
	assert_false(container_config_equal(wa, config_find(b, "api")));

	/* each field matters */
#define DIFFERS(field, value)                                       \
	do {                                                        \
		copy = *wa;                                         \
		copy.field = value;                                 \
		if (container_config_equal(wa, &copy))              \
			print_message("change of " #field " missed\n"); \
		assert_false(container_config_equal(wa, &copy));    \
	} while (0)
	DIFFERS(name, "other");
	DIFFERS(rootfs, "/other");
	DIFFERS(command, "other");
	DIFFERS(argv, config_find(a, "api")->argv);
	DIFFERS(workdir, NULL);
	DIFFERS(hostname, "other");
	DIFFERS(env, config_find(a, "api")->env);
	DIFFERS(n_env, 3);
	DIFFERS(has_user, false);
	DIFFERS(uid, 1);
	DIFFERS(gid, 1);
	DIFFERS(network, NETWORK_NONE);
	DIFFERS(memory_max, 1);
	DIFFERS(cpu_max, 1);
	DIFFERS(pids_max, 1);
	DIFFERS(restart, RESTART_NO);
	DIFFERS(restart_delay_ms, 1);
	DIFFERS(restart_delay_max_ms, 1);
	DIFFERS(restart_reset_ms, 1);
	DIFFERS(start_limit_burst, 1);
	DIFFERS(start_limit_window_ms, 1);
	DIFFERS(oom_policy, OOM_POLICY_KILL);
	DIFFERS(stop_signal, SIGKILL);
	DIFFERS(stop_timeout_ms, 1);
	DIFFERS(autostart, true);
	DIFFERS(readonly_rootfs, false);
	DIFFERS(capabilities, 0);
	DIFFERS(keep_capabilities, true);
	DIFFERS(no_new_privs, false);
	DIFFERS(seccomp, SECCOMP_POLICY_NONE);
	DIFFERS(rlimit_nofile, ((struct config_rlimit){ true, 1, 2 }));
	DIFFERS(rlimit_nproc, ((struct config_rlimit){ true, 1, 2 }));
	DIFFERS(rlimit_core, ((struct config_rlimit){ true, 1, 2 }));
	DIFFERS(init, false);
	DIFFERS(userns, false);
	DIFFERS(uid_map.inside, 1);
	DIFFERS(uid_map.outside, 1);
	DIFFERS(uid_map.count, 1);
	DIFFERS(gid_map.inside, 1);
	DIFFERS(gid_map.outside, 1);
	DIFFERS(gid_map.count, 1);
#undef DIFFERS
	/* ... but not where it was defined */
	copy = *wa;
	copy.file = "elsewhere";
	copy.line = 99;
	assert_true(container_config_equal(wa, &copy));

	config_free(a);
	config_free(b);
}

static void test_lockdown_keys(void **state)
{
	struct fixture *f = *state;
	struct sup_config *c;
	const struct container_config *web;

	write_file(f, "supd.conf",
		   WEB "capabilities = -ALL +NET_BIND_SERVICE, CAP_KILL\nkeep_capabilities = yes\n"
		       "no_new_privs = no\nseccomp = no\nrlimit_nofile = 1024:4096\nrlimit_nproc = unlimited\n"
		       "rlimit_core = 0\n");
	c = load_ok(f, "supd.conf");
	web = config_find(c, "web");
	assert_int_equal(web->capabilities, CAP_MASK(10) | CAP_MASK(5)); /* NET_BIND_SERVICE, KILL */
	assert_true(web->keep_capabilities);
	assert_false(web->no_new_privs);
	assert_int_equal(web->seccomp, SECCOMP_POLICY_NONE);
	assert_true(web->rlimit_nofile.set);
	assert_int_equal(web->rlimit_nofile.soft, 1024);
	assert_int_equal(web->rlimit_nofile.hard, 4096);
	assert_true(web->rlimit_nproc.set);
	assert_int_equal(web->rlimit_nproc.soft, RLIMIT_VALUE_UNLIMITED);
	assert_true(web->rlimit_core.set);
	assert_int_equal(web->rlimit_core.hard, 0);
	config_free(c);

	write_file(f, "supd.conf", WEB "seccomp = default\n");
	c = load_ok(f, "supd.conf");
	assert_int_equal(config_find(c, "web")->seccomp, SECCOMP_POLICY_DEFAULT);
	config_free(c);
	write_file(f, "supd.conf", WEB "seccomp = yes\nrlimit_core = 64M\n");
	c = load_ok(f, "supd.conf");
	assert_int_equal(config_find(c, "web")->seccomp, SECCOMP_POLICY_DEFAULT);
	assert_int_equal(config_find(c, "web")->rlimit_core.soft, 64 << 20);
	config_free(c);

	expect_error(f, WEB "capabilities = +NET_ADMN\n", 4, "[container:web] key 'capabilities'",
		     "invalid capability list '+NET_ADMN': unknown capability 'NET_ADMN'");
	expect_error(f, WEB "\ncapabilities = CHOWN +\n", 5, "key 'capabilities'", "expected a capability name");
	expect_error(f, WEB "seccomp = strict\n", 4, "key 'seccomp'", "expected default, yes or no");
	expect_error(f, WEB "no_new_privs = maybe\n", 4, "key 'no_new_privs'", "invalid boolean");
	expect_error(f, WEB "rlimit_nofile = 10:5\n", 4, "key 'rlimit_nofile'",
		     "invalid limit '10:5': soft limit above the hard limit");
	expect_error(f, WEB "rlimit_nproc = 1K\n", 4, "key 'rlimit_nproc'", "expected a number or 'unlimited'");
	expect_error(f, WEB "rlimit_core = 1Q\n", 4, "key 'rlimit_core'", "unknown unit 'Q'");
	expect_error(f, WEB "rlimit_core = 1\nrlimit_core = 2\n", 5, "key 'rlimit_core'", "set twice");
}

static void test_to_string(void **state)
{
	(void)state;
	assert_string_equal(restart_policy_to_string(RESTART_NO), "no");
	assert_string_equal(restart_policy_to_string(RESTART_ON_FAILURE), "on-failure");
	assert_string_equal(restart_policy_to_string(RESTART_ALWAYS), "always");
	assert_null(restart_policy_to_string(_RESTART_POLICY_MAX));
	assert_null(restart_policy_to_string((enum restart_policy) - 1));
	assert_string_equal(oom_policy_to_string(OOM_POLICY_KILL), "kill");
	assert_string_equal(oom_policy_to_string(OOM_POLICY_CONTINUE), "continue");
	assert_null(oom_policy_to_string(_OOM_POLICY_MAX));
	assert_string_equal(network_mode_to_string(NETWORK_NONE), "none");
	assert_string_equal(network_mode_to_string(NETWORK_HOST), "host");
	assert_null(network_mode_to_string(_NETWORK_MODE_MAX));
	assert_string_equal(seccomp_policy_to_string(SECCOMP_POLICY_DEFAULT), "default");
	assert_string_equal(seccomp_policy_to_string(SECCOMP_POLICY_NONE), "no");
	assert_null(seccomp_policy_to_string(_SECCOMP_POLICY_MAX));
	assert_null(config_free(NULL));
	assert_null(config_find(NULL, "x"));
}

/* ---- errors: exact format ---- */

static void test_error_format(void **state)
{
	struct fixture *f = *state;

	expect_message(f, WEB "memory_max = 64X\n",
		       "@DIR@/bad.conf:4: [container:web] key 'memory_max': invalid size '64X': unknown unit 'X'");
	expect_message(f, "[container:web]\ncommand = x\n",
		       "@DIR@/bad.conf:1: [container:web]: missing required key 'rootfs'");
	expect_message(f, "[container:web]\nrootfs = @NOTDIR@\n",
		       "@DIR@/bad.conf:2: [container:web] key 'rootfs': rootfs '@NOTDIR@' is not a directory");
	expect_message(f, "[container:web\n",
		       "@DIR@/bad.conf:1: syntax error: section header without closing ']'");
	expect_message(f, WEB WEB,
		       "@DIR@/bad.conf:4: [container:web]: duplicate container 'web' (first defined at "
		       "@DIR@/bad.conf:1)");
}

/* ---- errors: keys and values ---- */

static void test_error_unknown(void **state)
{
	struct fixture *f = *state;

	expect_error(f, WEB "foo = 1\n", 4, "[container:web] key 'foo'", "unknown key");
	expect_error(f, WEB "Rootfs = /\n", 4, "key 'Rootfs'", "unknown key");
	expect_error(f, "[supd]\nrootfs = /\n", 2, "[supd] key 'rootfs'", "belongs in a [container:NAME] section");
	expect_error(f, WEB "state_dir = /x\n", 4, "[container:web] key 'state_dir'", "belongs in [supd]");
	expect_error(f, WEB "\n[server]\nport = 1\n", 5, "[server]:", "unknown section");
	expect_error(f, "[Container:web]\n", 1, "[Container:web]:", "unknown section");
	expect_error(f, "[ supd ]\n", 1, "[ supd ]:", "unknown section");
	expect_error(f, "[]\n", 1, "[]:", "unknown section");
	expect_error(f, "rootfs = /\n" WEB, 1, "key 'rootfs'", "outside of any section");
}

static void test_error_values(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *line, *what, *why;
	} cases[] = {
		{ "memory_max = 64X", "key 'memory_max'", "invalid size '64X': unknown unit 'X'" },
		{ "memory_max = -1", "key 'memory_max'", "invalid size '-1': must not be negative" },
		{ "memory_max = 99999999T", "key 'memory_max'", "too large" },
		{ "cpu_max = 0", "key 'cpu_max'", "invalid CPU count '0': must be greater than 0" },
		{ "cpu_max = -1", "key 'cpu_max'", "greater than 0" },
		{ "cpu_max = lots", "key 'cpu_max'", "not a number" },
		{ "pids_max = many", "key 'pids_max'", "invalid number 'many'" },
		{ "pids_max = -5", "key 'pids_max'", "must not be negative" },
		{ "pids_max = 4294967296", "key 'pids_max'", "too large" },
		{ "pids_max = 12abc", "key 'pids_max'", "not a number" },
		{ "restart_delay = 10x", "key 'restart_delay'", "invalid duration '10x': unknown unit 'x'" },
		{ "restart_reset = forever", "key 'restart_reset'", "invalid duration" },
		{ "stop_timeout = 1.5s", "key 'stop_timeout'", "fractions" },
		{ "restart_delay_max = 1h30", "key 'restart_delay_max'", "without a unit" },
		{ "stop_signal = FOO", "key 'stop_signal'", "invalid signal 'FOO': unknown signal name" },
		{ "stop_signal = 0", "key 'stop_signal'", "invalid signal '0'" },
		{ "autostart = maybe", "key 'autostart'", "invalid boolean 'maybe'" },
		{ "readonly_rootfs = 2", "key 'readonly_rootfs'", "invalid boolean '2'" },
		{ "init = tini", "key 'init'", "invalid boolean 'tini'" },
		{ "userns = maybe", "key 'userns'", "invalid boolean 'maybe'" },
		{ "uid_map = 0 100000", "key 'uid_map'", "invalid ID map '0 100000': expected three numbers: INSIDE OUTSIDE COUNT" },
		{ "uid_map = 0 100000 65536 1", "key 'uid_map'", "expected three numbers" },
		{ "uid_map = 0,100000,65536", "key 'uid_map'", "expected three numbers" },
		{ "uid_map = a b c", "key 'uid_map'", "expected three numbers" },
		{ "uid_map = 0 -1 10", "key 'uid_map'", "expected three numbers" },
		{ "gid_map = 0 100000 0", "key 'gid_map'", "COUNT must be at least 1" },
		{ "gid_map = 0 4294967295 1", "key 'gid_map'", "OUTSIDE out of range" },
		{ "gid_map = 4294967294 100000 2", "key 'gid_map'", "the inside range goes past 4294967294" },
		{ "uid_map = 0 4294967000 1000", "key 'uid_map'", "the outside range goes past 4294967294" },
		{ "uid_map = 0 0 65536", "key 'uid_map'", "maps the host's root (outside id 0) into the container" },
		{ "init_path = /x", "key 'init_path'", "unknown key (it belongs in [supd])" },
		{ "restart = sometimes", "key 'restart'", "invalid value 'sometimes' (expected no, on-failure or always)" },
		{ "restart = On-Failure", "key 'restart'", "invalid value 'On-Failure'" },
		{ "network = bridge", "key 'network'", "invalid value 'bridge' (expected none or host)" },
		{ "oom_policy = ignore", "key 'oom_policy'", "invalid value 'ignore' (expected kill or continue)" },
		{ "start_limit = 10", "key 'start_limit'", "invalid start limit '10': expected BURST/WINDOW" },
		{ "start_limit = 0/60s", "key 'start_limit'", "at least 1" },
		{ "start_limit = 10/0s", "key 'start_limit'", "longer than 0" },
		{ "user = nobody", "key 'user'", "invalid user 'nobody'" },
		{ "user = 1000:staff", "key 'user'", "invalid user '1000:staff'" },
		{ "env = NOEQUALS", "key 'env'", "invalid environment variable 'NOEQUALS'" },
		{ "env = =value", "key 'env'", "invalid environment variable '=value'" },
		{ "env = 1A=x", "key 'env'", "invalid environment variable '1A=x'" },
		{ "env = A-B=x", "key 'env'", "invalid environment variable 'A-B=x'" },
		{ "hostname = a b", "key 'hostname'", "invalid hostname 'a b'" },
		{ "hostname = a/b", "key 'hostname'", "invalid hostname" },
		{ "hostname = "
		  "h2345678901234567890123456789012345678901234567890123456789012345",
		  "key 'hostname'", "invalid hostname" },
		{ "workdir = srv", "key 'workdir'", "'srv' is not an absolute path" },
	};
	char text[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), WEB "%s\n", cases[i].line);
		expect_error(f, text, 4, cases[i].what, cases[i].why);
		/* the section is named too */
		expect_error(f, text, 4, "[container:web] key '", NULL);
	}
}

/* Checks that need the whole section: maps without userns, and the ids the
 * command runs as must be mapped. */
static void test_error_userns(void **state)
{
	struct fixture *f = *state;

	expect_error(f, WEB "uid_map = 0 100000 65536\n", 4, "[container:web] key 'uid_map'",
		     "takes effect only with 'userns = yes'");
	expect_error(f, WEB "gid_map = 0 100000 65536\nuserns = no\n", 4, "key 'gid_map'",
		     "takes effect only with 'userns = yes'");
	expect_error(f, WEB "userns = yes\nuid_map = 1 100000 10\n", 5, "key 'uid_map'",
		     "does not map uid 0, which the command runs as without 'user'");
	expect_error(f, WEB "userns = yes\ngid_map = 1 100000 10\n", 5, "key 'gid_map'", "does not map gid 0");
	expect_error(f, WEB "user = 70000\nuserns = yes\n", 4, "key 'user'",
		     "uid 70000 is not mapped by uid_map (0 100000 65536)");
	expect_error(f, WEB "userns = yes\nuser = 5:99\ngid_map = 0 100000 99\n", 5, "key 'user'",
		     "gid 99 is not mapped by gid_map (0 100000 99)");
}

static void test_error_command(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[container:web]\nrootfs = @ROOTFS@\ncommand = /bin/sh -c \"echo hi\n", 3,
		     "[container:web] key 'command'", "unterminated quote");
	expect_error(f, "[container:web]\nrootfs = @ROOTFS@\ncommand = /bin/echo 'hi\n", 3, "key 'command'",
		     "unterminated quote");
	expect_error(f, "[container:web]\nrootfs = @ROOTFS@\ncommand = /bin/echo hi\\\n", 3, "key 'command'",
		     "trailing backslash");
	expect_error(f, "[container:web]\nrootfs = @ROOTFS@\ncommand = ''\n", 3, "key 'command'",
		     "empty program name");
	/* an inline comment cuts the quoted string: still caught */
	expect_error(f, "[container:web]\nrootfs = @ROOTFS@\ncommand = sh -c 'a ; b'\n", 3, "key 'command'",
		     "unterminated quote");
}

static void test_error_rootfs(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[container:web]\ncommand = x\nrootfs = @DIR@/missing\n", 3, "[container:web] key 'rootfs'",
		     "No such file or directory");
	expect_error(f, "[container:web]\ncommand = x\nrootfs = @NOTDIR@\n", 3, "key 'rootfs'",
		     "is not a directory");
	expect_error(f, "[container:web]\ncommand = x\nrootfs = @NOTDIR@/x\n", 3, "key 'rootfs'",
		     "Not a directory");
	expect_error(f, "[container:web]\ncommand = x\nrootfs = rootfs\n", 3, "key 'rootfs'",
		     "rootfs 'rootfs' is not an absolute path");
}

static void test_error_missing(void **state)
{
	struct fixture *f = *state;

	/* reported at the header, whether the section ends at EOF ... */
	expect_error(f, "[container:web]\ncommand = x\n", 1, "[container:web]:", "missing required key 'rootfs'");
	expect_error(f, "\n\n[container:web]\nrootfs = @ROOTFS@\n", 3, "[container:web]:",
		     "missing required key 'command'");
	/* ... or at the next header */
	expect_error(f, "[container:web]\nrootfs = @ROOTFS@\n\n[container:api]\n" "rootfs = @ROOTFS@\ncommand = x\n", 1,
		     "[container:web]:", "missing required key 'command'");
	expect_error(f, "[container:web]\n[supd]\n", 1, "[container:web]:", "missing required key 'rootfs'");
}

static void test_error_duplicates(void **state)
{
	struct fixture *f = *state;

	expect_error(f, WEB "memory_max = 1M\nmemory_max = 2M\n", 5, "[container:web] key 'memory_max'",
		     "set twice (first at line 4)");
	expect_error(f, WEB "rootfs = @ROOTFS@\n", 4, "key 'rootfs'", "set twice (first at line 2)");
	expect_error(f, "[supd]\nstate_dir = /a\nstate_dir = /b\n", 3, "[supd] key 'state_dir'",
		     "set twice (first at line 2)");
	expect_error(f, "[supd]\n[supd]\n", 2, "[supd]:", "section appears twice (first at line 1)");
	expect_error(f, WEB "env = A=1\nenv = B=2\nenv = A=3\n", 6, "key 'env'", "variable 'A' is set twice");
	expect_error(f, WEB "\n" WEB, 5, "[container:web]:", "duplicate container 'web' (first defined at ");
}

/* Many containers: each found again after the sort, and a duplicate of one
 * in the middle named with the line of its first definition (the names are
 * hashed while parsing; the table grows many times on the way). */
static void test_many_containers(void **state)
{
	enum { N = 3000, DUP = 1234, LINES = 4 };
	struct fixture *f = *state;
	struct sup_config *c = NULL;
	struct sup_err err = { 0 };
	size_t size = N * (64 + strlen(f->rootfs)) + 64, len = 0;
	char *text = malloc(size), why[64], name[16];

	assert_non_null(text);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, size - len, "[container:c%04d]\nrootfs = %s\ncommand = /bin/true\n\n", i,
					f->rootfs);
	assert_int_equal(config_load_string("many.conf", text, &c, &err), 0);
	assert_int_equal(c->n_containers, N);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "c%04d", i);
		assert_non_null(config_find(c, name));
		assert_int_equal(config_find(c, name)->line, i * LINES + 1);
	}
	config_free(c);

	snprintf(text + len, size - len, "[container:c%04d]\n", DUP);
	snprintf(why, sizeof(why), "bad.conf:%d)", DUP * LINES + 1);
	expect_error(f, text, N * LINES + 1, "duplicate container 'c1234' (first defined at ", why);
	free(text);
}

static void test_error_names(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"../x", "", ".hidden", "a/b", "-x", "a b", "web:1",
		"a234567890123456789012345678901234567890123456789012345678901234", /* 64 */
	};
	char text[512], what[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[container:%s]\nrootfs = @ROOTFS@\ncommand = x\n", bad[i]);
		snprintf(what, sizeof(what), "[container:%s]: invalid container name '%s'", bad[i], bad[i]);
		expect_error(f, text, 1, what, NULL);
	}
}

static void test_error_empty_values(void **state)
{
	struct fixture *f = *state;
	static const char *const keys[] = {
		"rootfs", "command", "workdir", "hostname", "env", "user", "network", "memory_max", "cpu_max",
		"pids_max", "restart", "restart_delay", "restart_delay_max", "restart_reset", "start_limit",
		"oom_policy", "stop_signal", "stop_timeout", "autostart", "readonly_rootfs",
	};
	static const char *const supd_keys[] = {
		"state_dir", "run_dir", "log_dir", "cgroup_parent", "db", "socket", "include",
	};
	char text[256], what[128];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "[container:web]\n%s =\n", keys[i]);
		snprintf(what, sizeof(what), "[container:web] key '%s'", keys[i]);
		expect_error(f, text, 2, what, "empty value");
	}
	for (size_t i = 0; i < sizeof(supd_keys) / sizeof(supd_keys[0]); i++) {
		snprintf(text, sizeof(text), "[supd]\n%s =    ; nothing\n", supd_keys[i]);
		snprintf(what, sizeof(what), "[supd] key '%s'", supd_keys[i]);
		expect_error(f, text, 2, what, "empty value");
	}
}

static void test_error_restart_delay(void **state)
{
	struct fixture *f = *state;

	expect_error(f, WEB "restart_delay = 10s\nrestart_delay_max = 5s\n", 5, "key 'restart_delay_max'",
		     "5000ms is shorter than restart_delay (10000ms)");
	expect_error(f, WEB "restart_delay_max = 5s\nrestart_delay = 10s\n", 4, "key 'restart_delay_max'",
		     "shorter than restart_delay");
	/* only restart_delay set: the default max (30s) is too short */
	expect_error(f, WEB "restart_delay = 1m\n", 4, "key 'restart_delay'",
		     "60000ms is longer than restart_delay_max (30000ms)");
	/* equal is fine */
	write_file(f, "ok.conf", WEB "restart_delay = 30s\n");
	config_free(load_ok(f, "ok.conf"));
}

static void test_error_supd(void **state)
{
	struct fixture *f = *state;
	char text[512], longdir[200];

	expect_error(f, "[supd]\nstate_dir = var/lib/sup\n", 2, "[supd] key 'state_dir'", "not an absolute path");
	expect_error(f, "[supd]\nrun_dir = run\n", 2, "key 'run_dir'", "not an absolute path");
	expect_error(f, "[supd]\nlog_dir = ./log\n", 2, "key 'log_dir'", "not an absolute path");
	expect_error(f, "[supd]\ndb = sup.db\n", 2, "key 'db'", "not an absolute path");
	expect_error(f, "[supd]\nsocket = s.sock\n", 2, "key 'socket'", "not an absolute path");
	expect_error(f, "[supd]\ninit_path = sup-init\n", 2, "key 'init_path'", "not an absolute path");
	expect_error(f, "[supd]\ncgroup_parent = ../escape\n", 2, "key 'cgroup_parent'",
		     "'../escape' is neither 'auto', an absolute cgroup path, nor a group");
	expect_error(f, "[supd]\ncgroup_parent = a//b\n", 2, "key 'cgroup_parent'", "neither 'auto'");
	expect_error(f, "[supd]\ncgroup_parent = a b\n", 2, "key 'cgroup_parent'", "neither 'auto'");

	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = 0;
	snprintf(text, sizeof(text), "[supd]\nsocket = /%s\n", longdir);
	expect_error(f, text, 2, "key 'socket'", "too long for a unix socket");
	/* the default socket under a long run_dir */
	snprintf(text, sizeof(text), "[supd]\nlog_dir = /l\nrun_dir = /%.100s\n", longdir);
	expect_error(f, text, 3, "[supd] key 'run_dir'", "set 'socket'");
	/* ... unless socket is set */
	snprintf(text, sizeof(text), "[supd]\nrun_dir = /%.100s\nsocket = /s.sock\n", longdir);
	write_file(f, "ok.conf", text);
	config_free(load_ok(f, "ok.conf"));
}

/* [supd] events_keep: a duration, 30 days unless set, 0 = keep forever. */
static void test_events_keep(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *value;
		uint64_t ms;
	} good[] = {
		{ "7d", 7ULL * 24 * 3600 * 1000 },
		{ "1d12h", 36ULL * 3600 * 1000 },
		{ "90m", 90ULL * 60 * 1000 },
		{ "3600", 3600ULL * 1000 }, /* bare number: seconds */
		{ "0", 0 },
		{ "0d", 0 },
	};
	struct sup_config *c;
	char text[256];

	write_file(f, "supd.conf", WEB);
	c = load_ok(f, "supd.conf");
	assert_int_equal(c->supd.events_keep_ms, 30ULL * 24 * 3600 * 1000);
	config_free(c);

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[supd]\nevents_keep = %s\n", good[i].value);
		write_file(f, "supd.conf", text);
		c = load_ok(f, "supd.conf");
		if (c->supd.events_keep_ms != good[i].ms)
			print_message("events_keep = %s\n", good[i].value);
		assert_int_equal(c->supd.events_keep_ms, good[i].ms);
		config_free(c);
	}

	expect_error(f, "[supd]\nstate_dir = /s\nevents_keep = forever\n", 3, "[supd] key 'events_keep'",
		     "invalid duration 'forever'");
	expect_message(f, "[supd]\nevents_keep = 30x\n",
		       "@DIR@/bad.conf:2: [supd] key 'events_keep': invalid duration '30x': unknown unit 'x'");
	expect_error(f, "[supd]\nevents_keep = -1d\n", 2, "key 'events_keep'", "negative");
	expect_error(f, "[supd]\nevents_keep = 1.5d\n", 2, "key 'events_keep'", "fractions");
	expect_error(f, "[supd]\nevents_keep = 30\nevents_keep = 7d\n", 3, "key 'events_keep'",
		     "set twice (first at line 2)");
	expect_error(f, WEB "events_keep = 7d\n", 4, "[container:web] key 'events_keep'", "belongs in [supd]");
}

static void test_error_syntax(void **state)
{
	struct fixture *f = *state;

	expect_error(f, WEB "[container:api\n", 4, NULL, "syntax error: section header without closing ']'");
	expect_error(f, WEB "memory_max 64M\n", 4, NULL, "syntax error: expected '[section]', 'key = value'");
	expect_error(f, WEB "just words\n", 4, NULL, "syntax error");
	/* the syntax error wins over a later error ... */
	expect_error(f, "[container:web]\nrootfs @ROOTFS@\ncommand = x\n", 2, NULL, "syntax error");
	/* ... and over an earlier section's problem found later */
	expect_error(f, "[container:web]\ncommand = x\nbroken line\n[container:api]\n", 3, NULL, "syntax error");
	/* what inih would take as a continuation */
	expect_error(f, WEB "  memory_max = 1M\n", 4, NULL, "continuation lines are not supported");
	expect_error(f, WEB "\n\t[container:api]\n", 5, NULL, "remove the indentation");
	expect_error(f, "[container:web] extra\n", 1, NULL, "unexpected text after ']'");
	/* a NUL byte */
	write_raw(f, "bad.conf", "[container:web]\nrootfs = /\0\n", 28);
	expect_error_in(f, "bad.conf", "bad.conf", 2, NULL, "NUL byte");
}

/* ---- errors: files and includes ---- */

static void test_error_files(void **state)
{
	struct fixture *f = *state;
	struct sup_config *c = BAD_SENTINEL;
	struct sup_err err = { 0 };
	char path[PATH_MAX];

	path_of(f, "missing.conf", path, sizeof(path));
	assert_int_equal(config_load(path, &c, &err), -ENOENT);
	assert_ptr_equal(c, BAD_SENTINEL);
	assert_contains(err.msg, path);
	assert_contains(err.msg, "No such file or directory");

	assert_int_equal(config_load(f->dir, &c, &err), -EISDIR);
	assert_contains(err.msg, f->dir);
	assert_ptr_equal(c, BAD_SENTINEL);

	/* a FIFO must neither block nor be read */
	path_of(f, "fifo.conf", path, sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(config_load(path, &c, &err), -EINVAL);
	assert_contains(err.msg, path);
	assert_contains(err.msg, "not a regular file");
	assert_ptr_equal(c, BAD_SENTINEL);
}

static void test_error_includes(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	make_dir(f, "c.d");
	write_file(f, "supd.conf",
		   "[supd]\n"
		   "include = c.d/*.conf\n"
		   "\n"
		   "[container:web]\nrootfs = @ROOTFS@\ncommand = x\n");

	/* error in an included file: that file's name and line */
	write_file(f, "c.d/a.conf", "# a\n[container:a]\nrootfs = @ROOTFS@\ncommand = x\nmemory_max = 1X\n");
	expect_error_in(f, "supd.conf", "c.d/a.conf", 5, "[container:a] key 'memory_max'", "unknown unit 'X'");

	/* [supd] only in the main file */
	write_file(f, "c.d/a.conf", "[supd]\nstate_dir = /x\n");
	expect_error_in(f, "supd.conf", "c.d/a.conf", 1, "[supd]:", "only allowed in the main config file");

	/* keys outside a section in an included file */
	write_file(f, "c.d/a.conf", "rootfs = /\n");
	expect_error_in(f, "supd.conf", "c.d/a.conf", 1, "key 'rootfs'", "outside of any section");

	/* a section left incomplete at the end of an included file */
	write_file(f, "c.d/a.conf", "[container:a]\nrootfs = @ROOTFS@\n");
	expect_error_in(f, "supd.conf", "c.d/a.conf", 1, "[container:a]:", "missing required key 'command'");

	/* duplicate across files: the second one, pointing at the first */
	write_file(f, "c.d/a.conf", "\n[container:web]\nrootfs = @ROOTFS@\ncommand = x\n");
	expect_error_in(f, "supd.conf", "c.d/a.conf", 2, "[container:web]: duplicate container 'web'", NULL);
	{
		char first[PATH_MAX + 32];
		snprintf(first, sizeof(first), "(first defined at %s/supd.conf:4)", f->dir);
		expect_error_in(f, "supd.conf", "c.d/a.conf", 2, NULL, first);
	}

	/* duplicate between two included files */
	write_file(f, "c.d/a.conf", "[container:dup]\nrootfs = @ROOTFS@\ncommand = x\n");
	write_file(f, "c.d/b.conf", "\n\n[container:dup]\nrootfs = @ROOTFS@\ncommand = x\n");
	expect_error_in(f, "supd.conf", "c.d/b.conf", 3, "duplicate container 'dup'", "c.d/a.conf:1)");

	/* syntax error in an included file */
	write_file(f, "c.d/b.conf", "[container:b]\nnonsense\n");
	expect_error_in(f, "supd.conf", "c.d/b.conf", 2, NULL, "syntax error");

	/* a match that is a directory: reported at the include line */
	write_file(f, "c.d/b.conf", "");
	make_dir(f, "c.d/dir.conf");
	expect_error_in(f, "supd.conf", "supd.conf", 2, "[supd] key 'include'", "Is a directory");

	/* a FIFO (open() would block without O_NONBLOCK) */
	path_of(f, "c.d/dir.conf", path, sizeof(path));
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_error_in(f, "supd.conf", "supd.conf", 2, "[supd] key 'include'", "not a regular file");
}

/* Root reads anything, so as root the unreadable-file checks run with the
 * effective ids of nobody (the saved uid stays 0 to come back). */
static void effective_nobody(bool on)
{
	if (getuid() != 0)
		return;
	if (on) {
		assert_int_equal(setresgid((gid_t)-1, 65534, (gid_t)-1), 0);
		assert_int_equal(setresuid((uid_t)-1, 65534, (uid_t)-1), 0);
	} else {
		assert_int_equal(setresuid((uid_t)-1, 0, (uid_t)-1), 0);
		assert_int_equal(setresgid((gid_t)-1, 0, (gid_t)-1), 0);
	}
}

static void test_error_include_unreadable(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	/* nobody must reach the fixture to find the one unreadable file */
	assert_int_equal(chmod(f->dir, 0755), 0);
	make_dir(f, "c.d");
	write_file(f, "supd.conf", "[supd]\ninclude = c.d/*.conf\n");
	write_file(f, "c.d/a.conf", "");
	path_of(f, "c.d/a.conf", path, sizeof(path));
	assert_int_equal(chmod(path, 0), 0);
	effective_nobody(true);
	expect_error_in(f, "supd.conf", "supd.conf", 2, "[supd] key 'include'", "Permission denied");
	effective_nobody(false);

	/* an unreadable directory in the pattern is an error, not "no match" */
	assert_int_equal(chmod(path, 0644), 0);
	write_file(f, "supd.conf", "[supd]\ninclude = c.d/*/*.conf\n");
	make_dir(f, "c.d/sub");
	path_of(f, "c.d/sub", path, sizeof(path));
	assert_int_equal(chmod(path, 0), 0);
	effective_nobody(true);
	expect_error_in(f, "supd.conf", "supd.conf", 2, "[supd] key 'include'", "cannot read");
	effective_nobody(false);
	assert_int_equal(chmod(path, 0755), 0);
}

static void test_control_group(void **state)
{
	struct fixture *f = *state;
	struct sup_config *c;

	write_file(f, "supd.conf", "[supd]\n");
	c = load_ok(f, "supd.conf");
	assert_null(c->supd.control_group);
	config_free(c);

	/* By name (root is in every /etc/group) and by number, existing or not. */
	write_file(f, "supd.conf", "[supd]\ncontrol_group = root\n");
	c = load_ok(f, "supd.conf");
	assert_string_equal(c->supd.control_group, "root");
	assert_int_equal(c->supd.control_gid, 0);
	config_free(c);
	write_file(f, "supd.conf", "[supd]\ncontrol_group = 4242\n");
	c = load_ok(f, "supd.conf");
	assert_string_equal(c->supd.control_group, "4242");
	assert_int_equal(c->supd.control_gid, 4242);
	config_free(c);

	expect_error(f, "[supd]\ncontrol_group = no-such-group-here\n", 2, "[supd] key 'control_group'",
		     "no group named 'no-such-group-here'");
	expect_error(f, "[supd]\ncontrol_group = 4294967295\n", 2, "[supd] key 'control_group'",
		     "invalid group number");
	expect_error(f, "[supd]\ncontrol_group = root\ncontrol_group = root\n", 3, "control_group", NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_full_config),
		T(test_defaults),
		T(test_load_string),
		T(test_syntax_variants),
		T(test_long_lines),
		T(test_equal),
		T(test_lockdown_keys),
		T(test_to_string),
		T(test_error_format),
		T(test_error_unknown),
		T(test_error_values),
		T(test_error_userns),
		T(test_error_command),
		T(test_error_rootfs),
		T(test_error_missing),
		T(test_error_duplicates),
		T(test_many_containers),
		T(test_error_names),
		T(test_error_empty_values),
		T(test_error_restart_delay),
		T(test_error_supd),
		T(test_events_keep),
		T(test_error_syntax),
		T(test_error_files),
		T(test_error_includes),
		T(test_error_include_unreadable),
		T(test_control_group),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
