/* pprof exporter: samples (or slices) aggregated by thread and stack, written at the end as a
 * gzip-compressed profile.proto for `go tool pprof`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hwtrace/error.h"
#include "pbuf.h"
#include "agg_exporter.h"
#include "builtin.h"

/* Field numbers of perftools.profiles (profile.proto). */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
};

/* Function id of frames without a name: model string ids are 32-bit, this is above them. */
#define UNKNOWN_FUNCTION (1ull << 32)

/* The profile's string table: model strings by id, plus a few literals. */
struct strtab {
	const char **strs;
	uint32_t n, cap;
	struct hwt_idmap model; /* model string id -> index */
};

static int64_t str_add(struct strtab *st, const char *s)
{
	if (HWT_ARRAY_GROW(st->strs, &st->cap, st->n + 1))
		return HWT_E_NOMEM;
	st->strs[st->n] = s;
	return st->n++;
}

/* Index of literal @s; the literals are few, so a scan will do. */
static int64_t str_lit(struct strtab *st, const char *s)
{
	uint32_t i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->strs[i], s))
			return i;
	return str_add(st, s);
}

static int64_t str_model(struct strtab *st, const struct hwt_model *m, uint32_t id)
{
	int created;
	uint32_t *slot;
	int64_t idx;

	if (!id)
		return 0;
	slot = hwt_idmap_put(&st->model, id, &created);
	if (!slot)
		return HWT_E_NOMEM;
	if (!created)
		return *slot;
	idx = str_add(st, hwt_model_str(m, id));
	if (idx < 0)
		return idx;
	*slot = (uint32_t)idx;
	return idx;
}

/* pprof wants addresses as the process saw them; frames hold file-relative ones. */
static uint64_t location_address(const struct hwt_frame *f, const struct hwt_mapping *map)
{
	uint64_t a = f->addr;

	if (!map || (a >= map->start && a < map->end))
		return a; /* kernel, or an executable linked at a fixed address */
	if (a >= map->pgoff && a - map->pgoff < map->end - map->start)
		return map->start + (a - map->pgoff);
	return a;
}

/* CLOCK_REALTIME minus CLOCK_MONOTONIC when recording started, from the metadata the recorder
 * writes ("start_realtime" as seconds.nanoseconds, "start_monotonic" in nanoseconds). */
static int realtime_offset(const struct hwt_model *m, int64_t *offset)
{
	const char *rt = hwt_model_meta(m, "start_realtime");
	const char *mono = hwt_model_meta(m, "start_monotonic");
	long long sec;
	unsigned long nsec;
	unsigned long long mo;

	if (!rt || !mono || sscanf(rt, "%lld.%9lu", &sec, &nsec) != 2 ||
	    sscanf(mono, "%llu", &mo) != 1)
		return 0;
	*offset = (int64_t)(sec * 1000000000ll + (long long)nsec - (long long)mo);
	return 1;
}

static void value_type(struct hwt_pbuf *b, uint32_t field, int64_t type, int64_t unit)
{
	hwt_pbuf_begin(b, field);
	hwt_pbuf_varint(b, VALUE_TYPE_TYPE, (uint64_t)type);
	hwt_pbuf_varint(b, VALUE_TYPE_UNIT, (uint64_t)unit);
	hwt_pbuf_end(b);
}

static int write_mapping(struct hwt_pbuf *b, struct strtab *st, const struct hwt_model *m,
			 uint32_t id)
{
	const struct hwt_mapping *map = hwt_model_mapping(m, id);
	int64_t file = str_model(st, m, map->path), bid = str_model(st, m, map->build_id);

	if (file < 0 || bid < 0)
		return HWT_E_NOMEM;
	hwt_pbuf_begin(b, PROFILE_MAPPING);
	hwt_pbuf_varint(b, MAPPING_ID, id);
	hwt_pbuf_varint(b, MAPPING_MEMORY_START, map->start);
	hwt_pbuf_varint(b, MAPPING_MEMORY_LIMIT, map->end);
	hwt_pbuf_varint(b, MAPPING_FILE_OFFSET, map->pgoff);
	hwt_pbuf_varint(b, MAPPING_FILENAME, (uint64_t)file);
	hwt_pbuf_varint(b, MAPPING_BUILD_ID, (uint64_t)bid);
	hwt_pbuf_varint(b, MAPPING_HAS_FUNCTIONS, 1);
	hwt_pbuf_end(b);
	return 0;
}

