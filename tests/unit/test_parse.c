/* test_parse.c - every parser of parse.h with good and bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* Fails with both the input and the reason, not just "-22 != 0". */
#define assert_parses(call, input)                                                        \
	do {                                                                              \
		const char *_why = NULL;                                                  \
		int _r = (call);                                                          \
		if (_r != 0)                                                              \
			print_message("input '%s': r=%d why='%s'\n", (input), _r,         \
				      _why ? _why : "(null)");                            \
		assert_int_equal(_r, 0);                                                  \
	} while (0)

static void check_why(const char *input, int r, int expected_r, const char *why, const char *expected_why)
{
	if (r != expected_r || !why || !strstr(why, expected_why))
		print_message("input '%s': r=%d (expected %d) why='%s' (expected to contain '%s')\n", input, r,
			      expected_r, why ? why : "(null)", expected_why);
	assert_int_equal(r, expected_r);
	assert_non_null(why);
	assert_non_null(strstr(why, expected_why));
}

/* ---- sizes ---- */

static void test_size_good(void **state)
{
	static const struct {
		const char *in;
		uint64_t out;
	} cases[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "1B", 1 },
		{ "512K", 512 * 1024ULL },
		{ "512KiB", 512 * 1024ULL },
		{ "512KB", 512 * 1024ULL },
		{ "512k", 512 * 1024ULL },
		{ "64M", 64ULL << 20 },
		{ "64 M", 64ULL << 20 },
		{ "64MiB", 64ULL << 20 },
		{ "1G", 1ULL << 30 },
		{ "1g", 1ULL << 30 },
		{ "2T", 2ULL << 40 },
		{ "16777215T", 16777215ULL << 40 },
		{ "18446744073709551615", UINT64_MAX },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 1234;
		assert_parses(parse_size(cases[i].in, &v, &_why), cases[i].in);
		assert_int_equal(v, cases[i].out);
	}
}

