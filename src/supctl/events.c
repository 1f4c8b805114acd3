/* events.c - `supctl events`: the event log from the database, oldest
 * first; with -f it keeps printing new events. Following needs no polling
 * and no help from supd: in WAL mode every commit writes the database's
 * -wal file, so an inotify watch on the database directory wakes the
 * follower, which then reads what is newer than the last id it printed. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "fd.h"
#include "macro.h"
#include "parse.h"
#include "supctl.h"

int parse_since(const char *s, int64_t *ret_ms)
{
	uint64_t ms;
	const char *why;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (parse_duration_ms(s, &ms, &why) == 0) {
		*ret_ms = now_ms - (int64_t)ms;
		return 0;
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || (*end && strcmp(end, "Z")))
		return -EINVAL;
	*ret_ms = (int64_t)timegm(&tm) * 1000;
	return 0;
}

static void print_event(const struct supctl_opts *o, const struct store_event_row *e, bool *first)
{
	char t[32];
	store_format_time(e->time_ms, t, sizeof(t));
	if (!o->json) {
		printf("%s  %-16s  %-18s  %s\n", t, e->container[0] ? e->container : "-", e->type, e->detail);
		return;
	}
	if (!o->follow)
		printf("%s\n  ", *first ? "" : ",");
	*first = false;
	printf("{\"id\": %lld, \"time\": ", (long long)e->id);
	json_print_string(stdout, t);
	printf(", \"container\": ");
	if (e->container[0])
		json_print_string(stdout, e->container);
	else
		fputs("null", stdout);
	printf(", \"type\": ");
	json_print_string(stdout, e->type);
	printf(", \"detail\": ");
	json_print_string(stdout, e->detail);
	printf("}%s", o->follow ? "\n" : "");
}

/* Print every matching event after *after_id; advance it. */
static int print_new(const struct supctl_opts *o, struct store *s, int64_t *after_id, bool *first)
{
	for (;;) {
		struct store_event_row *rows = NULL;
		int n = 0;
		int r = store_list_events(s, o->container, *after_id, 1000, &rows, &n);
		if (r < 0)
			return r;
		for (int i = 0; i < n; i++) {
			if (rows[i].time_ms >= o->since_ms)
				print_event(o, &rows[i], first);
			*after_id = rows[i].id;
		}
		free(rows);
		if (n < 1000)
			return 0;
	}
}

/* How long the WAL must stay quiet before the settling read (see follow()). */
#define SETTLE_MS 50

static int follow(const struct supctl_opts *o, struct store *s, int64_t *after_id, bool *first)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", o->db_path);
	char *slash = strrchr(dir, '/');
	const char *base = o->db_path;
	if (slash) {
		*slash = 0;
		base = slash + 1;
	} else
		strcpy(dir, ".");
	if (!*dir)
		strcpy(dir, "/");
	_cleanup_close_ int in = inotify_init1(IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
		return -errno;
	/* Watch first, then read once more: an event committed between the
	 * first read and the watch would otherwise wait for the next commit,
	 * which may never come. */
	int r = print_new(o, s, after_id, first);
	if (r < 0)
		return r;
	size_t blen = strlen(base);
	char ev[sizeof(struct inotify_event) + NAME_MAX + 1] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool settle = false;
	for (;;) {
		fflush(stdout);
		/* SQLite writes a commit's WAL frames (the inotify event) before it
		 * publishes the commit in the mmapped -shm index (no event): a read
		 * right after the event can miss the commit that caused it. So after
		 * activity, read once more when the WAL has been quiet for
		 * SETTLE_MS; when idle, block without a timeout. */
		struct pollfd pfd = { .fd = in, .events = POLLIN };
		int pr = poll(&pfd, 1, settle ? SETTLE_MS : -1);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr < 0)
			continue;
		bool ours = false;
		if (pr > 0) {
			ssize_t n = fd_read(in, ev, sizeof(ev));
			if (n < 0)
				return (int)n;
			for (char *p = ev; p < ev + n;) {
				struct inotify_event *e = (struct inotify_event *)p;
				/* sup.db or sup.db-wal; not the -shm index, written by readers too */
				if (e->len && !strncmp(e->name, base, blen) &&
				    (!e->name[blen] || !strcmp(e->name + blen, "-wal")))
					ours = true;
				p += sizeof(*e) + e->len;
			}
		}
		/* pr == 0: the WAL went quiet, the settling read. */
		if (pr == 0 || ours) {
			if ((r = print_new(o, s, after_id, first)) < 0)
				return r;
			settle = ours;
		}
	}
}

int supctl_events(const struct supctl_opts *o)
{
	struct store *s = NULL;
	struct sup_err err = { 0 };
	int r = store_open_readonly(o->db_path, &s, &err);
	if (r == -ENOENT) {
		fprintf(stderr, "supctl: no database at %s: supd has not run with this configuration yet; start it with 'supd -c %s'\n",
			o->db_path, o->config_path);
		return SUPCTL_FAIL;
	}
	if (r < 0) {
		fprintf(stderr, "supctl: database %s: %s\n", o->db_path, err.msg);
		return SUPCTL_FAIL;
	}
	int64_t after_id = 0;
	bool first = true;
	if (o->json && !o->follow)
		printf("[");
	r = print_new(o, s, &after_id, &first);
	if (o->json && !o->follow)
		printf("%s]\n", first ? "" : "\n");
	if (r == 0 && o->follow)
		r = follow(o, s, &after_id, &first);
	store_close(s);
	if (r < 0) {
		fprintf(stderr, "supctl: reading events from %s: %s\n", o->db_path, strerror(-r));
		return SUPCTL_FAIL;
	}
	return SUPCTL_OK;
}