/* The used mapping of the traced program: the file its last exec ran (the "exe" the decoder
 * found), else the one whose file name is that of the recorded command's first word (a wrapper
 * that execs another program names the wrapper), else the first one used. 0 if none is used. */
static uint32_t main_mapping(const struct hwt_model *m, const struct hwt_bitset *used)
{
	const char *cmd = hwt_model_meta(m, "command"), *exe = hwt_model_meta(m, "exe"), *base;
	size_t len = 0;
	uint32_t id, first = 0, named = 0;

	if (cmd) {
		len = strcspn(cmd, " ");
		for (base = cmd + len; base > cmd && base[-1] != '/'; base--)
			;
		len -= (size_t)(base - cmd);
		cmd = base;
	}
	for (id = 1; id < hwt_model_nmappings(m); id++) {
		const char *path, *name;

		if (!hwt_bitset_test(used, id))
			continue;
		if (!first)
			first = id;
		path = hwt_model_str(m, hwt_model_mapping(m, id)->path);
		if (exe && !strcmp(path, exe))
			return id;
		name = strrchr(path, '/');
		name = name ? name + 1 : path;
		if (!named && len && strlen(name) == len && !memcmp(name, cmd, len))
			named = id;
	}
	return named ? named : first;
}

/* The samples: one per aggregated (thread name, stack), its frames marked in @frames. */
static int write_samples(struct hwt_pbuf *b, struct strtab *st, struct hwt_agg *a,
			 const struct hwt_model *m, int64_t thread_key, struct hwt_bitset *frames)
{
	uint32_t nv = hwt_agg_nvalues(a), n = hwt_agg_count(a), i, k;

	for (i = 0; i < n; i++) {
		uint32_t comm, node;
		const uint64_t *v;
		const uint32_t *path;
		int depth, d;
		int64_t cs;

		hwt_agg_entry(a, i, &comm, &node, &v);
		depth = hwt_agg_path(a, m, node, &path);
		if (depth < 0)
			return depth;
		hwt_pbuf_begin(b, PROFILE_SAMPLE);
		/* Packed location ids, leaf first. */
		hwt_pbuf_begin(b, SAMPLE_LOCATION_ID);
		for (d = depth - 1; d >= 0; d--) {
			hwt_pbuf_raw_varint(b, path[d]);
			if (hwt_bitset_set(frames, path[d]))
				return HWT_E_NOMEM;
		}
		hwt_pbuf_end(b);
		hwt_pbuf_begin(b, SAMPLE_VALUE);
		for (k = 0; k < nv; k++)
			hwt_pbuf_raw_varint(b, v[k]);
		hwt_pbuf_end(b);
		if (comm) {
			if ((cs = str_model(st, m, comm)) < 0)
				return HWT_E_NOMEM;
			hwt_pbuf_begin(b, SAMPLE_LABEL);
			hwt_pbuf_varint(b, LABEL_KEY, (uint64_t)thread_key);
			hwt_pbuf_varint(b, LABEL_STR, (uint64_t)cs);
			hwt_pbuf_end(b);
		}
		hwt_pbuf_end(b);
	}
	return 0;
}

static void write_function(struct hwt_pbuf *b, uint64_t id, int64_t name)
{
	hwt_pbuf_begin(b, PROFILE_FUNCTION);
	hwt_pbuf_varint(b, FUNCTION_ID, id);
	hwt_pbuf_varint(b, FUNCTION_NAME, (uint64_t)name);
	hwt_pbuf_varint(b, FUNCTION_SYSTEM_NAME, (uint64_t)name);
	hwt_pbuf_end(b);
}

