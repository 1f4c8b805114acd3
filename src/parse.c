/* parse.c - the value syntaxes of the config: sizes, durations, signals,
 * booleans, CPU amounts, start limits, numeric users, shell-like command
 * lines and container names (see parse.h).
 *
 * Pure: no I/O, no logging, no allocation except the argv block that
 * parse_command() hands out. The only state is a per-thread scratch buffer
 * for reasons that quote part of the input ("unknown unit 'X'"); such a
 * reason stays valid until the next parse_* call in the same thread. Callers
 * put the reason into a message that names file, line and key. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "parse.h"

static _Thread_local char why_buf[96];

static const char *why_fmt(const char *fmt, ...) _printf_(1, 2);
static const char *why_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	return why_buf;
}

static int fail(const char **why, const char *reason, int code)
{
	if (why)
		*why = reason;
	return code;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse the decimal digits at *p into *ret and move *p past them. Not
 * strtoull(): that accepts leading blanks, a sign and "0x", none of which
 * belongs in a config value. -EINVAL: no digit; -ERANGE: over UINT64_MAX. */
static int parse_digits(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return 0;
}

/* The reason for a value that does not start with a number. */
static const char *not_a_number(const char *s)
{
	return *s == '-' ? "must not be negative" : "not a number";
}

int parse_size(const char *s, uint64_t *ret_bytes, const char **why)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{ "", 0 },   { "B", 0 },
		{ "K", 10 }, { "KB", 10 }, { "KiB", 10 },
		{ "M", 20 }, { "MB", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GB", 30 }, { "GiB", 30 },
		{ "T", 40 }, { "TB", 40 }, { "TiB", 40 },
	};
	const char *p = s;
	uint64_t n;
	int r;

	if (!s || !*s)
		return fail(why, "empty value", -EINVAL);
	r = parse_digits(&p, &n);
	if (r == -ERANGE)
		return fail(why, "too large", -ERANGE);
	if (r < 0)
		return fail(why, not_a_number(s), -EINVAL);
	if (*p == '.')
		return fail(why, "fractions are not supported, use a smaller unit", -EINVAL);
	while (*p == ' ')
		p++;

	for (size_t i = 0; i < ELEMENTSOF(units); i++) {
		if (strcasecmp(p, units[i].suffix) != 0)
			continue;
		if (units[i].shift && n > (UINT64_MAX >> units[i].shift))
			return fail(why, "too large", -ERANGE);
		*ret_bytes = n << units[i].shift;
		return 0;
	}
	return fail(why, why_fmt("unknown unit '%s'", p), -EINVAL);
}

int parse_duration_ms(const char *s, uint64_t *ret_ms, const char **why)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
		{ "ms", 1 },
		{ "s", 1000 },
		{ "m", 60 * 1000 },
		{ "h", 60 * 60 * 1000 },
		{ "d", 24 * 60 * 60 * 1000 },
	};
	const char *p = s;
	uint64_t total = 0, n;
	int r;

	if (!s || !*s)
		return fail(why, "empty value", -EINVAL);

	/* A bare number means seconds, as in systemd's *Sec= settings. */
	r = parse_digits(&p, &n);
	if (r == 0 && *p == 0) {
		if (n > UINT64_MAX / 1000)
			return fail(why, "too large", -ERANGE);
		*ret_ms = n * 1000;
		return 0;
	}

	/* Otherwise a sequence of <number><unit> groups, summed: "1h30m". */
	p = s;
	while (*p) {
		const char *unit;
		size_t len;
		uint64_t mult = 0;

		r = parse_digits(&p, &n);
		if (r == -ERANGE)
			return fail(why, "too large", -ERANGE);
		if (r < 0)
			return fail(why, p == s ? not_a_number(s) : why_fmt("expected a number at '%s'", p),
				    -EINVAL);
		if (*p == '.')
			return fail(why, "fractions are not supported, use a smaller unit", -EINVAL);
		while (*p == ' ')
			p++;
		unit = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			p++;
		len = (size_t)(p - unit);
		if (len == 0)
			return fail(why, "number without a unit (ms, s, m, h or d)", -EINVAL);
		for (size_t i = 0; i < ELEMENTSOF(units); i++)
			if (strlen(units[i].suffix) == len && memcmp(unit, units[i].suffix, len) == 0)
				mult = units[i].ms;
		if (mult == 0)
			return fail(why, why_fmt("unknown unit '%.*s'", (int)len, unit), -EINVAL);
		if (n > UINT64_MAX / mult || total > UINT64_MAX - n * mult)
			return fail(why, "too large", -ERANGE);
		total += n * mult;
		while (*p == ' ')
			p++;
	}
	*ret_ms = total;
	return 0;
}

