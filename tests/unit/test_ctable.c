/* test_ctable.c - the container table of ctable.h: the name and pid
 * indexes, moving and removing entries, and growth to thousands of
 * entries with both indexes still consistent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctable.h"

/* What the supervisor embeds: a link plus the name it points to. */
struct entry {
	struct ctable_link link;
	char name[32];
};

static void entry_init(struct entry *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->link.name = e->name;
}

static void test_empty(void **state)
{
	(void)state;
	struct ctable t;
	ctable_init(&t);
	assert_null(ctable_find_name(&t, "web"));
	assert_null(ctable_find_name(&t, ""));
	assert_null(ctable_find_pid(&t, 1));
	assert_null(ctable_find_pid(&t, 0));
	assert_null(ctable_find_pid(&t, -1));
	assert_int_equal(t.n_names, 0);
	assert_int_equal(t.n_pids, 0);
	ctable_done(&t);
}

static void test_add_find_name(void **state)
{
	(void)state;
	struct ctable t;
	struct entry a, b, c;
	ctable_init(&t);
	entry_init(&a, "web");
	entry_init(&b, "db");
	entry_init(&c, "web2");
	ctable_add(&t, &a.link);
	ctable_add(&t, &b.link);
	ctable_add(&t, &c.link);
	assert_int_equal(t.n_names, 3);
	assert_ptr_equal(ctable_find_name(&t, "web"), &a.link);
	assert_ptr_equal(ctable_find_name(&t, "db"), &b.link);
	assert_ptr_equal(ctable_find_name(&t, "web2"), &c.link);
	assert_null(ctable_find_name(&t, "we"));
	assert_null(ctable_find_name(&t, "web3"));
	assert_null(ctable_find_name(&t, "WEB"));
	assert_null(ctable_find_name(&t, ""));
	/* lookups compare contents, not pointers */
	char key[8] = "db";
	assert_ptr_equal(ctable_find_name(&t, key), &b.link);
	/* a new entry is in no pid index, whatever its link held before */
	assert_int_equal(a.link.pid, 0);
	assert_int_equal(t.n_pids, 0);
	ctable_done(&t);
}

static void test_add_resets_stale_pid(void **state)
{
	(void)state;
	struct ctable t;
	struct entry a;
	ctable_init(&t);
	entry_init(&a, "web");
	a.link.pid = 1234; /* garbage from an earlier life */
	ctable_add(&t, &a.link);
	assert_int_equal(a.link.pid, 0);
	assert_null(ctable_find_pid(&t, 1234));
	assert_int_equal(t.n_pids, 0);
	ctable_done(&t);
}

static void test_set_find_pid(void **state)
{
	(void)state;
	struct ctable t;
	struct entry a, b;
	ctable_init(&t);
	entry_init(&a, "web");
	entry_init(&b, "db");
	ctable_add(&t, &a.link);
	ctable_add(&t, &b.link);
	ctable_set_pid(&t, &a.link, 100);
	ctable_set_pid(&t, &b.link, 200);
	assert_int_equal(t.n_pids, 2);
	assert_ptr_equal(ctable_find_pid(&t, 100), &a.link);
	assert_ptr_equal(ctable_find_pid(&t, 200), &b.link);
	assert_int_equal(a.link.pid, 100);
	assert_null(ctable_find_pid(&t, 300));
	assert_null(ctable_find_pid(&t, 0));
	assert_null(ctable_find_pid(&t, -100));
	assert_null(ctable_find_pid(&t, -1));
	/* the name index is unaffected */
	assert_ptr_equal(ctable_find_name(&t, "web"), &a.link);
	assert_int_equal(t.n_names, 2);
	ctable_done(&t);
}