/* Locations are frames: one per frame id in @frames, each with one line naming its function;
 * and the functions. The mappings they are in go into @maps. */
static int write_locations(struct hwt_pbuf *b, struct strtab *st, const struct hwt_model *m,
			   const struct hwt_bitset *frames, struct hwt_bitset *maps)
{
	struct hwt_bitset funcs = { 0 };
	int unknown_func = 0, rc = HWT_E_NOMEM;
	uint32_t id;

	for (id = 1; id < hwt_model_nframes(m); id++) {
		const struct hwt_frame *f;
		const struct hwt_mapping *map;

		if (!hwt_bitset_test(frames, id))
			continue;
		f = hwt_model_frame(m, id);
		map = hwt_model_mapping(m, f->mapping);
		hwt_pbuf_begin(b, PROFILE_LOCATION);
		hwt_pbuf_varint(b, LOCATION_ID, id);
		if (map) {
			hwt_pbuf_varint(b, LOCATION_MAPPING_ID, f->mapping);
			if (hwt_bitset_set(maps, f->mapping))
				goto out;
		}
		hwt_pbuf_varint(b, LOCATION_ADDRESS, location_address(f, map));
		hwt_pbuf_begin(b, LOCATION_LINE);
		hwt_pbuf_varint(b, LINE_FUNCTION_ID, f->name ? f->name : UNKNOWN_FUNCTION);
		hwt_pbuf_end(b);
		hwt_pbuf_end(b);
		if (!f->name) {
			unknown_func = 1;
		} else if (!hwt_bitset_test(&funcs, f->name)) {
			int64_t s = str_model(st, m, f->name);

			if (s < 0 || hwt_bitset_set(&funcs, f->name))
				goto out;
			write_function(b, f->name, s);
		}
	}
	if (unknown_func) {
		int64_t s = str_lit(st, "[unknown]");

		if (s < 0)
			goto out;
		write_function(b, UNKNOWN_FUNCTION, s);
	}
	rc = 0;
out:
	hwt_bitset_fini(&funcs);
	return rc;
}

/* The mappings in @maps; pprof takes the first for the main binary: the traced program's. */
static int write_mappings(struct hwt_pbuf *b, struct strtab *st, const struct hwt_model *m,
			  const struct hwt_bitset *maps)
{
	uint32_t main_map = main_mapping(m, maps), id;
	int rc;

	if (main_map && (rc = write_mapping(b, st, m, main_map)))
		return rc;
	for (id = 1; id < hwt_model_nmappings(m); id++) {
		if (id == main_map || !hwt_bitset_test(maps, id))
			continue;
		if ((rc = write_mapping(b, st, m, id)))
			return rc;
	}
	return 0;
}

/* Builds the whole profile.proto of @a in @b. */
static int build_profile(struct hwt_agg *a, const struct hwt_model *m, struct hwt_pbuf *b,
			 struct strtab *st)
{
	struct hwt_bitset frames = { 0 }, maps = { 0 };
	uint32_t nv = hwt_agg_nvalues(a), i, k;
	int64_t thread_key, name, unit, def_idx = 0;
	uint64_t first, last;
	int64_t offset;
	int rc = HWT_E_NOMEM;
	const char *cmdline;

	if (str_lit(st, "") != 0 || (thread_key = str_lit(st, "thread")) < 0)
		goto out;
	for (k = 0; k < nv; k++) {
		const char *sname, *sunit;

		hwt_agg_value_desc(a, m, k, &sname, &sunit);
		if ((name = str_lit(st, sname)) < 0 || (unit = str_lit(st, sunit)) < 0)
			goto out;
		value_type(b, PROFILE_SAMPLE_TYPE, name, unit);
		if (k == hwt_agg_index(a)) {
			value_type(b, PROFILE_PERIOD_TYPE, name, unit);
			def_idx = name;
		}
	}
	if ((rc = write_samples(b, st, a, m, thread_key, &frames)) ||
	    (rc = write_locations(b, st, m, &frames, &maps)) ||
	    (rc = write_mappings(b, st, m, &maps)))
		goto out;
	rc = HWT_E_NOMEM;

