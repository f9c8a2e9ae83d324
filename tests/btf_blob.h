/* A small BTF blob made by hand: what the BTF reader's unit test and fuzz seed read. Types: 1
 * int, 2 struct task_struct { int pid; union { int tgid; int other; }; int flags:3; }, 3 the
 * anonymous union. Static definitions: include it in one file. */
#ifndef HWT_TESTS_BTF_BLOB_H
#define HWT_TESTS_BTF_BLOB_H

#include <linux/btf.h>
#include <stdint.h>
#include <string.h>

/* Strings: "\0int\0task_struct\0pid\0tgid\0other\0flags\0" */
static const char btf_blob_strs[] = "\0int\0task_struct\0pid\0tgid\0other\0flags";
enum { S_INT = 1, S_TASK = 5, S_PID = 17, S_TGID = 21, S_OTHER = 26, S_FLAGS = 32 };

/* Writes the blob into @buf (at least 512 bytes); returns its length. */
static size_t btf_blob(uint8_t *buf)
{
	uint32_t types[64], n = 0;
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };

	/* 1: int, 4 bytes, 32 bits */
	types[n++] = S_INT;
	types[n++] = (uint32_t)BTF_KIND_INT << 24;
	types[n++] = 4;
	types[n++] = 32;
	/* 2: struct task_struct, kind_flag (bitfield offsets), 3 members, 12 bytes */
	types[n++] = S_TASK;
	types[n++] = 1u << 31 | (uint32_t)BTF_KIND_STRUCT << 24 | 3;
	types[n++] = 12;
	types[n++] = S_PID, types[n++] = 1, types[n++] = 0;
	types[n++] = 0, types[n++] = 3, types[n++] = 32;
	types[n++] = S_FLAGS, types[n++] = 1, types[n++] = 3u << 24 | 64;
	/* 3: the anonymous union { int tgid; int other; } */
	types[n++] = 0;
	types[n++] = (uint32_t)BTF_KIND_UNION << 24 | 2;
	types[n++] = 4;
	types[n++] = S_TGID, types[n++] = 1, types[n++] = 0;
	types[n++] = S_OTHER, types[n++] = 1, types[n++] = 0;
	h.type_off = 0;
	h.type_len = n * 4;
	h.str_off = h.type_len;
	h.str_len = sizeof(btf_blob_strs);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), types, h.type_len);
	memcpy(buf + sizeof(h) + h.type_len, btf_blob_strs, sizeof(btf_blob_strs));
	return sizeof(h) + h.type_len + sizeof(btf_blob_strs);
}

#endif
