/* The `watch` counter plugin: a global variable of the target, found by its symbol, as a counter
 * track (or, for bytes=N, an object track of hex text), read every interval or, with
 * mode=write, taken from a hardware write breakpoint at every store. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "hwtrace/error.h"
#include "core/util.h"
#include "plugins/counters/watch.h"
#include "plugins/counters/watch_bp.h"
#include "plugins/counters/watch_hold.h"

#define WATCH_MAX_BYTES 4096
#define WATCH_MAX_NOTES 8

enum { OPT_SYM, OPT_TYPE, OPT_BYTES, OPT_INTERVAL, OPT_MODE, WATCH_NOPTIONS };
enum { MODE_READ, MODE_WRITE };

static const struct hwt_option watch_options[WATCH_NOPTIONS] = {
	[OPT_SYM] = { .name = "sym",
		      .type = HWT_OPT_STRING,
		      .arg = "[LIB:]NAME",
		      .help = "the global variable: NAME in the program's symbol table (.symtab, "
			      ".dynsym), checked before it starts; or LIB:NAME in the shared "
			      "library LIB (a path, or a file name: libfoo.so also matches "
			      "libfoo.so.1), watched from when the program maps it, dlopen too" },
	[OPT_TYPE] = { .name = "type",
		       .type = HWT_OPT_ENUM,
		       .choices = hwt_watch_type_names,
		       .help = "its type, shown as a counter track named NAME (64-bit values "
			       "beyond 2^53 lose their low bits as doubles)" },
	[OPT_BYTES] = { .name = "bytes",
			.type = HWT_OPT_SIZE,
			.min = 1,
			.max = WATCH_MAX_BYTES,
			.arg = "N",
			.help = "instead of type=: N bytes (a struct), shown as hex text on an "
				"object track named NAME (a counter holds only numbers), each time "
				"they change; mode=read only" },
	[OPT_INTERVAL] = { .name = "interval",
			   .type = HWT_OPT_DURATION,
			   .min = 100000,
			   .max = 60000000000,
			   .def = "10ms",
			   .help = "mode=read: how often to read it" },
	[OPT_MODE] = { .name = "mode",
		       .type = HWT_OPT_ENUM,
		       .def = "read",
		       .choices = (const char *const[]){ "read", "write", NULL },
		       .help = "read: read it every interval (process_vm_readv); write: a "
			       "hardware write breakpoint records every store, at its time, "
			       "with the value it wrote (from the store's source register, "
			       "else read back at once; a note counts those left out); a PIE "
			       "or a library is held at exec (ptrace) until it is set "
			       "(x86-64; 1, 2, 4 or 8 aligned bytes; 10-20 us per write)" },
};

/* One plugin instance: the variable, where it is, and what the reader thread found that poll()
 * has not handed to the host yet. */
struct watch {
	struct hwt_host *h;
	int pid, ncpus;
	char name[256];	     /* the symbol */
	char lib[PATH_MAX];  /* the LIB of sym=LIB:NAME; "" for the program */
	char prog[PATH_MAX]; /* the program file */
	struct stat prog_st; /* its device and inode, to see the exec */
	char file[PATH_MAX]; /* the file that defines the variable, once found */
	int type;	     /* enum hwt_watch_type, -1 for bytes */
	size_t len;	     /* bytes watched */
	int mode;	     /* MODE_READ or MODE_WRITE */
	uint64_t interval;   /* ns */
	int track;	     /* counter or object track */
	struct hwt_watch_sym sym;
	struct hwt_watch_loader loader; /* mode=read of a library's variable waits for it */
	int have_sym;			/* sym is found (a library's only once mapped) */
	uint64_t addr;			/* its address in the target, 0 until known */
	uint64_t exec_ts;		/* when the thread saw the exec */
	struct hwt_watch_bp *bp;
	pthread_t thread;
	int thread_started, joined;
	struct hwt_watch_member member; /* held at exec with the others on its program */
	int held;			/* its thread waits for the group to let it go */
	int stop;			/* atomic: the thread ends */
	int failed_reported;
	uint8_t last[WATCH_MAX_BYTES];
	int have_last, read_errors;
	int left; /* mode=read: the process runs another program now */
	struct hwt_args *args;
	/* Between the thread and poll(), under lock. */
	pthread_mutex_t lock;
	uint64_t *ts;
	uint8_t *vals; /* len bytes each */
	size_t n, cap_ts, cap_vals;
	char notes[WATCH_MAX_NOTES][320];
	int nnotes;
	char failure[320]; /* the thread gave up: poll() reports it */
};

