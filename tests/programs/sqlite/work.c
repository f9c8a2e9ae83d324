/* A fixed SQLite workload for the call-count test and the bench: ROWS rows (default 1000) into
 * an in-memory table with an index, then a few queries over them. Prints what the queries
 * give, so a run under a tracer can be checked against one without; with a second argument
 * "-t", also "time NS" on stderr: its own CLOCK_MONOTONIC time from open to close, so that no
 * tracer's start or stop is counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite3.h"

static sqlite3 *db;

static void must(int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "work: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

static int print_row(void *ctx, int n, char **values, char **names)
{
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", values[i] ? values[i] : "NULL");
	putchar('\n');
	return 0;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int rows = argc > 1 ? atoi(argv[1]) : 1000;
	int timed = argc > 2 && !strcmp(argv[2], "-t");
	unsigned long long t0 = now_ns();
	sqlite3_stmt *ins;
	char text[32];

	must(sqlite3_open(":memory:", &db), "open");
	must(sqlite3_exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL)", NULL, NULL,
			  NULL),
	     "create");
	must(sqlite3_prepare_v2(db, "INSERT INTO t(b, c) VALUES(?, ?)", -1, &ins, NULL), "prepare");
	must(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
	for (int i = 0; i < rows; i++) {
		snprintf(text, sizeof(text), "row %d", (i * 7919) % 1000);
		must(sqlite3_bind_text(ins, 1, text, -1, SQLITE_TRANSIENT), "bind");
		must(sqlite3_bind_double(ins, 2, i * 0.5), "bind");
		must(sqlite3_step(ins), "insert");
		must(sqlite3_reset(ins), "reset");
	}
	must(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	sqlite3_finalize(ins);
	must(sqlite3_exec(db, "CREATE INDEX tb ON t(b)", NULL, NULL, NULL), "index");
	must(sqlite3_exec(db,
			  "SELECT count(*), sum(c) FROM t WHERE b LIKE '%7%';"
			  "SELECT b, count(*) FROM t GROUP BY b ORDER BY 2 DESC, 1 LIMIT 3;"
			  "SELECT max(length(b)) FROM t WHERE a % 3 = 0",
			  print_row, NULL, NULL),
	     "select");
	int rc = sqlite3_close(db) == SQLITE_OK ? 0 : 1;
	if (timed)
		fprintf(stderr, "time %llu\n", now_ns() - t0);
	return rc;
}
