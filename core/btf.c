/* A reader of BTF (the kernel's type information, include/uapi/linux/btf.h's layout): walks the
 * type section once to find a struct by name, then its members. */
#include "btf.h"

#include <fcntl.h>
#include <linux/btf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"

/* The blob's sections, checked to lie inside it. */
struct btf {
	const uint8_t *types, *strs;
	uint32_t types_len, strs_len;
};

static int btf_open(struct btf *b, const uint8_t *blob, size_t len)
{
	struct btf_header h;

	if (len < sizeof(h))
		return HWT_E_CORRUPT;
	memcpy(&h, blob, sizeof(h));
	if (h.magic != BTF_MAGIC || h.version != BTF_VERSION || h.hdr_len < sizeof(h) ||
	    h.hdr_len > len)
		return HWT_E_CORRUPT;
	size_t body = len - h.hdr_len;
	if (h.type_off > body || h.type_len > body - h.type_off || h.str_off > body ||
	    h.str_len > body - h.str_off)
		return HWT_E_CORRUPT;
	b->types = blob + h.hdr_len + h.type_off;
	b->types_len = h.type_len;
	b->strs = blob + h.hdr_len + h.str_off;
	b->strs_len = h.str_len;
	return 0;
}

/* The string at @off, or NULL if it does not end inside the section. */
static const char *btf_str(const struct btf *b, uint32_t off)
{
	if (off >= b->strs_len || !memchr(b->strs + off, 0, b->strs_len - off))
		return NULL;
	return (const char *)b->strs + off;
}

/* Bytes that follow a type of @kind with @vlen entries; -1 for a kind this reader does not
 * know (a newer kernel's: its size cannot be told, so nothing after it can be read). */
static long extra_of(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return (long)sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * (long)sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * (long)sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * (long)sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (long)vlen * (long)sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return (long)vlen * (long)sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

/* The types, in order (ids from 1), as offsets into the type section: *@n of them. */
static int btf_index(const struct btf *b, uint32_t **at, uint32_t *n)
{
	uint32_t cap = 0, k = 0;
	uint32_t *v = NULL;

	for (uint32_t pos = 0; pos < b->types_len;) {
		struct btf_type t;
		if (b->types_len - pos < sizeof(t)) {
			free(v);
			return HWT_E_CORRUPT;
		}
		memcpy(&t, b->types + pos, sizeof(t));
		long extra = extra_of(BTF_INFO_KIND(t.info), BTF_INFO_VLEN(t.info));
		if (extra < 0 || (uint64_t)extra > b->types_len - pos - sizeof(t))
			break; /* what follows cannot be read: the types before it can */
		if (k == cap) {
			cap = cap ? 2 * cap : 4096;
			uint32_t *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return HWT_E_NOMEM;
			}
			v = nv;
		}
		v[k++] = pos;
		pos += (uint32_t)sizeof(t) + (uint32_t)extra;
	}
	*at = v;
	*n = k;
	return 0;
}

/* Member @member of the struct or union at type-section offset @pos (its anonymous members'
 * members too, at most @depth levels down): its byte offset added to *@off. */
static int find_member(const struct btf *b, const uint32_t *at, uint32_t n, uint32_t pos,
		       const char *member, uint32_t *off, int depth)
{
	struct btf_type t;

	memcpy(&t, b->types + pos, sizeof(t));
	uint32_t kind = BTF_INFO_KIND(t.info), vlen = BTF_INFO_VLEN(t.info);
	if ((kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION) || depth < 0)
		return HWT_E_NOENT;
	for (uint32_t i = 0; i < vlen; i++) {
		struct btf_member m;
		memcpy(&m, b->types + pos + sizeof(t) + i * sizeof(m), sizeof(m));
		uint32_t bits = BTF_INFO_KFLAG(t.info) ? BTF_MEMBER_BIT_OFFSET(m.offset) : m.offset;
		const char *name = btf_str(b, m.name_off);
		if (!name)
			return HWT_E_CORRUPT;
		if (!strcmp(name, member)) {
			if (bits % 8 ||
			    (BTF_INFO_KFLAG(t.info) && BTF_MEMBER_BITFIELD_SIZE(m.offset)))
				return HWT_E_NOENT; /* a bitfield: no byte of its own */
			*off += bits / 8;
			return 0;
		}
		if (!*name && m.type >= 1 && m.type <= n && bits % 8 == 0) {
			uint32_t inner = *off + bits / 8;
			int rc = find_member(b, at, n, at[m.type - 1], member, &inner, depth - 1);
			if (rc != HWT_E_NOENT) {
				if (!rc)
					*off = inner;
				return rc;
			}
		}
	}
	return HWT_E_NOENT;
}

int hwt_btf_member_offset(const uint8_t *blob, size_t len, const char *strct, const char *member,
			  uint32_t *off)
{
	struct btf b;
	uint32_t *at, n;
	int rc;

	if (!blob || !strct || !member || !off)
		return HWT_E_INVAL;
	if ((rc = btf_open(&b, blob, len)) || (rc = btf_index(&b, &at, &n)))
		return rc;
	rc = HWT_E_NOENT;
	for (uint32_t i = 0; i < n && rc == HWT_E_NOENT; i++) {
		struct btf_type t;
		memcpy(&t, b.types + at[i], sizeof(t));
		const char *name = btf_str(&b, t.name_off);
		if (BTF_INFO_KIND(t.info) != BTF_KIND_STRUCT || !name || strcmp(name, strct))
			continue;
		*off = 0;
		rc = find_member(&b, at, n, at[i], member, off, 8);
		if (rc == HWT_E_NOENT)
			break; /* the first struct of that name is the kernel's */
	}
	free(at);
	return rc;
}

uint8_t *hwt_btf_file_read(const char *path, size_t *len, int *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	*err = HWT_E_IO;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || st.st_size <= 0 || st.st_size > (256 << 20)) {
		close(fd);
		return NULL;
	}
	/* sysfs gives the blob's size; read it whole, as files there may not map */
	uint8_t *blob = malloc((size_t)st.st_size);
	size_t got = 0;
	while (blob && got < (size_t)st.st_size) {
		ssize_t r = read(fd, blob + got, (size_t)st.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!blob) {
		*err = HWT_E_NOMEM;
		return NULL;
	}
	if (got != (size_t)st.st_size) {
		free(blob);
		return NULL;
	}
	*len = got;
	*err = 0;
	return blob;
}