static void add_note(struct watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_note(struct watch *w, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&w->lock);
	if (w->nnotes < WATCH_MAX_NOTES) {
		va_start(ap, fmt);
		vsnprintf(w->notes[w->nnotes++], sizeof(w->notes[0]), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&w->lock);
}

static void fail(struct watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct watch *w, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&w->lock);
	va_start(ap, fmt);
	vsnprintf(w->failure, sizeof(w->failure), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&w->lock);
}

/* A value for poll() to hand over: @val (w->len bytes) at @ts. */
static void push(void *ctx, uint64_t ts, const uint8_t *val)
{
	struct watch *w = ctx;

	pthread_mutex_lock(&w->lock);
	if (!HWT_ARRAY_GROW(w->ts, &w->cap_ts, w->n + 1) &&
	    !HWT_ARRAY_GROW(w->vals, &w->cap_vals, (w->n + 1) * w->len)) {
		w->ts[w->n] = ts;
		memcpy(w->vals + w->n * w->len, val, w->len);
		w->n++;
	}
	pthread_mutex_unlock(&w->lock);
}

static int gone(const struct watch *w)
{
	/* The host keeps the target unreaped until the last poll: ask it, not kill(). */
	return hwt_host_target_exited(w->h) || (kill(w->pid, 0) && errno == ESRCH);
}

/* ---- finding the variable in the target -------------------------------------------------- */

/* Has the target exec'ed the program? Its /proc/PID/exe is then the program's file. */
static int execed(const struct watch *w)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", w->pid);
	return !stat(path, &st) && st.st_dev == w->prog_st.st_dev && st.st_ino == w->prog_st.st_ino;
}

/* Does the target run another program than ours now (it exec'ed one)? Not when it cannot be
 * told: while it execs, once it exited. */
static int runs_other(const struct watch *w)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", w->pid);
	return !stat(path, &st) &&
	       (st.st_dev != w->prog_st.st_dev || st.st_ino != w->prog_st.st_ino);
}

/* Is mapping @m of the file the variable is in? For a library, the first one named LIB gives
 * the file, whose symbol is then looked up. Returns 1 yes, 0 no, < 0 failed (w->failure). */
static int is_file(struct watch *w, const struct hwt_watch_map *m)
{
	char why[PATH_MAX + 128];

	if (!m->ino)
		return 0;
	if (!w->lib[0])
		return m->ino == w->prog_st.st_ino &&
		       makedev(m->major, m->minor) == w->prog_st.st_dev;
	if (w->have_sym)
		return !strcmp(m->path, w->file);
	if (!hwt_watch_lib_match(m->path, w->lib))
		return 0;
	int err = hwt_watch_sym_find(m->path, w->name, &w->sym, why, sizeof(why));
	if (err) {
		fail(w, "sym=%s:%s: %s", w->lib, w->name, why);
		return err;
	}
	snprintf(w->file, sizeof(w->file), "%s", m->path);
	w->have_sym = 1;
	return 1;
}

/* Looks for the variable's file in /proc/PID/maps: sets w->addr when it is mapped. A library's
 * variable only once its page is writable: the loader maps the whole file first, then its
 * segments over it, and reads before that would show bytes of the file that are not it. */
static int locate(struct watch *w)
{
	char path[64], line[PATH_MAX + 128];
	struct hwt_watch_map m;
	uint64_t addr = 0;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", w->pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (!w->addr && !err && fgets(line, sizeof(line), f)) {
		if (hwt_watch_map_parse(line, &m))
			continue;
		if (!addr) {
			err = is_file(w, &m);
			addr = err > 0 ? hwt_watch_sym_addr(&w->sym, &m) : 0;
			err = err > 0 ? 0 : err;
		}
		if (addr && (!w->lib[0] || (m.writable && addr >= m.start && addr < m.end)))
			w->addr = addr;
	}
	fclose(f);
	/* Reads wait until the loader cleared the library's .bss (a breakpoint sees it do so). */
	if (w->addr && w->lib[0] && w->mode == MODE_READ &&
	    !hwt_watch_loader_idle(w->pid, w->prog, &w->loader))
		w->addr = 0;
	return err;
}

