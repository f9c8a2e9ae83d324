/* `hwtrace import`: raw Intel PT bytes and the ELF images they ran from, written as a .hwt
 * recording in the layout of core/pt_format.h, for the intel_pt stream decoder. */
#include "pt_import.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <intel-pt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/format/pt_format.h"
#include "core/format/records.h"
#include "core/store.h"
#include "core/util.h"
#include "pt_decode.h"
#include "core/openfile.h"

#define PT_IMPORT_ITEM (512u << 10) /* trace bytes per stream item */
#define PAGE	       4096ull

void hwt_pt_import_config_init(struct hwt_pt_import_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pid = cfg->tid = 1;
}

static int read_file(const char *path, uint8_t **data, size_t *len, char *why, size_t whylen)
{
	int fd = hwt_open_regular(path);
	struct stat st;

	if (fd < 0)
		return hwt_fail(why, whylen, hwt_error_from_errno(errno),
				"cannot read the trace '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"the trace '%s' is not a regular file: give the raw PT data file",
				path);
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		close(fd);
		return hwt_fail(why, whylen, HWT_E_NOMEM, "out of memory reading '%s'", path);
	}
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0) {
			int e = r ? errno : EIO;
			free(buf);
			close(fd);
			return hwt_fail(why, whylen, HWT_E_IO, "cannot read the trace '%s': %s",
					path, strerror(e));
		}
		got += (size_t)r;
	}
	close(fd);
	*data = buf;
	*len = n;
	return 0;
}

struct text {
	char *s;
	size_t len, cap;
};

static int text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return HWT_E_INVAL;
		if (t->s && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return 0;
		}
		size_t cap = t->cap ? t->cap * 2 : 1024;
		while (cap <= t->len + (size_t)n)
			cap *= 2;
		char *ns = realloc(t->s, cap);
		if (!ns)
			return HWT_E_NOMEM;
		t->s = ns;
		t->cap = cap;
	}
}

/* The PT_LOAD segments of @img as /proc/PID/maps lines. */
static int image_maps(const struct hwt_pt_image *img, struct text *maps, char *why, size_t whylen)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (!realpath(img->path, path))
		return hwt_fail(why, whylen, hwt_error_from_errno(errno),
				"cannot read the image '%s': %s", img->path, strerror(errno));
	fd = hwt_open_regular(path);
	if (fd < 0)
		return hwt_fail(why, whylen, hwt_error_from_errno(errno),
				"cannot read the image '%s': %s", img->path, strerror(errno));
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	size_t n = 0, loads = 0;
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    elf_getphdrnum(elf, &n)) {
		err = hwt_fail(
			why, whylen, HWT_E_ELF,
			"the image '%s' is not an ELF file: give the executables and libraries "
			"the trace ran",
			img->path);
		goto out;
	}
	for (size_t i = 0; i < n && !err; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		uint64_t start = (img->bias + ph.p_vaddr) & ~(PAGE - 1);
		uint64_t end = (img->bias + ph.p_vaddr + ph.p_memsz + PAGE - 1) & ~(PAGE - 1);
		err = text_add(maps, "%llx-%llx %c%c%cp %08llx 00:00 0 %s\n",
			       (unsigned long long)start, (unsigned long long)end,
			       ph.p_flags & PF_R ? 'r' : '-', ph.p_flags & PF_W ? 'w' : '-',
			       ph.p_flags & PF_X ? 'x' : '-',
			       (unsigned long long)(ph.p_offset & ~(PAGE - 1)), path);
		loads++;
	}
	if (!err && !loads)
		err = hwt_fail(why, whylen, HWT_E_ELF, "the image '%s' has no loadable segment",
			       img->path);
	else if (err)
		snprintf(why, whylen, "out of memory");
out:
	elf_end(elf);
	close(fd);
	return err;
}

/* The latest time in the trace: its last TSC, plus an MTC period for each MTC after it (and one
 * more for what follows the last). 0 when it has no TSC. */