static const struct {
	int sig;
	const char *name;
} signal_table[] = {
	{ SIGHUP, "HUP" },     { SIGINT, "INT" },       { SIGQUIT, "QUIT" },   { SIGILL, "ILL" },
	{ SIGTRAP, "TRAP" },   { SIGABRT, "ABRT" },     { SIGBUS, "BUS" },     { SIGFPE, "FPE" },
	{ SIGKILL, "KILL" },   { SIGUSR1, "USR1" },     { SIGSEGV, "SEGV" },   { SIGUSR2, "USR2" },
	{ SIGPIPE, "PIPE" },   { SIGALRM, "ALRM" },     { SIGTERM, "TERM" },
#ifdef SIGSTKFLT
	{ SIGSTKFLT, "STKFLT" },
#endif
	{ SIGCHLD, "CHLD" },   { SIGCONT, "CONT" },     { SIGSTOP, "STOP" },   { SIGTSTP, "TSTP" },
	{ SIGTTIN, "TTIN" },   { SIGTTOU, "TTOU" },     { SIGURG, "URG" },     { SIGXCPU, "XCPU" },
	{ SIGXFSZ, "XFSZ" },   { SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" },   { SIGWINCH, "WINCH" },
	{ SIGIO, "IO" },
#ifdef SIGPWR
	{ SIGPWR, "PWR" },
#endif
	{ SIGSYS, "SYS" },
};

int parse_signal(const char *s, int *ret_sig, const char **why)
{
	const char *name = s;
	uint64_t n;

	if (!s || !*s)
		return fail(why, "empty value", -EINVAL);

	if (is_digit(*s)) {
		const char *p = s;
		if (parse_digits(&p, &n) < 0 || *p || n < 1 || n > (uint64_t)SIGRTMAX)
			return fail(why, why_fmt("not a signal number (1-%d)", SIGRTMAX), -EINVAL);
		*ret_sig = (int)n;
		return 0;
	}

	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
		if (strcasecmp(name, signal_table[i].name) == 0) {
			*ret_sig = signal_table[i].sig;
			return 0;
		}
	return fail(why, "unknown signal name", -EINVAL);
}

const char *signal_to_name(int sig)
{
	for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
		if (signal_table[i].sig == sig)
			return signal_table[i].name;
	return NULL;
}

int parse_bool(const char *s, bool *ret, const char **why)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = {
		{ "yes", true }, { "true", true },   { "on", true },   { "1", true },
		{ "no", false }, { "false", false }, { "off", false }, { "0", false },
	};

	if (!s || !*s)
		return fail(why, "empty value", -EINVAL);
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strcasecmp(s, words[i].word) == 0) {
			*ret = words[i].value;
			return 0;
		}
	return fail(why, "expected yes, no, true, false, on, off, 1 or 0", -EINVAL);
}

int parse_cpu(const char *s, uint32_t *ret_millicpus, const char **why)
{
	static const unsigned scale[] = { 100, 10, 1 };
	const char *p = s;
	uint64_t whole = 0, milli = 0, total;
	bool digits = false, nonzero = false;

	if (!s || !*s)
		return fail(why, "empty value", -EINVAL);
	if (*s == '-')
		return fail(why, "must be greater than 0", -EINVAL);

	if (is_digit(*p)) {
		if (parse_digits(&p, &whole) < 0 || whole > UINT32_MAX / 1000)
			return fail(why, "too large", -ERANGE);
		digits = true;
		nonzero = whole > 0;
	}
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return fail(why, "not a number", -EINVAL);
		/* Three decimals are millicpus, the fourth rounds, the rest
		 * cannot change the result. */
		for (size_t i = 0; is_digit(*p); i++, p++) {
			unsigned d = (unsigned)(*p - '0');
			nonzero = nonzero || d > 0;
			if (i < ELEMENTSOF(scale))
				milli += d * scale[i];
			else if (i == ELEMENTSOF(scale) && d >= 5)
				milli++;
		}
		digits = true;
	}
	if (!digits || *p)
		return fail(why, "not a number", -EINVAL);

	total = whole * 1000 + milli;
	if (total > UINT32_MAX)
		return fail(why, "too large", -ERANGE);
	if (total == 0)
		return fail(why, nonzero ? "too small (the minimum is 0.001)" : "must be greater than 0", -EINVAL);
	*ret_millicpus = (uint32_t)total;
	return 0;
}