/* Reads the variable's bytes into @buf; 0 or -1 (errno). */
static int read_var(const struct watch *w, uint8_t *buf)
{
	struct iovec l = { buf, w->len }, r = { (void *)w->addr, w->len };

	return process_vm_readv(w->pid, &l, 1, &r, 1, 0) == (ssize_t)w->len ? 0 : -1;
}

/* The variable is mapped: arm the breakpoint (unless it was armed before exec) and say where.
 * @held: the program is stopped before its first instruction (or, for a library, before the
 * library's code ran): its value is the file's. */
static int found(struct watch *w, int held)
{
	char why[256];
	uint8_t now[8];

	add_note(w, "watch: %s is at 0x%llx in %s", w->name, (unsigned long long)w->addr,
		 w->lib[0] ? w->file : w->prog);
	if (w->bp)
		hwt_watch_bp_execs_after(w->bp, hwt_host_now());
	if (w->mode != MODE_WRITE || w->bp)
		return 0;
	w->bp = hwt_watch_bp_open(w->pid, w->ncpus, w->addr, w->len, 0, held ? w->sym.init : NULL,
				  why, sizeof(why));
	if (!w->bp) {
		fail(w, "sym=%s: %s", w->name, why);
		return HWT_E_INVAL;
	}
	hwt_watch_bp_execs_after(w->bp, hwt_host_now());
	if (held)
		return 0;
	/* Read after the breakpoint is set: later writes are its samples. A differing value
	 * means the program wrote before we could watch it. */
	if (!read_var(w, now)) {
		hwt_watch_bp_set_value(w->bp, now);
		if (memcmp(now, w->sym.init, w->len))
			add_note(w,
				 "watch: %s was written before its breakpoint was set (%llu us "
				 "after exec): those writes are not recorded",
				 w->name, (unsigned long long)(hwt_host_now() - w->exec_ts) / 1000);
	}
	return 0;
}

/* ---- holding the program at exec ------------------------------------------------------ */

/* At the held program's exec or mmaps, under the groups' lock: sets the breakpoint if it can. */
static int member_ready(struct hwt_watch_member *m, int *lib)
{
	struct watch *w = (struct watch *)((char *)m - offsetof(struct watch, member));

	if (!w->exec_ts && execed(w))
		w->exec_ts = hwt_host_now();
	int err = w->exec_ts ? locate(w) : 0;
	if (err || (w->addr && found(w, 1)))
		return 1; /* failed: its thread says why */
	*lib = w->exec_ts && w->lib[0];
	return w->addr != 0;
}

/* ---- the thread ------------------------------------------------------------------------ */