static uint64_t last_time(const struct hwt_pt_import_config *cfg, const struct pt_params *prm,
			  const uint8_t *data, size_t len)
{
	struct pt_config c;
	struct pt_packet p;
	uint64_t tsc = 0, mtcs = 0;
	int have = 0;

	if (!len)
		return 0;
	pt_config_init(&c);
	c.begin = (uint8_t *)data;
	c.end = (uint8_t *)data + len;
	struct pt_packet_decoder *pk = pt_pkt_alloc_decoder(&c);
	if (!pk)
		return 0;
	for (int r = pt_pkt_sync_forward(pk); r >= 0;) {
		r = pt_pkt_next(pk, &p, sizeof(p));
		if (r == -pte_eos)
			break;
		if (r < 0) {
			r = pt_pkt_sync_forward(pk);
			continue;
		}
		if (p.type == ppt_tsc) {
			tsc = p.payload.tsc.tsc;
			mtcs = 0;
			have = 1;
		} else if (p.type == ppt_mtc) {
			mtcs++;
		}
	}
	pt_pkt_free_decoder(pk);
	if (!have)
		return 0;
	uint64_t period = 0;
	if (cfg->cpuid15_eax && cfg->cpuid15_ebx)
		period = ((uint64_t)cfg->cpuid15_ebx << cfg->mtc_freq) / cfg->cpuid15_eax;
	return hwt_pt_clock_ns(&prm->clock, tsc + (mtcs + 1) * period);
}

static int meta(struct hwt_store_writer *w, const char *key, const char *value)
{
	size_t kl = strlen(key) + 1, vl = strlen(value) + 1;
	char buf[4096];

	if (kl + vl > sizeof(buf))
		return HWT_E_INVAL;
	memcpy(buf, key, kl);
	memcpy(buf + kl, value, vl);
	return hwt_store_write(w, HWT_CHUNK_META, buf, kl + vl);
}

static int write_all(const struct hwt_pt_import_config *cfg, struct hwt_store_writer *w,
		     const uint8_t *data, size_t len, const struct text *maps,
		     const struct hwt_pt_sideband *sb, uint64_t end_ts)
{
	static const char name[] = "intel_pt";
	static const uint8_t pad[8];
	char num[32], comm[256];
	int err;

	snprintf(num, sizeof(num), "%u", cfg->pid);
	const char *base = strrchr(cfg->images[0].path, '/');
	snprintf(comm, sizeof(comm), "%s", base ? base + 1 : cfg->images[0].path);
	/* Paths are shown relative to where the import ran, as for a recording (core/redact.h). */
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) &&
	    ((err = meta(w, "cwd", cwd)) || (err = meta(w, "project_root", cwd))))
		return err;
	if ((err = meta(w, "command", cfg->command)) || (err = meta(w, "pid", num)) ||
	    (err = meta(w, "clock", "CLOCK_MONOTONIC")) || (err = meta(w, "comm", comm)) ||
	    (err = hwt_store_write(w, HWT_CHUNK_EVENTS, "", 0)))
		return err;
	uint32_t hdr[2] = { cfg->pid, 0 };
	struct iovec mv[2] = { { hdr, sizeof(hdr) }, { maps->s, maps->len } };
	struct hwt_source_desc sd = { .id = 1 };
	struct iovec sv[2] = { { &sd, sizeof(sd) }, { (void *)name, sizeof(name) } };
	uint32_t nl = sizeof(name) - 1;
	struct iovec pv[3] = { { &nl, 4 }, { (void *)name, nl }, { (void *)sb, sizeof(*sb) } };
	if ((err = hwt_store_appendv(w, HWT_CHUNK_PROC_MAPS, mv, 2)) ||
	    (err = hwt_store_flush(w, 1)) ||
	    (err = hwt_store_appendv(w, HWT_CHUNK_SOURCE, sv, 2)) ||
	    (err = hwt_store_flush(w, 1)) ||
	    (err = hwt_store_appendv(w, HWT_CHUNK_PLUGIN, pv, 3)) || (err = hwt_store_flush(w, 1)))
		return err;
	for (size_t off = 0; off < len && !err; off += PT_IMPORT_ITEM) {
		size_t n = len - off < PT_IMPORT_ITEM ? len - off : PT_IMPORT_ITEM;
		struct hwt_pt_item pi = {
			.offset = off, .len = (uint32_t)n, .tid = cfg->tid, .pid = cfg->pid
		};
		struct hwt_stream_item it = { .id = 1,
					      .kind = HWT_ITEM_SOURCE,
					      .len = (uint32_t)(sizeof(pi) + n) };
		struct iovec iv[4] = { { &it, sizeof(it) },
				       { &pi, sizeof(pi) },
				       { (void *)(data + off), n },
				       { (void *)pad, -(sizeof(pi) + n) & 7 } };
		err = hwt_store_appendv(w, HWT_CHUNK_STREAM, iv, 4);
	}
	struct hwt_end_rec end = { .ts = end_ts, .pid = (int32_t)cfg->pid, .bytes = len };
	return err ? err : hwt_store_write(w, HWT_CHUNK_END, &end, sizeof(end));
}

