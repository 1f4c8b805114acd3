/* ctl_request.c - see ctl_request.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctl_request.h"

#define ECHO_MAX 32 /* bytes of an unknown version token echoed back */

/* Length of the UTF-8 sequence at s[0..n), or 0 if it is not one: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_sequence_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len;
	uint32_t cp, min;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Every byte is part of a UTF-8 character that is not a control character;
 * a tab is allowed (it separates like a space). */
static int check_text(const char *buf, size_t len, struct sup_err *err)
{
	const unsigned char *s = (const unsigned char *)buf;
	for (size_t i = 0; i < len;) {
		if (s[i] == 0)
			return sup_err_set(err, -EINVAL, "request contains a NUL byte at offset %zu", i);
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return sup_err_set(err, -EINVAL, "request contains control character 0x%02x at offset %zu",
					   s[i], i);
		size_t n = utf8_sequence_len(s + i, len - i);
		if (n == 0)
			return sup_err_set(err, -EILSEQ, "request is not valid UTF-8 (at offset %zu)", i);
		i += n;
	}
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Advance *pos past blanks, then return the length of the token there. */
static size_t next_token(const char *buf, size_t len, size_t *pos)
{
	while (*pos < len && is_blank(buf[*pos]))
		(*pos)++;
	size_t n = 0;
	while (*pos + n < len && !is_blank(buf[*pos + n]))
		n++;
	return n;
}

/* How many bytes of s[0..n) to echo: at most ECHO_MAX, not cutting a
 * character in two (s is valid UTF-8 here). */
static int echo_len(const char *s, size_t n)
{
	if (n <= ECHO_MAX)
		return (int)n;
	n = ECHO_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

int ctl_request_parse(const char *buf, size_t len, struct ctl_request *out, struct sup_err *err)
{
	if (len > CTL_MAX_LINE - 1)
		return sup_err_set(err, -EMSGSIZE, "request longer than %d bytes", CTL_MAX_LINE - 1);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	int r = check_text(buf, len, err);
	if (r < 0)
		return r;

	size_t pos = 0;
	size_t n = next_token(buf, len, &pos);
	if (n == 0)
		return sup_err_set(err, -EINVAL, "empty request (expected '%s VERB [ARG...]')", CTL_PROTO_VERSION);
	if (n != strlen(CTL_PROTO_VERSION) || memcmp(buf + pos, CTL_PROTO_VERSION, n) != 0)
		return sup_err_set(err, -EPROTONOSUPPORT,
				   "unsupported protocol version '%.*s%s': this supd speaks %s "
				   "(requests are '%s VERB [ARG...]'; is supctl from another release?)",
				   echo_len(buf + pos, n), buf + pos, n > ECHO_MAX ? "..." : "", CTL_PROTO_VERSION,
				   CTL_PROTO_VERSION);
	pos += n;

	n = next_token(buf, len, &pos);
	if (n == 0)
		return sup_err_set(err, -EINVAL, "request has no verb after '%s'", CTL_PROTO_VERSION);
	bool verb_ok = n <= CTL_MAX_VERB;
	for (size_t i = 0; verb_ok && i < n; i++)
		verb_ok = (buf[pos + i] >= 'a' && buf[pos + i] <= 'z') || (i > 0 && buf[pos + i] == '-');
	if (!verb_ok)
		return sup_err_set(err, -EINVAL, "malformed verb '%.*s%s' (expected [a-z][a-z-]{0,%d})",
				   echo_len(buf + pos, n), buf + pos, n > ECHO_MAX ? "..." : "", CTL_MAX_VERB - 1);
	memcpy(out->verb, buf + pos, n);
	out->verb[n] = 0;
	pos += n;

	while (pos < len && is_blank(buf[pos]))
		pos++;
	while (len > pos && is_blank(buf[len - 1]))
		len--;
	memcpy(out->arg, buf + pos, len - pos);
	out->arg[len - pos] = 0;
	return 0;
}

int ctl_request_format(char *buf, size_t size, const char *verb, const char *arg)
{
	bool has_arg = arg && *arg;
	int n = snprintf(buf, size, "%s %s%s%s\n", CTL_PROTO_VERSION, verb, has_arg ? " " : "", has_arg ? arg : "");
	if (n < 0 || (size_t)n >= size || n > CTL_MAX_LINE)
		return -EMSGSIZE;
	return n;
}