/* A restart gives the container a new pid: the old one no longer finds it. */
static void test_move_pid(void **state)
{
	(void)state;
	struct ctable t;
	struct entry a, b;
	ctable_init(&t);
	entry_init(&a, "web");
	entry_init(&b, "db");
	ctable_add(&t, &a.link);
	ctable_add(&t, &b.link);
	ctable_set_pid(&t, &a.link, 100);
	ctable_set_pid(&t, &a.link, 101);
	assert_null(ctable_find_pid(&t, 100));
	assert_ptr_equal(ctable_find_pid(&t, 101), &a.link);
	assert_int_equal(t.n_pids, 1);
	/* the same pid again is harmless */
	ctable_set_pid(&t, &a.link, 101);
	assert_ptr_equal(ctable_find_pid(&t, 101), &a.link);
	assert_int_equal(t.n_pids, 1);
	/* pid reuse: a's old pid now belongs to b */
	ctable_set_pid(&t, &b.link, 100);
	assert_ptr_equal(ctable_find_pid(&t, 100), &b.link);
	assert_ptr_equal(ctable_find_pid(&t, 101), &a.link);
	assert_int_equal(t.n_pids, 2);
	ctable_done(&t);
}

/* pid 0 or negative takes the entry out of the pid index. */
static void test_clear_pid(void **state)
{
	(void)state;
	struct ctable t;
	struct entry a;
	ctable_init(&t);
	entry_init(&a, "web");
	ctable_add(&t, &a.link);
	ctable_set_pid(&t, &a.link, 100);
	ctable_set_pid(&t, &a.link, 0);
	assert_null(ctable_find_pid(&t, 100));
	assert_int_equal(a.link.pid, 0);
	assert_int_equal(t.n_pids, 0);
	/* clearing twice is harmless */
	ctable_set_pid(&t, &a.link, 0);
	assert_int_equal(t.n_pids, 0);
	ctable_set_pid(&t, &a.link, 100);
	ctable_set_pid(&t, &a.link, -5);
	assert_null(ctable_find_pid(&t, 100));
	assert_null(ctable_find_pid(&t, -5));
	assert_int_equal(a.link.pid, 0);
	assert_int_equal(t.n_pids, 0);
	assert_ptr_equal(ctable_find_name(&t, "web"), &a.link);
	ctable_done(&t);
}

static void test_remove(void **state)
{
	(void)state;
	struct ctable t;
	struct entry a, b;
	ctable_init(&t);
	entry_init(&a, "web");
	entry_init(&b, "db");
	ctable_add(&t, &a.link);
	ctable_add(&t, &b.link);
	ctable_set_pid(&t, &a.link, 100);
	ctable_set_pid(&t, &b.link, 200);

	ctable_remove(&t, &a.link);
	assert_null(ctable_find_name(&t, "web"));
	assert_null(ctable_find_pid(&t, 100));
	assert_int_equal(t.n_names, 1);
	assert_int_equal(t.n_pids, 1);
	assert_ptr_equal(ctable_find_name(&t, "db"), &b.link);
	assert_ptr_equal(ctable_find_pid(&t, 200), &b.link);

	/* removing one without a pid */
	ctable_set_pid(&t, &b.link, 0);
	ctable_remove(&t, &b.link);
	assert_null(ctable_find_name(&t, "db"));
	assert_int_equal(t.n_names, 0);
	assert_int_equal(t.n_pids, 0);

	/* and back in (a reload re-adding a container) */
	ctable_add(&t, &a.link);
	assert_ptr_equal(ctable_find_name(&t, "web"), &a.link);
	assert_null(ctable_find_pid(&t, 100));
	ctable_set_pid(&t, &a.link, 300);
	assert_ptr_equal(ctable_find_pid(&t, 300), &a.link);
	assert_int_equal(t.n_names, 1);
	assert_int_equal(t.n_pids, 1);
	ctable_done(&t);
}

/* Longest chain of an index (through the public bucket arrays). */
static size_t longest_chain(const struct ctable *t, bool by_pid)
{
	size_t longest = 0;
	for (size_t b = 0; b < t->n_buckets; b++) {
		size_t n = 0;
		for (const struct ctable_link *l = by_pid ? t->by_pid[b] : t->by_name[b]; l;
		     l = by_pid ? l->pid_next : l->name_next)
			n++;
		if (n > longest)
			longest = n;
	}
	return longest;
}

/* Removing entries that share chains with others keeps the others
 * reachable: 60 entries in the initial 64 buckets share chains. */