int parse_start_limit(const char *s, uint32_t *ret_burst, uint64_t *ret_window_ms, const char **why)
{
	const char *p = s;
	uint64_t burst, window;
	int r;

	if (!s || !*s)
		return fail(why, "empty value", -EINVAL);
	r = parse_digits(&p, &burst);
	if (r == -ERANGE || (r == 0 && burst > UINT32_MAX))
		return fail(why, "burst too large", -ERANGE);
	if (r < 0 || *p != '/')
		return fail(why, "expected BURST/WINDOW, e.g. 10/60s", -EINVAL);
	if (burst == 0)
		return fail(why, "burst must be at least 1", -EINVAL);
	r = parse_duration_ms(p + 1, &window, why);
	if (r < 0)
		return r;
	if (window == 0)
		return fail(why, "window must be longer than 0", -EINVAL);
	*ret_burst = (uint32_t)burst;
	*ret_window_ms = window;
	return 0;
}

/* A numeric uid or gid. (uid_t)-1 means "unchanged" to setresuid(), so it
 * is not a valid id. */
static int parse_id(const char **p, uint32_t *ret)
{
	uint64_t v;
	int r = parse_digits(p, &v);
	if (r < 0)
		return r;
	if (v >= UINT32_MAX)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

int parse_user(const char *s, uint32_t *ret_uid, uint32_t *ret_gid, const char **why)
{
	const char *p = s;
	uint32_t uid, gid;
	int r;

	if (!s || !*s)
		return fail(why, "empty value", -EINVAL);
	r = parse_id(&p, &uid);
	if (r == -ERANGE)
		return fail(why, "uid out of range", -ERANGE);
	if (r < 0)
		return fail(why, "expected a numeric uid[:gid]; user names are not supported", -EINVAL);
	gid = uid;
	if (*p == ':') {
		p++;
		r = parse_id(&p, &gid);
		if (r == -ERANGE)
			return fail(why, "gid out of range", -ERANGE);
		if (r < 0)
			return fail(why, "expected a numeric gid after ':'", -EINVAL);
	}
	if (*p)
		return fail(why, "expected a numeric uid[:gid]", -EINVAL);
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

int parse_id_map(const char *s, struct id_map *ret, const char **why)
{
	static const char *const range_error[] = { "INSIDE out of range", "OUTSIDE out of range", "COUNT out of range" };
	static const char *const expected = "expected three numbers: INSIDE OUTSIDE COUNT";
	uint32_t v[3];
	const char *p = s;

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		while (is_blank(*p))
			p++;
		int r = parse_id(&p, &v[i]);
		if (r == -ERANGE)
			return fail(why, range_error[i], -ERANGE);
		if (r < 0 || (*p && !is_blank(*p)))
			return fail(why, expected, -EINVAL);
	}
	while (is_blank(*p))
		p++;
	if (*p)
		return fail(why, expected, -EINVAL);
	if (v[2] == 0)
		return fail(why, "COUNT must be at least 1", -EINVAL);
	/* The last id of each range must still be a valid id (< 4294967295). */
	if ((uint64_t)v[0] + v[2] > UINT32_MAX)
		return fail(why, "the inside range goes past 4294967294", -ERANGE);
	if ((uint64_t)v[1] + v[2] > UINT32_MAX)
		return fail(why, "the outside range goes past 4294967294", -ERANGE);
	*ret = (struct id_map){ .inside = v[0], .outside = v[1], .count = v[2] };
	return 0;
}

bool id_map_has_inside(const struct id_map *m, uint32_t id)
{
	return m->count > 0 && id >= m->inside && (uint64_t)id < (uint64_t)m->inside + m->count;
}

/* Unquote s into buf as consecutive NUL-terminated words. Removing quotes
 * and backslashes never makes a word longer, and each word's NUL takes the
 * place of the blank after it (or of the string's NUL for the last word),
 * so buf needs strlen(s) + 1 bytes. */
static int split_words(const char *s, char *buf, size_t *ret_used, size_t *ret_n, const char **why)
{
	enum { UNQUOTED, SINGLE, DOUBLE } q = UNQUOTED;
	size_t used = 0, n = 0;
	bool in_word = false;

	for (const char *p = s;; p++) {
		char c = *p;

		if (q == SINGLE) {
			if (!c)
				return fail(why, "unterminated quote", -EINVAL);
			if (c == '\'')
				q = UNQUOTED;
			else
				buf[used++] = c;
			continue;
		}
		if (q == DOUBLE) {
			if (!c)
				return fail(why, "unterminated quote", -EINVAL);
			if (c == '"') {
				q = UNQUOTED;
				continue;
			}
			if (c == '\\' && p[1] == '\n') {
				p++; /* line continuation: both vanish */
				continue;
			}
			if (c == '\\' && p[1] && strchr("\"\\$`", p[1]))
				c = *++p;
			/* any other backslash stays, as in sh */
			buf[used++] = c;
			continue;
		}

		if (!c)
			break;
		if (is_blank(c)) {
			if (in_word) {
				buf[used++] = 0;
				n++;
				in_word = false;
			}
			continue;
		}
		if (c == '\\') {
			if (!p[1])
				return fail(why, "trailing backslash", -EINVAL);
			if (p[1] == '\n') {
				p++;
				continue;
			}
			in_word = true;
			buf[used++] = *++p;
			continue;
		}
		in_word = true;
		if (c == '\'')
			q = SINGLE;
		else if (c == '"')
			q = DOUBLE;
		else
			buf[used++] = c;
	}
	if (in_word) {
		buf[used++] = 0;
		n++;
	}
	*ret_used = used;
	*ret_n = n;
	return 0;
}

int parse_command(const char *s, char ***ret_argv, const char **why)
{
	_cleanup_free_ char *buf = NULL;
	size_t used, n;
	char **argv, *strings;
	int r;

	if (!s)
		return fail(why, "empty command", -EINVAL);
	buf = xmalloc(strlen(s) + 1);
	r = split_words(s, buf, &used, &n, why);
	if (r < 0)
		return r;
	if (n == 0)
		return fail(why, "empty command", -EINVAL);
	if (buf[0] == 0)
		return fail(why, "empty program name", -EINVAL);

	/* One block, pointers first, so that free(argv) frees everything. */
	argv = xmalloc((n + 1) * sizeof(char *) + used);
	strings = (char *)(argv + n + 1);
	memcpy(strings, buf, used);
	for (size_t i = 0; i < n; i++) {
		argv[i] = strings;
		strings += strlen(strings) + 1;
	}
	argv[n] = NULL;
	*ret_argv = argv;
	return 0;
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool container_name_is_valid(const char *name)
{
	size_t i;

	if (!name || !is_alnum(name[0]))
		return false;
	for (i = 1; name[i]; i++) {
		if (i >= 63)
			return false;
		if (!is_alnum(name[i]) && !strchr("_.-", name[i]))
			return false;
	}
	return true;
}

/* One side of an rlimit value: "unlimited", a count, or (is_size) a size. */
static int parse_rlimit_value(const char *s, bool is_size, uint64_t *ret, const char **why)
{
	const char *p = s;
	int r;

	if (strcasecmp(s, "unlimited") == 0 || strcasecmp(s, "infinity") == 0) {
		*ret = RLIMIT_VALUE_UNLIMITED;
		return 0;
	}
	if (is_size)
		r = parse_size(s, ret, why);
	else {
		r = parse_digits(&p, ret);
		if (r == -ERANGE)
			return fail(why, "too large", -ERANGE);
		if (r < 0 || *p)
			return fail(why, "expected a number or 'unlimited'", -EINVAL);
	}
	if (r == 0 && *ret == RLIMIT_VALUE_UNLIMITED)
		return fail(why, "too large (write 'unlimited')", -ERANGE);
	return r;
}

int parse_rlimit(const char *s, bool is_size, uint64_t *ret_soft, uint64_t *ret_hard, const char **why)
{
	char soft_text[64];
	const char *colon;
	uint64_t soft, hard;
	int r;

	if (!s || !*s)
		return fail(why, "empty value", -EINVAL);
	colon = strchr(s, ':');
	if (!colon) {
		r = parse_rlimit_value(s, is_size, &soft, why);
		if (r < 0)
			return r;
		*ret_soft = *ret_hard = soft;
		return 0;
	}
	if ((size_t)(colon - s) >= sizeof(soft_text))
		return fail(why, "soft limit too long", -EINVAL);
	snprintf(soft_text, sizeof(soft_text), "%.*s", (int)(colon - s), s);
	if (!soft_text[0] || !colon[1])
		return fail(why, "expected SOFT:HARD with both limits", -EINVAL);
	if ((r = parse_rlimit_value(soft_text, is_size, &soft, why)) < 0 ||
	    (r = parse_rlimit_value(colon + 1, is_size, &hard, why)) < 0)
		return r;
	if (soft > hard)
		return fail(why, "soft limit above the hard limit", -EINVAL);
	*ret_soft = soft;
	*ret_hard = hard;
	return 0;
}