static void test_size_bad(void **state)
{
	static const struct {
		const char *in;
		int r;
		const char *why;
	} cases[] = {
		{ "", -EINVAL, "empty" },
		{ "64X", -EINVAL, "unknown unit 'X'" },
		{ "64MX", -EINVAL, "unknown unit 'MX'" },
		{ "M", -EINVAL, "not a number" },
		{ "-1", -EINVAL, "negative" },
		{ " 1", -EINVAL, "not a number" },
		{ "1.5G", -EINVAL, "fractions" },
		{ "0x10", -EINVAL, "unknown unit 'x10'" },
		{ "16777216T", -ERANGE, "too large" },
		{ "18446744073709551616", -ERANGE, "too large" },
		{ "99999999999999999999999", -ERANGE, "too large" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 1234;
		const char *why = NULL;
		int r = parse_size(cases[i].in, &v, &why);
		check_why(cases[i].in, r, cases[i].r, why, cases[i].why);
		assert_int_equal(v, 1234); /* untouched on failure */
	}
}

/* ---- durations ---- */

static void test_duration_good(void **state)
{
	static const struct {
		const char *in;
		uint64_t ms;
	} cases[] = {
		{ "0", 0 },
		{ "10", 10000 },
		{ "100ms", 100 },
		{ "10s", 10000 },
		{ "5m", 300000 },
		{ "1h", 3600000 },
		{ "1h30m", 5400000 },
		{ "1h 30m", 5400000 },
		{ "1m30s500ms", 90500 },
		{ "0ms", 0 },
		{ "2 s", 2000 },
		{ "1d", 86400000 },
		{ "30d", 30ULL * 86400000 },
		{ "1d12h", 129600000 },
		{ "0d", 0 },
		{ "213503982334d", 213503982334ULL * 86400000 }, /* the largest whole number of days */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 1234;
		assert_parses(parse_duration_ms(cases[i].in, &v, &_why), cases[i].in);
		assert_int_equal(v, cases[i].ms);
	}
}

static void test_duration_bad(void **state)
{
	static const struct {
		const char *in;
		int r;
		const char *why;
	} cases[] = {
		{ "", -EINVAL, "empty" },
		{ "10x", -EINVAL, "unknown unit 'x'" },
		{ "10sec", -EINVAL, "unknown unit 'sec'" },
		{ "1h30", -EINVAL, "without a unit (ms, s, m, h or d)" },
		{ "2w", -EINVAL, "unknown unit 'w'" }, /* days are the largest unit */
		{ "1D", -EINVAL, "unknown unit 'D'" },
		{ "213503982335d", -ERANGE, "too large" },
		{ "s", -EINVAL, "not a number" },
		{ "-5s", -EINVAL, "negative" },
		{ "1.5s", -EINVAL, "fractions" },
		{ "1h-", -EINVAL, "expected a number" },
		{ "18446744073709551615", -ERANGE, "too large" },
		{ "5124095576030431h", -ERANGE, "too large" },
		{ "18446744073709551615ms1ms", -ERANGE, "too large" },
		{ "99999999999999999999999ms", -ERANGE, "too large" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 1234;
		const char *why = NULL;
		int r = parse_duration_ms(cases[i].in, &v, &why);
		check_why(cases[i].in, r, cases[i].r, why, cases[i].why);
		assert_int_equal(v, 1234);
	}
}

/* ---- signals ---- */

static void test_signal_good(void **state)
{
	static const struct {
		const char *in;
		int sig;
	} cases[] = {
		{ "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "term", SIGTERM }, { "sigterm", SIGTERM },
		{ "15", SIGTERM },   { "KILL", SIGKILL },    { "HUP", SIGHUP },   { "SIGINT", SIGINT },
		{ "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },    { "USR2", SIGUSR2 }, { "WINCH", SIGWINCH },
		{ "1", 1 },          { "64", 64 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int v = -1;
		assert_parses(parse_signal(cases[i].in, &v, &_why), cases[i].in);
		assert_int_equal(v, cases[i].sig);
	}
}

static void test_signal_bad(void **state)
{
	static const struct {
		const char *in;
		const char *why;
	} cases[] = {
		{ "", "empty" },   { "FOO", "unknown signal" }, { "SIG", "unknown signal" },
		{ "0", "number" }, { "65", "number" },          { "15x", "number" },
		{ "-9", "unknown signal" }, { "SIGTERM ", "unknown signal" },
		{ "99999999999999999999999", "number" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int v = -1;
		const char *why = NULL;
		int r = parse_signal(cases[i].in, &v, &why);
		check_why(cases[i].in, r, -EINVAL, why, cases[i].why);
		assert_int_equal(v, -1);
	}
}

static void test_signal_to_name(void **state)
{
	(void)state;
	assert_string_equal(signal_to_name(SIGTERM), "TERM");
	assert_string_equal(signal_to_name(SIGKILL), "KILL");
	assert_string_equal(signal_to_name(SIGHUP), "HUP");
	assert_string_equal(signal_to_name(SIGCHLD), "CHLD");
	assert_null(signal_to_name(0));
	assert_null(signal_to_name(-1));
	assert_null(signal_to_name(SIGRTMIN));

	/* every name round-trips */
	for (int sig = 1; sig < SIGRTMIN; sig++) {
		const char *name = signal_to_name(sig);
		int back = -1;
		if (!name)
			continue;
		assert_parses(parse_signal(name, &back, &_why), name);
		assert_int_equal(back, sig);
	}
}

/* ---- booleans ---- */

static void test_bool(void **state)
{
	static const char *const yes[] = { "yes", "YES", "true", "True", "on", "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE", "off", "0" };
	static const char *const bad[] = { "", "y", "2", "yess", "enable", " yes" };
	(void)state;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		bool v = false;
		assert_parses(parse_bool(yes[i], &v, &_why), yes[i]);
		assert_true(v);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		bool v = true;
		assert_parses(parse_bool(no[i], &v, &_why), no[i]);
		assert_false(v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool v = true;
		const char *why = NULL;
		int r = parse_bool(bad[i], &v, &why);
		check_why(bad[i], r, -EINVAL, why, i == 0 ? "empty" : "expected yes, no");
		assert_true(v);
	}
}

/* ---- cpu ---- */

static void test_cpu_good(void **state)
{
	static const struct {
		const char *in;
		uint32_t milli;
	} cases[] = {
		{ "0.5", 500 },    { "1", 1000 },      { "2", 2000 },     { "1.25", 1250 },  { ".5", 500 },
		{ "0.001", 1 },    { "0.0005", 1 },    { "0.0015", 2 },   { "0.1234", 123 }, { "0.99999", 1000 },
		{ "4294967", 4294967000u }, { "4294967.295", 4294967295u }, { "00.5", 500 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 1234;
		assert_parses(parse_cpu(cases[i].in, &v, &_why), cases[i].in);
		assert_int_equal(v, cases[i].milli);
	}
}

static void test_cpu_bad(void **state)
{
	static const struct {
		const char *in;
		int r;
		const char *why;
	} cases[] = {
		{ "", -EINVAL, "empty" },
		{ "0", -EINVAL, "greater than 0" },
		{ "0.000", -EINVAL, "greater than 0" },
		{ "0.0004", -EINVAL, "too small" },
		{ "-1", -EINVAL, "greater than 0" },
		{ "-0.5", -EINVAL, "greater than 0" },
		{ "abc", -EINVAL, "not a number" },
		{ "1.", -EINVAL, "not a number" },
		{ ".", -EINVAL, "not a number" },
		{ "1.5x", -EINVAL, "not a number" },
		{ "50%", -EINVAL, "not a number" },
		{ "1,5", -EINVAL, "not a number" },
		{ "4294968", -ERANGE, "too large" },
		{ "4294967.296", -ERANGE, "too large" },
		{ "4294967.2955", -ERANGE, "too large" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 1234;
		const char *why = NULL;
		int r = parse_cpu(cases[i].in, &v, &why);
		check_why(cases[i].in, r, cases[i].r, why, cases[i].why);
		assert_int_equal(v, 1234);
	}
}

/* ---- start_limit ---- */

static void test_start_limit(void **state)
{
	static const struct {
		const char *in;
		int r;
		uint32_t burst;
		uint64_t window;
		const char *why;
	} cases[] = {
		{ "10/60s", 0, 10, 60000, NULL },
		{ "1/1ms", 0, 1, 1, NULL },
		{ "5/1h30m", 0, 5, 5400000, NULL },
		{ "3/60", 0, 3, 60000, NULL },
		{ "4294967295/1s", 0, 4294967295u, 1000, NULL },
		{ "", -EINVAL, 0, 0, "empty" },
		{ "10", -EINVAL, 0, 0, "BURST/WINDOW" },
		{ "/60s", -EINVAL, 0, 0, "BURST/WINDOW" },
		{ "x/60s", -EINVAL, 0, 0, "BURST/WINDOW" },
		{ "10 / 60s", -EINVAL, 0, 0, "BURST/WINDOW" },
		{ "0/60s", -EINVAL, 0, 0, "at least 1" },
		{ "10/0s", -EINVAL, 0, 0, "longer than 0" },
		{ "10/", -EINVAL, 0, 0, "empty" },
		{ "10/60x", -EINVAL, 0, 0, "unknown unit 'x'" },
		{ "4294967296/1s", -ERANGE, 0, 0, "too large" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t burst = 77;
		uint64_t window = 77;
		const char *why = NULL;
		int r = parse_start_limit(cases[i].in, &burst, &window, &why);
		if (cases[i].r == 0) {
			if (r != 0)
				print_message("input '%s': r=%d why='%s'\n", cases[i].in, r, why);
			assert_int_equal(r, 0);
			assert_int_equal(burst, cases[i].burst);
			assert_int_equal(window, cases[i].window);
		} else {
			check_why(cases[i].in, r, cases[i].r, why, cases[i].why);
			assert_int_equal(burst, 77);
			assert_int_equal(window, 77);
		}
	}
}

/* ---- user ---- */

static void test_user(void **state)
{
	static const struct {
		const char *in;
		int r;
		uint32_t uid, gid;
		const char *why;
	} cases[] = {
		{ "0", 0, 0, 0, NULL },
		{ "1000", 0, 1000, 1000, NULL },
		{ "1000:100", 0, 1000, 100, NULL },
		{ "65534:65534", 0, 65534, 65534, NULL },
		{ "4294967294", 0, 4294967294u, 4294967294u, NULL },
		{ "", -EINVAL, 0, 0, "empty" },
		{ "root", -EINVAL, 0, 0, "numeric" },
		{ "1000:", -EINVAL, 0, 0, "gid" },
		{ "1000:staff", -EINVAL, 0, 0, "gid" },
		{ ":100", -EINVAL, 0, 0, "numeric" },
		{ "1000:100:1", -EINVAL, 0, 0, "uid[:gid]" },
		{ "-1", -EINVAL, 0, 0, "numeric" },
		{ "1000x", -EINVAL, 0, 0, "uid[:gid]" },
		{ "4294967295", -ERANGE, 0, 0, "uid out of range" },
		{ "1:4294967295", -ERANGE, 0, 0, "gid out of range" },
		{ "99999999999999999999999", -ERANGE, 0, 0, "uid out of range" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t uid = 77, gid = 77;
		const char *why = NULL;
		int r = parse_user(cases[i].in, &uid, &gid, &why);
		if (cases[i].r == 0) {
			if (r != 0)
				print_message("input '%s': r=%d why='%s'\n", cases[i].in, r, why);
			assert_int_equal(r, 0);
			assert_int_equal(uid, cases[i].uid);
			assert_int_equal(gid, cases[i].gid);
		} else {
			check_why(cases[i].in, r, cases[i].r, why, cases[i].why);
			assert_int_equal(uid, 77);
			assert_int_equal(gid, 77);
		}
	}
}

/* ---- command ---- */

static void assert_argv(const char *in, const char *const *expected)
{
	char **argv = NULL;
	const char *why = NULL;
	size_t n = 0;
	int r = parse_command(in, &argv, &why);

	if (r != 0)
		print_message("command [%s]: r=%d why='%s'\n", in, r, why);
	assert_int_equal(r, 0);
	assert_non_null(argv);
	for (; expected[n]; n++) {
		if (!argv[n] || strcmp(argv[n], expected[n]) != 0)
			print_message("command [%s]: argv[%zu] is [%s], expected [%s]\n", in, n,
				      argv[n] ? argv[n] : "(null)", expected[n]);
		assert_non_null(argv[n]);
		assert_string_equal(argv[n], expected[n]);
	}
	if (argv[n])
		print_message("command [%s]: extra argv[%zu] [%s]\n", in, n, argv[n]);
	assert_null(argv[n]);
	free(argv); /* one block: ASan/valgrind would catch a leak of the strings */
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_command_good(void **state)
{
	(void)state;
	assert_argv("/bin/true", ARGV("/bin/true"));
	assert_argv("  /bin/echo   a\tb  ", ARGV("/bin/echo", "a", "b"));
	assert_argv("/bin/sh -c \"exec httpd -f\"", ARGV("/bin/sh", "-c", "exec httpd -f"));
	assert_argv("echo 'a b' \"c d\"", ARGV("echo", "a b", "c d"));
	assert_argv("echo 'it''s'", ARGV("echo", "its"));
	assert_argv("echo 'a\\b' '\"'", ARGV("echo", "a\\b", "\""));   /* single quotes: all literal */
	assert_argv("echo \"a\\\"b\"", ARGV("echo", "a\"b"));            /* \" */
	assert_argv("echo \"a\\\\b\"", ARGV("echo", "a\\b"));            /* \\ */
	assert_argv("echo \"\\$HOME\"", ARGV("echo", "$HOME"));          /* \$ */
	assert_argv("echo \"\\`x\\`\"", ARGV("echo", "`x`"));            /* \` */
	assert_argv("echo \"a\\nb\"", ARGV("echo", "a\\nb"));            /* other \ stays */
	assert_argv("echo \"a\\\nb\"", ARGV("echo", "ab"));              /* \newline vanishes */
	assert_argv("echo a\\ b", ARGV("echo", "a b"));                  /* \ outside quotes */
	assert_argv("echo \\'x\\\"", ARGV("echo", "'x\""));
	assert_argv("echo a\\\nb c", ARGV("echo", "ab", "c"));
	assert_argv("echo \\\n x", ARGV("echo", "x"));
	assert_argv("echo '' \"\" x", ARGV("echo", "", "", "x"));        /* empty words kept */
	assert_argv("echo a\"b c\"'d'e", ARGV("echo", "ab cde"));        /* adjacent parts join */
	assert_argv("echo $HOME | cat", ARGV("echo", "$HOME", "|", "cat")); /* no expansion, no shell */
	assert_argv("echo ';' '#'", ARGV("echo", ";", "#"));
	assert_argv("a\nb", ARGV("a", "b"));
}

static void test_command_bad(void **state)
{
	static const struct {
		const char *in;
		const char *why;
	} cases[] = {
		{ "", "empty command" },
		{ "   \t ", "empty command" },
		{ "\\\n", "empty command" },
		{ "echo 'abc", "unterminated quote" },
		{ "echo \"abc", "unterminated quote" },
		{ "echo \"abc\\\"", "unterminated quote" },
		{ "echo '", "unterminated quote" },
		{ "echo abc\\", "trailing backslash" },
		{ "\\", "trailing backslash" },
		{ "'' x", "empty program name" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char **argv = (char **)0x1;
		const char *why = NULL;
		int r = parse_command(cases[i].in, &argv, &why);
		check_why(cases[i].in, r, -EINVAL, why, cases[i].why);
		assert_ptr_equal(argv, (char **)0x1);
	}
}

static void test_command_long(void **state)
{
	/* Many words: the block must be sized right (ASan checks the edges). */
	char in[4096], word[32];
	char **argv = NULL;
	const char *why = NULL;
	size_t n = 0;
	(void)state;

	in[0] = 0;
	for (int i = 0; i < 500; i++) {
		snprintf(word, sizeof(word), "w%d ", i);
		strcat(in, i % 2 ? "''" : word);
		strcat(in, " ");
	}
	assert_int_equal(parse_command(in, &argv, &why), 0);
	for (; argv[n]; n++)
		if (n % 2) {
			assert_string_equal(argv[n], "");
		} else {
			snprintf(word, sizeof(word), "w%zu", n);
			assert_string_equal(argv[n], word);
		}
	assert_int_equal(n, 500);
	free(argv);
}

/* ---- container names ---- */

static void test_container_name(void **state)
{
	static const char *const good[] = {
		"web", "a", "A", "0", "web-1", "web_1", "web.1", "a..", "0abc",
		"a23456789012345678901234567890123456789012345678901234567890123", /* 63 */
	};
	static const char *const bad[] = {
		"", ".", "..", "../x", "a/b", "/a", ".hidden", "-a", "_a", "a b", "a:b", "a\n", "wëb",
		"a234567890123456789012345678901234567890123456789012345678901234", /* 64 */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!container_name_is_valid(good[i]))
			print_message("'%s' should be valid\n", good[i]);
		assert_true(container_name_is_valid(good[i]));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (container_name_is_valid(bad[i]))
			print_message("'%s' should be invalid\n", bad[i]);
		assert_false(container_name_is_valid(bad[i]));
	}
	assert_false(container_name_is_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_good),
		cmocka_unit_test(test_size_bad),
		cmocka_unit_test(test_duration_good),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_signal_good),
		cmocka_unit_test(test_signal_bad),
		cmocka_unit_test(test_signal_to_name),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_cpu_good),
		cmocka_unit_test(test_cpu_bad),
		cmocka_unit_test(test_start_limit),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_command_good),
		cmocka_unit_test(test_command_bad),
		cmocka_unit_test(test_command_long),
		cmocka_unit_test(test_container_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