static void test_remove_from_chains(void **state)
{
	(void)state;
	enum { N = 60 }; /* stays below the first growth */
	struct ctable t;
	struct entry *e = calloc(N, sizeof(*e));
	assert_non_null(e);
	ctable_init(&t);
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "c%d", i);
		entry_init(&e[i], name);
		ctable_add(&t, &e[i].link);
		ctable_set_pid(&t, &e[i].link, 1000 + i * 64);
	}
	assert_int_equal(t.n_buckets, 64); /* no growth: chains are shared */
	assert_true(longest_chain(&t, false) >= 2);
	assert_true(longest_chain(&t, true) >= 2);
	for (int i = 0; i < N; i += 3)
		ctable_remove(&t, &e[i].link);
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0) {
			assert_null(ctable_find_name(&t, e[i].name));
			assert_null(ctable_find_pid(&t, 1000 + i * 64));
		} else {
			assert_ptr_equal(ctable_find_name(&t, e[i].name), &e[i].link);
			assert_ptr_equal(ctable_find_pid(&t, 1000 + i * 64), &e[i].link);
		}
	}
	assert_int_equal(t.n_names, N - N / 3);
	assert_int_equal(t.n_pids, N - N / 3);
	ctable_done(&t);
	free(e);
}

/* 5000 entries: many doublings past the initial 64 buckets, with pids
 * indexed while the table grows and after. */
static void test_growth(void **state)
{
	(void)state;
	enum { N = 5000 };
	struct ctable t;
	struct entry *e = calloc(N, sizeof(*e));
	assert_non_null(e);
	ctable_init(&t);
	size_t initial = t.n_buckets;
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "container-%04d", i);
		entry_init(&e[i], name);
		ctable_add(&t, &e[i].link);
		if (i % 2 == 0)
			ctable_set_pid(&t, &e[i].link, 2 + i * 7); /* before later growth */
	}
	for (int i = 1; i < N; i += 2)
		ctable_set_pid(&t, &e[i].link, 4194304 - i); /* near pid_max, after growth */
	assert_true(t.n_buckets > initial);
	assert_true(t.n_buckets >= N);
	assert_int_equal(t.n_buckets & (t.n_buckets - 1), 0);
	assert_int_equal(t.n_names, N);
	assert_int_equal(t.n_pids, N);

	int missing_name = 0, missing_pid = 0;
	for (int i = 0; i < N; i++) {
		pid_t pid = i % 2 == 0 ? 2 + i * 7 : 4194304 - i;
		if (ctable_find_name(&t, e[i].name) != &e[i].link)
			missing_name++;
		if (ctable_find_pid(&t, pid) != &e[i].link)
			missing_pid++;
	}
	assert_int_equal(missing_name, 0);
	assert_int_equal(missing_pid, 0);
	assert_null(ctable_find_name(&t, "container-5000"));
	assert_null(ctable_find_pid(&t, 1));

	/* move every pid, then remove half: the rest still found both ways */
	for (int i = 0; i < N; i++)
		ctable_set_pid(&t, &e[i].link, 100000 + i);
	for (int i = 0; i < N; i += 2)
		ctable_remove(&t, &e[i].link);
	for (int i = 0; i < N; i++) {
		struct ctable_link *want = i % 2 ? &e[i].link : NULL;
		if (ctable_find_name(&t, e[i].name) != want)
			missing_name++;
		if (ctable_find_pid(&t, 100000 + i) != want)
			missing_pid++;
		if (ctable_find_pid(&t, i % 2 == 0 ? 2 + i * 7 : 4194304 - i))
			missing_pid++; /* an old pid still indexed */
	}
	assert_int_equal(missing_name, 0);
	assert_int_equal(missing_pid, 0);
	assert_int_equal(t.n_names, N / 2);
	assert_int_equal(t.n_pids, N / 2);
	ctable_done(&t);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_find_name),
		cmocka_unit_test(test_add_resets_stale_pid),
		cmocka_unit_test(test_set_find_pid),
		cmocka_unit_test(test_move_pid),
		cmocka_unit_test(test_clear_pid),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_remove_from_chains),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