static void sleep_until(uint64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000ull), (long)(t % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* mode=read: one value now. */
static void read_once(struct watch *w)
{
	uint8_t buf[WATCH_MAX_BYTES];
	uint64_t ts = hwt_host_now();

	if (w->left)
		return;
	if (runs_other(w)) {
		w->left = 1;
		add_note(w, "watch: %s: the process exec'ed another program: reads stopped",
			 w->name);
		return;
	}
	if (read_var(w, buf)) {
		if (errno == EFAULT) /* unmapped (dlclose, an exec of the same program) */
			w->addr = 0;
		if (errno != ESRCH && errno != EFAULT && !w->read_errors++)
			add_note(w, "watch: cannot read %s at 0x%llx: %s", w->name,
				 (unsigned long long)w->addr, strerror(errno));
		return;
	}
	/* Counters every interval; hex text only when it changes. */
	if (w->type < 0 && w->have_last && !memcmp(buf, w->last, w->len))
		return;
	memcpy(w->last, buf, w->len);
	w->have_last = 1;
	push(w, ts, buf);
}

/* Waits for the exec and the mapping (fast at first: the program may write its variable soon
 * after it starts), then reads or drains every interval until the target is gone or stop. */
static void *watch_thread(void *arg)
{
	struct watch *w = arg;
	uint64_t start = hwt_host_now(), next = start;
	int held = w->held;

	while (held && !hwt_watch_group_released(&w->member) &&
	       !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
		sleep_until(hwt_host_now() + 1000000);
	if (w->failure[0])
		return NULL; /* set by ready() */
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = hwt_host_now();
		if (!w->addr) {
			if (!w->exec_ts && execed(w))
				w->exec_ts = now;
			if (w->exec_ts && locate(w))
				break;
			if (w->addr && found(w, 0))
				break;
			uint64_t since = now - start;
			next = now + (since < 200000000ull    ? 50000
				      : since < 2000000000ull ? 1000000
							      : 10000000);
		} else if (w->mode == MODE_WRITE) {
			hwt_watch_bp_drain(w->bp, now, 0, push, w);
			/* Values read back need a reading soon after their write. */
			uint64_t unknown = hwt_watch_bp_stats(w->bp)->last_unknown_ts;
			next = now + (unknown + 1000000000ull > now ? 100000 : 1000000);
		} else {
			read_once(w);
			next += w->interval;
			if (next < now)
				next = now +
				       w->interval; /* we were not scheduled: do not catch up */
		}
		if (gone(w))
			break;
		sleep_until(next);
	}
	return NULL;
}

/* ---- the plugin hooks -------------------------------------------------------------------- */

static void watch_free(struct watch *w)
{
	if (!w)
		return;
	if (w->thread_started && !w->joined) {
		__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
		pthread_join(w->thread, NULL);
	}
	hwt_watch_group_leave(&w->member);
	hwt_watch_bp_free(w->bp);
	hwt_args_free(w->args);
	pthread_mutex_destroy(&w->lock);
	free(w->ts);
	free(w->vals);
	free(w);
}

/* Checks the options against each other and splits sym= into w->lib and w->name. */
static int check_options(struct hwt_host *h, struct watch *w, const struct hwt_option_value *v)
{
	const char *sym = v[OPT_SYM].s, *colon = sym ? strrchr(sym, ':') : NULL;

	if (!sym) {
		hwt_host_set_error(h, "sym= is missing: give the variable, e.g. "
				      "-P watch:sym=queue_depth,type=i64");
		return HWT_E_INVAL;
	}
	if (v[OPT_TYPE].set == v[OPT_BYTES].set) {
		hwt_host_set_error(h, "give either type=%s or bytes=N for sym=%s",
				   "u8|u16|u32|u64|i8|i16|i32|i64|f32|f64", sym);
		return HWT_E_INVAL;
	}
	if (v[OPT_BYTES].set && v[OPT_MODE].i == MODE_WRITE) {
		hwt_host_set_error(h, "mode=write takes type=, not bytes=: a write "
				      "breakpoint watches 1, 2, 4 or 8 bytes");
		return HWT_E_INVAL;
	}
	if ((colon && (colon == sym || !colon[1])) ||
	    (size_t)(colon ? colon - sym : 0) >= sizeof(w->lib) ||
	    strlen(colon ? colon + 1 : sym) >= sizeof(w->name)) {
		hwt_host_set_error(h, "sym=%s: give NAME or LIB:NAME", sym);
		return HWT_E_INVAL;
	}
	snprintf(w->name, sizeof(w->name), "%s", colon ? colon + 1 : sym);
	if (colon)
		snprintf(w->lib, sizeof(w->lib), "%.*s", (int)(colon - sym), sym);
	w->type = v[OPT_TYPE].set ? (int)v[OPT_TYPE].i : -1;
	w->len = w->type >= 0 ? hwt_watch_type_size(w->type) : (size_t)v[OPT_BYTES].i;
	w->mode = (int)v[OPT_MODE].i;
	w->interval = (uint64_t)v[OPT_INTERVAL].i;
	return 0;
}

/* A variable of the program: found now, so that a wrong name fails before it runs. Not a PIE:
 * its address is known, and the breakpoint starts at exec with no write missed. */
static int program_symbol(struct hwt_host *h, struct watch *w)
{
	char why[PATH_MAX + 128];
	int err = hwt_watch_sym_find(w->prog, w->name, &w->sym, why, sizeof(why));

	if (err) {
		hwt_host_set_error(h,
				   "sym=%s: %s; a shared library's variable is "
				   "sym=LIB:NAME",
				   w->name, why);
		return HWT_E_INVAL; /* the user's to fix: fails the recording before it runs */
	}
	w->have_sym = 1;
	snprintf(w->file, sizeof(w->file), "%s", w->prog);
	if (w->sym.size && w->sym.size < w->len)
		hwt_host_note(h, "watch: %s has %llu bytes, fewer than the %zu watched", w->name,
			      (unsigned long long)w->sym.size, w->len);
	if (w->mode != MODE_WRITE || w->sym.pie)
		return 0;
	w->bp = hwt_watch_bp_open(w->pid, w->ncpus, w->sym.vaddr, w->len, 1, w->sym.init, why,
				  sizeof(why));
	if (!w->bp) {
		hwt_host_set_error(h, "sym=%s: %s", w->name, why);
		return HWT_E_INVAL;
	}
	return 0;
}

/* A library given by its path: its variable is checked now too; found again once mapped. */
static int library_symbol(struct hwt_host *h, struct watch *w)
{
	char why[PATH_MAX + 128];

	if (!hwt_watch_sym_find(w->lib, w->name, &w->sym, why, sizeof(why)))
		return 0;
	hwt_host_set_error(h, "sym=%s:%s: %s", w->lib, w->name, why);
	return HWT_E_INVAL;
}

static int watch_start(struct hwt_host *h, const struct hwt_target *t,
		       const struct hwt_option_value *v, void **st)
{
	struct watch *w = calloc(1, sizeof(*w));
	int err;

	if (!w || !v)
		return free(w), HWT_E_NOMEM;

	pthread_mutex_init(&w->lock, NULL);
	w->h = h;
	w->pid = t->pid;
	w->ncpus = t->ncpus;
	snprintf(w->prog, sizeof(w->prog), "%s", t->path);
	err = check_options(h, w, v);
	/* A write breakpoint is armed at the program's exec, a library's at its load. */
	if (!err && (t->flags & HWT_TARGET_ATTACHED) && (w->mode == MODE_WRITE || w->lib[0])) {
		hwt_host_set_error(h, "mode=write and LIB:NAME need the program from its "
				      "start, not yet a process attached to (-p): use mode=read "
				      "on a variable of the program, or record the program");
		err = HWT_E_NOTSUP;
	}
	char why[200];
	if (!err && w->mode == MODE_WRITE && hwt_watch_bp_fires(why, sizeof(why)) == 0) {
		hwt_host_set_error(h,
				   "mode=write for sym=%s: %s; mode=read reads it every interval",
				   w->name, why);
		err = HWT_E_NOTSUP;
	}
	if (!err && stat(w->prog, &w->prog_st)) {
		hwt_host_set_error(h, "cannot read '%s': %s", w->prog, strerror(errno));
		err = HWT_E_NOENT;
	}
	if (!err && !w->lib[0])
		err = program_symbol(h, w);
	if (!err && strchr(w->lib, '/'))
		err = library_symbol(h, w);
	if (!err) {
		struct hwt_counter_desc d = { .name = w->name,
					      .scope = HWT_SCOPE_PROCESS,
					      .pid = t->pid };
		w->track = w->type >= 0 ? hwt_host_counter_track(h, &d)
					: hwt_host_object_track(h, w->name, HWT_SCOPE_PROCESS,
								t->pid, 0);
		err = w->track < 0 ? w->track : 0;
	}
	if (!err && w->type < 0 && !(w->args = hwt_args_new()))
		err = HWT_E_NOMEM;
	/* A breakpoint whose address comes with the mapping: the program is held at exec until it
	 * is set. */
	w->member = (struct hwt_watch_member){ .pid = w->pid, .ready = member_ready };
	int held = !err && w->mode == MODE_WRITE && !w->bp ? hwt_watch_group_join(&w->member) : 0;
	w->held = w->member.group != NULL;
	if (held < 0)
		hwt_host_note(h,
			      "watch: cannot hold %s at exec until the breakpoint on %s is set "
			      "(ptrace: %s): writes made before it is set are not recorded",
			      w->prog, w->name, strerror(-held));
	if (!err && pthread_create(&w->thread, NULL, watch_thread, w)) {
		hwt_host_set_error(h, "cannot start its thread: %s", strerror(errno));
		err = HWT_E_NOMEM;
	}
	if (err) {
		watch_free(w);
		return err;
	}
	w->thread_started = 1;
	*st = w;
	return 0;
}

/* Hands the values w->n to the host: numbers to the counter track, hex text as objects. */
static int hand_over(struct watch *w, const uint64_t *ts, const uint8_t *vals, size_t n)
{
	if (!n)
		return 0;
	if (w->type >= 0) {
		double *d = malloc(n * sizeof(*d));
		if (!d)
			return HWT_E_NOMEM;
		for (size_t i = 0; i < n; i++)
			d[i] = hwt_watch_type_value(w->type, vals + i * w->len);
		int err = hwt_host_counters(w->h, w->track, n, ts, d);
		free(d);
		return err < 0 ? err : 0;
	}
	char hex[2 * WATCH_MAX_BYTES + 1];
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < w->len; k++)
			snprintf(hex + 2 * k, 3, "%02x", vals[i * w->len + k]);
		hwt_args_reset(w->args);
		hwt_args_str(w->args, "hex", hex);
		int err = hwt_host_object(w->h, w->track, ts[i], w->args);
		if (err < 0)
			return err;
	}
	return 0;
}

