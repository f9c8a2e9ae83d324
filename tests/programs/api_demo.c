/* A program that uses libhwtrace (include/hwtrace.h), with facts known from its source:
 *   main thread: 10,000 instants "tick" {i, tid, even, label, x}; a counter "queue" with three
 *   attributes set 1,000 times in turn (depth = k, bytes = 10 k, rate = k / 4, attribute k % 3
 *   at change k) logging on every change, then 100 more changes with the trigger off and an
 *   explicit log after every tenth; an object "state" logged 10 times (trigger off) with
 *   {step: s, pos: {x: s, y: [-s, s + 0.5], name: "n\u00e9" s}, ok: s is even} ("secret" is
 *   excluded).
 *   thread "spans": 10 spans "batch" {batch, tid}, each holding a chain of 9 nested spans
 *   "step" (depths 2..10) annotated {depth} at the start and {done: depth * 10} at the end: 100
 *   spans; inside the innermost step of each batch a link "feeds" leaves for...
 *   thread "sink": 10 spans "consume" {n, tid}, each where one link arrives.
 *   Then (argument "fork") a child of fork() makes 100 instants "child tick" {i} and sets the
 *   counter's depth to -1 and logs it (tracks of its own: depth -1, bytes 10990, rate 274.25),
 *   then execs this program with "exec", which makes
 *   10 instants "exec tick" {i}.
 * With "burst N" instead: N instants "burst" {i} as fast as it can, more than the recorder
 * drains: what the ring cannot take is lost, counted.
 * Prints the same line with or without hwtrace. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwtrace.h"

#ifdef __SANITIZE_ADDRESS__
/* The sanitizer build (make SAN=1): no leak check at exit, which runs in a process of its own
 * (counted by the recording) and fails under strace. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static struct hwt_link links[10];
static int nlinks, taken;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static long tid(void)
{
	return (long)syscall(SYS_gettid);
}

static void steps(int depth)
{
	if (depth > 10)
		return;
	hwt_span_begin("step");
	hwt_span_annotate(HWT_ARG("depth", depth));
	if (depth == 10) {
		struct hwt_link l = hwt_link_out("feeds");
		pthread_mutex_lock(&mu);
		links[nlinks++] = l;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	steps(depth + 1);
	hwt_span_end(HWT_ARG("done", depth * 10));
}

static void *spans(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "spans"); /* pthread_setname_np() writes to a file */
	for (int b = 0; b < 10; b++) {
		hwt_span_begin("batch", HWT_ARG("batch", b), HWT_ARG("tid", tid()));
		steps(2);
		hwt_span_end();
	}
	return NULL;
}

static void *sink(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "sink");
	for (int n = 0; n < 10; n++) {
		pthread_mutex_lock(&mu);
		while (taken == nlinks)
			pthread_cond_wait(&cv, &mu);
		struct hwt_link l = links[taken++];
		pthread_mutex_unlock(&mu);
		hwt_span_begin("consume", HWT_ARG("n", n), HWT_ARG("tid", tid()));
		hwt_link_in(l);
		hwt_span_end();
	}
	return NULL;
}

static void counter_and_object(struct hwt_counter *q)
{
	static const char *const attrs[3] = { "depth", "bytes", "rate" };
	for (int k = 0; k < 1000; k++) {
		double v = k % 3 == 0 ? k : k % 3 == 1 ? 10.0 * k : k / 4.0;
		hwt_counter_set(q, attrs[k % 3], v);
	}
	hwt_counter_trigger(q, 0);
	for (int k = 1000; k < 1100; k++) {
		double v = k % 3 == 0 ? k : k % 3 == 1 ? 10.0 * k : k / 4.0;
		hwt_counter_set(q, attrs[k % 3], v);
		if (k % 10 == 9)
			hwt_counter_log(q);
	}

	struct hwt_object *o = hwt_object_new("state");
	hwt_object_trigger(o, 0);
	hwt_object_exclude(o, "secret");
	for (int s = 0; s < 10; s++) {
		hwt_object_set(o, "step", s);
		hwt_object_json(o, "pos",
				"{\"x\": %d, \"y\": [%d, %.1f], \"name\": \"n\\u00e9%d\"}", s, -s,
				s + 0.5, s);
		hwt_object_set(o, "ok", (_Bool)(s % 2 == 0));
		hwt_object_set(o, "secret", "hidden");
		hwt_object_log(o);
	}
	hwt_object_free(o);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec")) {
		for (int i = 0; i < 10; i++)
			hwt_instant("exec tick", HWT_ARG("i", i));
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "burst")) {
		long n = atol(argv[2]);
		for (long i = 0; i < n; i++)
			hwt_instant("burst", HWT_ARG("i", i));
		printf("api_demo: %ld instants\n", n);
		return 0;
	}
	long me = tid();
	for (int i = 0; i < 10000; i++)
		hwt_instant("tick", HWT_ARG("i", i), HWT_ARG("tid", me),
			    HWT_ARG("even", i % 2 == 0), HWT_ARG("label", i % 2 ? "odd" : "even"),
			    HWT_ARG("x", i * 0.5));
	struct hwt_counter *q = hwt_counter_new("queue");
	counter_and_object(q);

	pthread_t a, b;
	pthread_create(&b, NULL, sink, NULL);
	pthread_create(&a, NULL, spans, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);

	if (argc > 1 && !strcmp(argv[1], "fork")) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			for (int i = 0; i < 100; i++)
				hwt_instant("child tick", HWT_ARG("i", i));
			hwt_counter_set(q, "depth", -1);
			hwt_counter_log(q);
			execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			printf("api_demo: the child failed\n");
	}
	hwt_counter_free(q);
	printf("api_demo: 10000 instants, 1100 counter changes, 10 snapshots, 110 spans, 10 "
	       "links%s\n",
	       hwt_active() ? "" : "");
	return 0;
}
