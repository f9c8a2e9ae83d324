/* The kernel's own type information (BTF, /sys/kernel/btf/vmlinux): where a member of a kernel
 * structure lies, for BPF programs that read kernel memory without a compiler's help. */
#ifndef HWT_CORE_BTF_H
#define HWT_CORE_BTF_H

#include <stddef.h>
#include <stdint.h>

/** Where the running kernel describes its types. */
#define HWT_BTF_VMLINUX "/sys/kernel/btf/vmlinux"

/** Finds in the BTF blob @blob (@len bytes) the byte offset of member @member of struct
 *  @strct (the first struct of that name), into *@off. Members of anonymous structs and
 *  unions inside it are searched too, with their own offset added. Returns 0, HWT_E_NOENT
 *  (no such struct or member, or a bitfield), HWT_E_CORRUPT (not BTF, or a type or string out
 *  of bounds), HWT_E_INVAL (NULL arguments). */
int hwt_btf_member_offset(const uint8_t *blob, size_t len, const char *strct, const char *member,
			  uint32_t *off);

/** The file @path (HWT_BTF_VMLINUX) read whole, its size in *@len: free() it; NULL with *@err
 *  HWT_E_IO when it cannot be read (a kernel without BTF), HWT_E_NOMEM. */
uint8_t *hwt_btf_file_read(const char *path, size_t *len, int *err);

#endif