/* The end: what the breakpoints saw, said once. */
static void final_notes(struct watch *w)
{
	if (!w->addr && !w->failure[0])
		hwt_host_note(w->h, "watch: %s: nothing recorded: %s%s%s", w->name,
			      w->lib[0] ? "the program mapped no library that matches "
					: "the program never ran",
			      w->lib[0] ? w->lib : "", w->lib[0] ? " (see sym= in --help)" : "");
	if (!w->bp)
		return;
	const struct hwt_watch_bp_stats *s = hwt_watch_bp_stats(w->bp);
	char back[128] = "";
	if (s->read_back)
		snprintf(back, sizeof(back),
			 ", %llu of them read back from memory before any other write (their "
			 "store did not show the value)",
			 (unsigned long long)s->read_back);
	hwt_host_note(w->h, "watch: %s: %llu writes recorded by its breakpoint%s", w->name,
		      (unsigned long long)(s->writes - s->unknown), back);
	if (s->unknown)
		hwt_host_note(w->h,
			      "watch: %s: %llu writes left out, their values not known exactly "
			      "from the samples (the first at 0x%llx %s: %s); the value after "
			      "each is not known until a store that writes all of it",
			      w->name, (unsigned long long)s->unknown,
			      (unsigned long long)s->first_ip, s->first_where, s->first_text);
	if (s->lost) {
		hwt_host_count_lost(w->h, s->lost);
		hwt_host_note(w->h, "watch: %s: %llu writes lost (the ring was full)", w->name,
			      (unsigned long long)s->lost);
	}
	if (s->other)
		hwt_host_note(w->h,
			      "watch: %s: %llu writes by child processes, or after the program "
			      "exec'ed another, not shown",
			      w->name, (unsigned long long)s->other);
}

