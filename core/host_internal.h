/* What the two halves of the recording host share: the host's state, which host.c serves to
 * plugins (events, rings, chunks, notes), and which recording.c drives (target, loop, drains).
 * Private to core/. */
#ifndef HWT_CORE_HOST_INTERNAL_H
#define HWT_CORE_HOST_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"
#include "scrub.h"

/* A CPU's perf ring buffer, owned by the first event opened on it, and its AUX area. */
struct ring {
	int fd;
	int cpu;
	struct perf_event_mmap_page *page;
	uint8_t *data;
	size_t size; /* data bytes, a power of two */
	void *aux;   /* the AUX area mapped by hwt_host_map_aux(), NULL if none */
	size_t aux_size;
	int watch; /* a watch ring (see watch_tasks() in host.c): its records are read, not kept;
		    * it owns @fd */
};

/* An event opened through the host: closed when the host is freed. */
struct event {
	int fd;
	struct hwt_event_desc desc;
	/* What side-band records it asks for, and for whom (see sideband_of() in host.c). */
	int pid;
	uint32_t sideband; /* SB_* bits */
	uint8_t inherit;   /* the children's records too */
	uint8_t starts;	   /* 0: enabled at once, 1: at exec, 2: later */
};

/* The host of one recording (or of a probe, with no store). */
struct hwt_host {
	struct hwt_store_writer *store;
	size_t ring_bytes;
	size_t api_ring_bytes; /* 0: the area's default */
	struct event *events;
	int nevents, cap_events;
	struct ring *rings;
	int nrings, cap_rings;
	char error[512];
	char failed[512]; /* hwt_host_fail(): why the recording is no good, "" if it is */
	struct hwt_end_rec end;
	int quiet;
	uint8_t *scratch; /* one ring's worth, for reads that wrap */
	size_t scratch_cap;
	uint64_t round_ts; /* when the current drain started: the stamp of stream items */
	uint32_t nsources;
	struct running *run; /* plugins started so far, for the sideband hook */
	int nrun;
	int starting;		   /* index in run of the plugin whose start() runs, -1 if none */
	int ndisabled;		   /* plugins disabled while recording */
	_Atomic int target_exited; /* the target is gone (not reaped yet) */

	/* Counter and object plugins poll on threads of their own: every service they call takes
	 * this lock, and the recording loop holds it for its round. Recursive. */
	pthread_mutex_t lock;

	/* The host's stream (core/format/custom_format.h): records not written yet. */
	uint8_t *custom;
	size_t ncustom, capcustom;
	int custom_source;	 /* its stream id, 0 until the first records are written */
	uint32_t ntracks;	 /* counter and object tracks declared */
	struct hwt_progapi *api; /* the in-program API's area (core/progapi.h), NULL if none */
	struct hwt_scrub scrub;	 /* what copied user stacks must not keep (core/scrub.h) */
};

/* A plugin that started, and its state. */
struct running {
	const struct hwt_plugin *plugin;
	void *st;

	/* Counter and object plugins' poll(), on a thread of their own (core/plugin_run.c). */
	int threaded;
	pthread_t thread;
	uint64_t interval_ns;	     /* between polls: hwt_host_poll_interval(), 10 ms */
	_Atomic uint64_t poll_since; /* when the poll() running began; 0: none runs */
	_Atomic int stop;	     /* the target is gone: poll once more and end */
	_Atomic int done;	     /* the thread ended */
	_Atomic int failed;	     /* the error poll() returned, 0 if none */
	_Atomic int disabled;	     /* failed or stuck, and said so: never called again */
	int stuck;		     /* its thread never ended: not stopped, not freed */
	pthread_mutex_t wake_lock;   /* the thread waits on @wake between polls */
	pthread_cond_t wake;
	char error[512]; /* hwt_host_set_error() from its thread */
};

/** A new host (zeroed, its lock ready); NULL when out of memory. Free with hwt_host_free(). */
struct hwt_host *hwt_host_alloc(void);

/** Halves @h's ring size until @ncpus rings of it can be mapped under the kernel's limit on
 *  locked memory (not below 64 KiB), with a note when it shrank; for a ring size the user did not
 *  give. Before any event is opened. */
void hwt_host_fit_rings(struct hwt_host *h, int ncpus);

/** hwt_host_set_error() on this thread writes to @buf (a poll thread's), not the host's. */
void hwt_host_thread_error(char *buf);

/** The host's lock (see struct hwt_host). */
static inline void hwt_host_lock(struct hwt_host *h)
{
	pthread_mutex_lock(&h->lock);
}

static inline void hwt_host_unlock(struct hwt_host *h)
{
	pthread_mutex_unlock(&h->lock);
}

/** Appends records of the host's stream, encoded already (@len bytes of whole records). */
int hwt_host_custom_append(struct hwt_host *h, const void *recs, size_t len);
/** A MARKER record: @plugin was disabled, or another problem the timeline should show. */
int hwt_host_marker(struct hwt_host *h, const char *plugin, const char *message);
/** Writes the records gathered into the recording: once a round, and at the end. */
int hwt_host_custom_flush(struct hwt_host *h);

/** Writes the recording's metadata: the command (or the attached processes' command lines),
 *  the hwtrace command line, kernel, host, CPU, start time and clock, and "pid" for a program
 *  launched for the recording (@pid > 0), "attached", "system_wide", "duration_ns" as @cfg has
 *  them. */
void hwt_record_write_meta(struct hwt_host *h, const struct hwt_record_config *cfg, int pid);

/** Writes the events @h opened (their struct hwt_event_desc) as the EVENTS chunk. Returns 0 or the
 *  store's error. */
int hwt_record_write_events(struct hwt_host *h);

/** Writes /proc/@pid/maps as a PROC_MAPS chunk: the initial address space, for what the kernel
 *  never sends MMAP records about ([vdso]). Nothing if it cannot be read. */
void hwt_record_write_proc_maps(struct hwt_host *h, pid_t pid);

#endif