int hwt_pt_import(const struct hwt_pt_import_config *cfg, const char *out, char *why, size_t whylen)
{
	struct text maps = { 0 };
	struct hwt_pt_sideband sb;
	uint8_t *owned = NULL;
	const uint8_t *data;
	size_t len = 0;
	char tmp[PATH_MAX], cmd[PATH_MAX + 16];
	int err = 0, fd;

	if (!cfg || !out || !*out)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"import needs a trace and an output file");
	if (!cfg->nimages || !cfg->images)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"no image to decode the trace with: give the program with --image "
				"ELF[@ADDR] (and each library it ran)");
	if (!cfg->pid || !cfg->tid)
		return hwt_fail(why, whylen, HWT_E_INVAL, "pid and tid must not be 0");
	if (cfg->raw_path) {
		if ((err = read_file(cfg->raw_path, &owned, &len, why, whylen)))
			return err;
		data = owned;
	} else {
		data = cfg->data;
		len = cfg->len;
	}
	if (!data && len) {
		err = hwt_fail(why, whylen, HWT_E_INVAL, "no trace data given");
		goto out;
	}
	for (size_t i = 0; i < cfg->nimages && !err; i++)
		err = image_maps(&cfg->images[i], &maps, why, whylen);
	if (err)
		goto out;
	hwt_pt_sideband_init(&sb);
	if (cfg->have_cpu) {
		sb.intel = 1;
		sb.cpu_family = (uint16_t)cfg->family;
		sb.cpu_model = (uint8_t)cfg->model;
		sb.cpu_stepping = (uint8_t)cfg->stepping;
	}
	sb.cpuid_15_eax = cfg->cpuid15_eax;
	sb.cpuid_15_ebx = cfg->cpuid15_ebx;
	sb.nom_freq = (uint8_t)cfg->nom_freq;
	sb.mtc_freq = (uint8_t)cfg->mtc_freq;
	sb.noretcomp = !!cfg->noretcomp;
	sb.tsc_hz = cfg->tsc_hz;
	sb.total_bytes = len;
	struct pt_params prm;
	hwt_pt_params_set(&prm, &sb);
	uint64_t end_ts = last_time(cfg, &prm, data, len);

	struct hwt_pt_import_config c = *cfg;
	if (!c.command) {
		snprintf(cmd, sizeof(cmd), "import %s", cfg->raw_path ? cfg->raw_path : "-");
		c.command = cmd;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out) >= (int)sizeof(tmp)) {
		err = hwt_fail(why, whylen, HWT_E_INVAL, "output path '%s' is too long", out);
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = hwt_fail(why, whylen, hwt_error_from_errno(errno), "cannot write '%s': %s",
			       out, strerror(errno));
		goto out;
	}
	struct hwt_store_writer *w = hwt_store_writer_open(fd, NULL, &err);
	if (!w) {
		close(fd);
		unlink(tmp);
		hwt_fail(why, whylen, err, "cannot write '%s': %s", out, hwt_errstr(err));
		goto out;
	}
	err = write_all(&c, w, data, len, &maps, &sb, end_ts);
	int cerr = hwt_store_writer_close(w);
	if (!err)
		err = cerr;
	if (!err && rename(tmp, out)) {
		/* strerror() says more than the code: "Read-only file system", "Is a directory" */
		int e = errno;
		unlink(tmp);
		err = hwt_fail(why, whylen, hwt_error_from_errno(e), "cannot write '%s': %s", out,
			       strerror(e));
		goto out;
	}
	if (err) {
		unlink(tmp);
		hwt_fail(why, whylen, err, "cannot write '%s': %s", out,
			 err == HWT_E_IO ? strerror(errno) : hwt_errstr(err));
	}
out:
	free(owned);
	free(maps.s);
	return err;
}