static int watch_poll(void *st, uint64_t now_ns)
{
	struct watch *w = st;
	char notes[WATCH_MAX_NOTES][320], failure[320];
	int nnotes, last = !w->joined && gone(w);

	if (last) {
		/* The target is gone: the thread ends; then the breakpoints' last samples. */
		__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
		pthread_join(w->thread, NULL);
		w->joined = 1;
		if (w->bp)
			hwt_watch_bp_drain(w->bp, now_ns, 1, push, w);
	}
	pthread_mutex_lock(&w->lock);
	uint64_t *ts = w->ts;
	uint8_t *vals = w->vals;
	size_t n = w->n;
	w->ts = NULL;
	w->vals = NULL;
	w->n = w->cap_ts = w->cap_vals = 0;
	nnotes = w->nnotes;
	memcpy(notes, w->notes, sizeof(notes));
	w->nnotes = 0;
	snprintf(failure, sizeof(failure), "%s", w->failure);
	pthread_mutex_unlock(&w->lock);

	for (int i = 0; i < nnotes; i++)
		hwt_host_note(w->h, "%s", notes[i]);
	int err = hand_over(w, ts, vals, n);
	free(ts);
	free(vals);
	if (last)
		final_notes(w);
	if (!err && failure[0] && !w->failed_reported) {
		w->failed_reported = 1;
		hwt_host_set_error(w->h, "%s", failure);
		return HWT_E_INVAL;
	}
	return err;
}

static void watch_stop(void *st)
{
	watch_free(st);
}

const struct hwt_plugin hwt_plugin_watch = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_COUNTER,
	.name = "watch",
	.summary = "a global variable of the program as a counter track: read every interval, "
		   "or every write from a hardware breakpoint",
	.options = watch_options,
	.noptions = WATCH_NOPTIONS,
	.start = watch_start,
	.poll = watch_poll,
	.stop = watch_stop,
};
