/* config-internal.h - the parser state that config.c shares with the files
 * split off it: config_ini.c (lines, as inih sees them) and config_files.c
 * (reading files and include globs). Nothing else includes it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config.h"
#include "ctable.h"
#include "macro.h"

#define ECHO_MAX 80 /* bytes of a value quoted in a message */
#define MAX_KEYS 32 /* per-section table of "line where key was set" */

enum section_kind { SECTION_NONE, SECTION_SUPD, SECTION_CONTAINER };

struct include_pattern {
	char *pattern;
	int line; /* in the main file */
};

/* An entry of struct parser's defined table; link comes first, so a found
 * link is the entry. */
struct defined_name {
	struct ctable_link link; /* link.name = cfg->containers[index].name */
	int index;
};

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct parser {
	struct sup_err *err;
	int r;                   /* first error, 0 while there is none */
	struct sup_config *cfg;  /* being built; owned until handed out */
	size_t n_containers_alloc;
	struct ctable defined;   /* the names in cfg->containers, to find a duplicate */
	struct defined_name **defined_names;
	size_t n_defined;
	char *main_file;

	int supd_line;                /* of [supd], 0: none yet */
	int supd_key_line[MAX_KEYS];  /* line where each supd_keys[] entry was set */
	struct include_pattern *includes;
	size_t n_includes;
	struct file_id *files;        /* files parsed so far, to skip repeats */
	size_t n_files;

	/* the file being parsed */
	const char *file;
	bool is_main;
	const char *text;
	size_t len, pos;
	int lineno;
	const char *line;  /* current line, full length, no newline */
	size_t line_len;
	bool key_seen;     /* mirrors inih's prev_name: a key line since the last header */

	/* the section being parsed */
	enum section_kind section;
	char *section_name; /* between the brackets, NULL before the first header */
	int section_line;
	int *key_line;                 /* supd_key_line or ctr_key_line */
	int ctr_key_line[MAX_KEYS];
	struct container_config cur;   /* valid while section == SECTION_CONTAINER */

	char echo_buf[ECHO_MAX + 4];   /* see echo() */
};

/* Sets p->err to "FILE:LINE: [SECTION] key 'KEY': why" (section and key
 * optional) and p->r; returns -EINVAL. */
int config_error_at(struct parser *p, const char *file, int line, const char *section, const char *key,
		    const char *fmt, ...) _printf_(6, 7);

/* A key or its value / a whole section / a line, in the file being parsed;
 * and [supd] of the main file, once included files are being read. */
#define key_error(p, line, key, ...) config_error_at(p, (p)->file, line, (p)->section_name, key, __VA_ARGS__)
#define section_error(p, line, ...) config_error_at(p, (p)->file, line, (p)->section_name, NULL, __VA_ARGS__)
#define line_error(p, line, ...) config_error_at(p, (p)->file, line, NULL, NULL, __VA_ARGS__)
#define supd_error(p, line, key, ...) config_error_at(p, (p)->main_file, line, "supd", key, __VA_ARGS__)

/* config.c: meaning. A "key = value" line of the current section; a
 * section header (name is what is between the brackets, len bytes); the
 * end of the current section (at the next header or the end of a file). */
int config_set_key(struct parser *p, const char *key, const char *value);
int config_begin_section(struct parser *p, const char *name, size_t len);
int config_end_section(struct parser *p);

/* config_ini.c: parse one file's text (len bytes) with inih, calling the
 * three above; is_main: the file given to config_load(). */
int config_parse_text(struct parser *p, const char *file, bool is_main, const char *text, size_t len);

/* config_files.c */
int config_open_file(const char *path, struct stat *ret_st);
const char *config_open_error(int r);
int config_read_fd(int fd, char **ret, size_t *ret_len);
int config_load_include(struct parser *p, const struct include_pattern *inc, const char *dir);
char *config_glob_escaped_dir(const char *path);
char *config_path_join(const char *a, const char *b);
