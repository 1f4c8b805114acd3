/* config_ini.c - one config file's text, line by line, through libinih.
 *
 * libinih decides what each line is (section header, key = value, comment)
 * and finds syntax errors; every meaning is config.c's. Debian's inih 55
 * gives the handler no line number (INI_HANDLER_LINENO=0), cuts section
 * names at 49 bytes and lines at 198 (the rest of a long line comes back as
 * a new line). So inih reads through our own reader (ini_parse_stream): the
 * reader counts lines, keeps the untruncated text of the current line, and
 * recognises section headers itself, mirroring inih's rules; the handler,
 * which inih calls for the line it has just read, takes key and value from
 * that full text. Nothing is silently cut and every message has a line
 * number. */
#include <ctype.h>
#include <ini.h>
#include <stdbool.h>
#include <string.h>

#include "config-internal.h"
#include "macro.h"

static const char *lskip(const char *s, const char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	return s;
}

static const char *rstrip(const char *start, const char *end)
{
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	return end;
}

/* inih's find_chars_or_comment() on [s, end): the first of chars, or an
 * inline ';' comment (a ';' after whitespace), or end. */
static const char *find_chars_or_comment(const char *s, const char *end, const char *chars)
{
	bool was_space = false;
	for (; s < end; s++) {
		if (chars && strchr(chars, *s))
			break;
		if (was_space && *s == ';')
			break;
		was_space = isspace((unsigned char)*s);
	}
	return s;
}

/* Called by the reader for every line before inih sees it: handle a
 * section header here, because inih does not tell the handler about one
 * (INI_CALL_HANDLER_ON_NEW_SECTION=0) and would cut its name. */
static int on_line(struct parser *p)
{
	const char *s = p->line, *end = rstrip(s, s + p->line_len);
	const char *start = lskip(s, end), *close, *rest;

	if (start == end || *start == ';' || *start == '#')
		return 0; /* blank or comment */
	if (p->key_seen && start > s)
		return 0; /* continuation line; the handler refuses it */
	if (*start != '[')
		return 0;
	close = find_chars_or_comment(start + 1, end, "]");
	if (close == end || *close != ']')
		return 0; /* inih reports the syntax error */
	rest = lskip(close + 1, end);
	if (rest < end && *rest != ';' && *rest != '#')
		return line_error(p, p->lineno, "unexpected text after ']': '%.*s'",
				  (int)(end - rest < ECHO_MAX ? end - rest : ECHO_MAX), rest);
	return config_begin_section(p, start + 1, (size_t)(close - start - 1));
}

static char *read_line(char *buf, int size, void *stream)
{
	struct parser *p = stream;
	const char *start = p->text + p->pos, *nl;
	size_t n, copy;

	/* Ending the stream is how we stop inih after our own first error. */
	if (p->r < 0 || p->pos >= p->len || size < 2)
		return NULL;

	nl = memchr(start, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - start) + 1 : p->len - p->pos;
	p->pos += n;
	p->lineno++;
	p->line = start;
	p->line_len = nl ? n - 1 : n;

	if (on_line(p) < 0)
		return NULL;

	/* inih gets at most what fits; the handler reads the full line. */
	copy = n < (size_t)size - 1 ? n : (size_t)size - 1;
	memcpy(buf, start, copy);
	buf[copy] = 0;
	return buf;
}

/* inih calls this for each "key = value" line (and for each continuation
 * line) right after reading it, so p->line is that line. inih's arguments
 * are ignored: section may be cut short and value too on long lines. */
static int on_ini_value(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	const char *s, *end, *start, *sep, *vstart, *vend;
	_cleanup_free_ char *key = NULL, *val = NULL;

	(void)section, (void)name, (void)value;
	if (p->r < 0)
		return 1;

	s = p->line;
	end = rstrip(s, s + p->line_len);
	start = lskip(s, end);
	if (p->key_seen && start > s) {
		/* inih would glue this onto the previous value, the way
		 * Python's configparser does; refuse rather than guess. */
		line_error(p, p->lineno,
			   "indented line continues the previous value; continuation lines are not "
			   "supported, remove the indentation");
		return 1;
	}
	p->key_seen = true;

	sep = find_chars_or_comment(start, end, "=:");
	if (sep == end || *sep == ';') { /* inih does not call us for such a line */
		line_error(p, p->lineno, "syntax error: expected 'key = value'");
		return 1;
	}
	key = xstrndup(start, (size_t)(rstrip(start, sep) - start));
	vend = find_chars_or_comment(sep + 1, end, NULL);
	vstart = lskip(sep + 1, vend);
	vend = rstrip(vstart, vend);
	val = xstrndup(vstart, (size_t)(vend - vstart));

	(void)config_set_key(p, key, val);
	/* Always "success" for inih: its return value then means a syntax
	 * error only, and the reader stops the parse after ours. */
	return 1;
}

/* The message for inih's syntax error on line n. */
static int syntax_error(struct parser *p, int n)
{
	const char *s = p->text, *end = p->text + p->len;

	for (int i = 1; i < n && s < end; i++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		s = nl ? nl + 1 : end;
	}
	s = lskip(s, end);
	if (s < end && *s == '[')
		return line_error(p, n, "syntax error: section header without closing ']'");
	return line_error(p, n, "syntax error: expected '[section]', 'key = value' or a comment");
}

int config_parse_text(struct parser *p, const char *file, bool is_main, const char *text, size_t len)
{
	const char *nul;
	int r;

	p->file = file;
	p->is_main = is_main;
	p->text = text;
	p->len = len;
	p->pos = 0;
	p->lineno = 0;
	p->key_seen = false;
	p->section = SECTION_NONE;
	free(p->section_name);
	p->section_name = NULL;

	nul = memchr(text, 0, len);
	if (nul) {
		int line = 1;
		for (const char *q = text; q < nul; q++)
			line += *q == '\n';
		return line_error(p, line, "line contains a NUL byte");
	}
	/* Skip a UTF-8 BOM here, as inih would, so that lines look the same
	 * to inih and to us. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p->pos = 3;

	r = ini_parse_stream(read_line, p, on_ini_value, p);
	if (r > 0)
		return syntax_error(p, r); /* the earliest error: we stop at ours */
	if (r < 0)
		return line_error(p, p->lineno, "out of memory");
	if (p->r < 0)
		return p->r;
	return config_end_section(p);
}