	/* Timestamps are CLOCK_MONOTONIC; pprof wants wall time, from the pair of clock readings
	 * the recorder stores. Without them the time is left out. */
	hwt_agg_span(a, &first, &last);
	if (realtime_offset(m, &offset))
		hwt_pbuf_varint(b, PROFILE_TIME_NANOS, first + (uint64_t)offset);
	hwt_pbuf_varint(b, PROFILE_DURATION_NANOS, last - first);
	hwt_pbuf_varint(b, PROFILE_PERIOD, 1);
	cmdline = hwt_model_meta(m, "command");
	if (cmdline && *cmdline) {
		int64_t s = str_lit(st, cmdline);

		if (s < 0)
			goto out;
		hwt_pbuf_varint(b, PROFILE_COMMENT, (uint64_t)s);
	}
	hwt_pbuf_varint(b, PROFILE_DEFAULT_SAMPLE_TYPE, (uint64_t)def_idx);
	/* Last, now that every string has its index. */
	for (i = 0; i < st->n; i++)
		hwt_pbuf_string(b, PROFILE_STRING_TABLE, st->strs[i]);
	rc = hwt_pbuf_error(b);
out:
	hwt_bitset_fini(&frames);
	hwt_bitset_fini(&maps);
	return rc;
}

/* Writes @len bytes at @data to @out as one gzip member. */
static int write_gzip(FILE *out, const uint8_t *data, size_t len)
{
	z_stream z = { 0 };
	uint8_t chunk[64 * 1024];
	int zrc, rc = 0;

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return HWT_E_NOMEM;
	z.next_in = (Bytef *)data;
	do {
		/* avail_in is 32-bit: feed big profiles in slices. */
		size_t left = len - (size_t)(z.next_in - data);

		z.avail_in = left > (1u << 30) ? (1u << 30) : (uInt)left;
		left -= z.avail_in;
		do {
			size_t have;

			z.next_out = chunk;
			z.avail_out = sizeof(chunk);
			zrc = deflate(&z, left ? Z_NO_FLUSH : Z_FINISH);
			if (zrc == Z_STREAM_ERROR) {
				rc = HWT_E_IO;
				goto out;
			}
			have = sizeof(chunk) - z.avail_out;
			if (have && fwrite(chunk, 1, have, out) != have) {
				rc = HWT_E_IO;
				goto out;
			}
		} while (z.avail_out == 0);
	} while ((size_t)(z.next_in - data) < len);
	if (zrc != Z_STREAM_END)
		rc = HWT_E_IO;
out:
	deflateEnd(&z);
	return rc;
}

static int pp_write(FILE *out, struct hwt_agg *a, const struct hwt_model *m)
{
	struct hwt_pbuf b;
	struct strtab st = { 0 };
	int rc;

	hwt_pbuf_init(&b);
	rc = build_profile(a, m, &b, &st);
	if (!rc)
		rc = write_gzip(out, b.data ? b.data : (const uint8_t *)"", b.len);
	hwt_pbuf_fini(&b);
	free(st.strs);
	hwt_idmap_fini(&st.model);
	return rc;
}

static struct hwt_exporter *pp_create(const struct hwt_export_config *cfg,
				      const struct hwt_model *m, int *err, char *why, size_t whylen)
{
	return hwt_agg_exporter_create(&hwt_pprof_exporter, pp_write, cfg, m, err, why, whylen);
}

const struct hwt_exporter_ops hwt_pprof_exporter = {
	.abi = HWT_EXPORTER_ABI,
	.size = sizeof(struct hwt_exporter_ops),
	.name = "pprof",
	.exts = ".pb.gz .pprof",
	.summary = "pprof profile.proto, gzip-compressed (go tool pprof)",
	.create = pp_create,
	.event = hwt_agg_exporter_event,
	.finish = hwt_agg_exporter_finish,
	.destroy = hwt_agg_exporter_destroy,
	.events = hwt_agg_exporter_events,
};
