/* test_caps.c - capability names and the `capabilities =` syntax (caps.h),
 * and the rlimit value syntax (parse_rlimit). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <string.h>

#include "caps.h"
#include "parse.h"

#define M(cap) CAP_MASK(CAP_##cap)

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(caps_from_name("CAP_NET_ADMIN"), CAP_NET_ADMIN);
	assert_int_equal(caps_from_name("NET_ADMIN"), CAP_NET_ADMIN);
	assert_int_equal(caps_from_name("net_admin"), CAP_NET_ADMIN);
	assert_int_equal(caps_from_name("cap_chown"), CAP_CHOWN);
	assert_int_equal(caps_from_name("CHECKPOINT_RESTORE"), CAP_CHECKPOINT_RESTORE);
	assert_int_equal(caps_from_name("NET"), -EINVAL);
	assert_int_equal(caps_from_name("CAP_"), -EINVAL);
	assert_int_equal(caps_from_name(""), -EINVAL);
	assert_int_equal(caps_from_name("ALL"), -EINVAL); /* a word of the list syntax, not a name */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		const char *name = caps_to_name(cap);
		assert_non_null(name);
		assert_int_equal(caps_from_name(name), cap);
	}
	assert_null(caps_to_name(CAP_LAST_CAP + 1));
	assert_null(caps_to_name(-1));
}

static void test_default(void **state)
{
	(void)state;
	cap_mask_t docker = M(CHOWN) | M(DAC_OVERRIDE) | M(FSETID) | M(FOWNER) | M(MKNOD) | M(NET_RAW) |
			    M(SETGID) | M(SETUID) | M(SETFCAP) | M(SETPCAP) | M(NET_BIND_SERVICE) |
			    M(SYS_CHROOT) | M(KILL) | M(AUDIT_WRITE);
	/* Docker's list less MKNOD (see caps.c) */
	assert_int_equal(caps_default(), docker & ~M(MKNOD));
	assert_int_equal(caps_default(), 0xa00425fbULL);
	assert_false(caps_default() & M(SYS_ADMIN));
}

static void parses_to(const char *in, cap_mask_t want)
{
	cap_mask_t got = 12345;
	const char *why = NULL;
	int r = caps_parse(in, &got, &why);
	if (r != 0 || got != want)
		print_message("'%s': r=%d why=%s got=%#llx want=%#llx\n", in, r, why ? why : "-",
			      (unsigned long long)got, (unsigned long long)want);
	assert_int_equal(r, 0);
	assert_int_equal(got, want);
}

static void fails_with(const char *in, const char *why_part)
{
	cap_mask_t got = 12345;
	const char *why = NULL;
	int r = caps_parse(in, &got, &why);
	if (r != -EINVAL || !why || !strstr(why, why_part))
		print_message("'%s': r=%d why=%s (expected to contain '%s')\n", in, r, why ? why : "-", why_part);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(got, 12345); /* untouched */
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
}

static void test_parse(void **state)
{
	(void)state;
	cap_mask_t def = caps_default();
	parses_to("-ALL +NET_BIND_SERVICE", M(NET_BIND_SERVICE));
	parses_to("-ALL", 0);
	parses_to("+ALL", CAP_MASK_ALL);
	parses_to("ALL", CAP_MASK_ALL);
	parses_to("ALL -SYS_ADMIN", CAP_MASK_ALL & ~M(SYS_ADMIN));
	parses_to("+SYS_ADMIN", def | M(SYS_ADMIN));
	parses_to("+cap_sys_admin -NET_RAW", (def | M(SYS_ADMIN)) & ~M(NET_RAW));
	parses_to("-CHOWN", def & ~M(CHOWN));
	parses_to("-MKNOD", def); /* removing what is not there */
	parses_to("CHOWN KILL", M(CHOWN) | M(KILL));
	parses_to("CHOWN,KILL", M(CHOWN) | M(KILL));
	parses_to("  CHOWN ,\tKILL  ", M(CHOWN) | M(KILL));
	parses_to("CHOWN +KILL -CHOWN", M(KILL)); /* explicit list, then edits */
	parses_to("+NET_ADMIN -NET_ADMIN", def);

	fails_with("", "empty");
	fails_with("  , ", "empty");
	fails_with("+NET_ADMN", "unknown capability 'NET_ADMN'");
	fails_with("CHOWN FOO", "unknown capability 'FOO'");
	fails_with("+", "expected a capability name");
	fails_with("-ALL + CHOWN", "expected a capability name");
	fails_with("++CHOWN", "unknown capability '+CHOWN'");
	fails_with("+CAP_SYS_ADMINXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
		   "unknown capability");
}

static void rlimit_ok(const char *in, bool is_size, uint64_t soft, uint64_t hard)
{
	uint64_t s = 1, h = 1;
	const char *why = NULL;
	int r = parse_rlimit(in, is_size, &s, &h, &why);
	if (r != 0 || s != soft || h != hard)
		print_message("'%s': r=%d why=%s got %llu:%llu\n", in, r, why ? why : "-", (unsigned long long)s,
			      (unsigned long long)h);
	assert_int_equal(r, 0);
	assert_int_equal(s, soft);
	assert_int_equal(h, hard);
}

static void rlimit_bad(const char *in, bool is_size, int want_r, const char *why_part)
{
	uint64_t s = 1, h = 1;
	const char *why = NULL;
	int r = parse_rlimit(in, is_size, &s, &h, &why);
	if (r != want_r || !why || !strstr(why, why_part))
		print_message("'%s': r=%d why=%s (expected %d, '%s')\n", in, r, why ? why : "-", want_r, why_part);
	assert_int_equal(r, want_r);
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
	assert_int_equal(s, 1);
	assert_int_equal(h, 1);
}

static void test_rlimit(void **state)
{
	const uint64_t U = RLIMIT_VALUE_UNLIMITED;
	(void)state;
	rlimit_ok("1024", false, 1024, 1024);
	rlimit_ok("0", false, 0, 0);
	rlimit_ok("100:200", false, 100, 200);
	rlimit_ok("unlimited", false, U, U);
	rlimit_ok("infinity", false, U, U);
	rlimit_ok("1024:unlimited", false, 1024, U);
	rlimit_ok("UNLIMITED:unlimited", false, U, U);
	rlimit_ok("64M", true, 64ULL << 20, 64ULL << 20);
	rlimit_ok("0:1G", true, 0, 1ULL << 30);
	rlimit_ok("4096", true, 4096, 4096);

	rlimit_bad("", false, -EINVAL, "empty");
	rlimit_bad("64M", false, -EINVAL, "expected a number or 'unlimited'");
	rlimit_bad("-1", false, -EINVAL, "expected a number");
	rlimit_bad("200:100", false, -EINVAL, "soft limit above the hard limit");
	rlimit_bad("unlimited:100", false, -EINVAL, "soft limit above the hard limit");
	rlimit_bad("100:", false, -EINVAL, "both limits");
	rlimit_bad(":100", false, -EINVAL, "both limits");
	rlimit_bad("1:2:3", false, -EINVAL, "expected a number");
	rlimit_bad("18446744073709551615", false, -ERANGE, "write 'unlimited'");
	rlimit_bad("99999999999999999999999", false, -ERANGE, "too large");
	rlimit_bad("12Q", true, -EINVAL, "unknown unit 'Q'");
	rlimit_bad("lots", true, -EINVAL, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_rlimit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
