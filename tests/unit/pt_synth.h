/* Helpers shared by the Intel PT unit test and bench: a tiny x86-64 ELF executable written byte by
 * byte (code, a .plt section, function symbols), and Intel PT packets encoded with libipt's
 * encoder the way the hardware would write them for a path through that code. */
#ifndef HWT_TESTS_PT_SYNTH_H
#define HWT_TESTS_PT_SYNTH_H

#include <elf.h>
#include <intel-pt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYNTH_BASE     0x400000ull /* where the file is mapped (ET_EXEC, offset 0) */
#define SYNTH_TEXT     0x1000u	   /* file offset of .text */
#define SYNTH_PLT      0x1800u	   /* file offset of .plt */
#define SYNTH_END      0x2000u	   /* end of the loaded bytes */
#define SYNTH_MAX_SYMS 32

struct synth_sym {
	const char *name;
	uint64_t addr; /* virtual address */
	uint64_t size;
};

/* Writes an ELF executable to @fd: @text (at SYNTH_BASE + SYNTH_TEXT), @plt (at SYNTH_BASE +
 * SYNTH_PLT, no symbols, like a real PLT) and the function symbols @syms. Returns 0 or -1. */
static inline int synth_elf(int fd, const uint8_t *text, size_t ntext, const uint8_t *plt,
			    size_t nplt, const struct synth_sym *syms, size_t nsyms)
{
	static const char shstr[] = "\0.text\0.plt\0.symtab\0.strtab\0.shstrtab";
	uint8_t *img = calloc(1, SYNTH_END + 8192);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	size_t off = SYNTH_END, strsz = 1, symoff, stroff, shoff, shstroff;
	char strtab[1024] = "";
	Elf64_Sym sy[SYNTH_MAX_SYMS + 1];

	if (!img || ntext > SYNTH_PLT - SYNTH_TEXT || nplt > SYNTH_END - SYNTH_PLT ||
	    nsyms > SYNTH_MAX_SYMS) {
		free(img);
		return -1;
	}
	memcpy(img + SYNTH_TEXT, text, ntext);
	if (nplt)
		memcpy(img + SYNTH_PLT, plt, nplt);
	memset(sy, 0, sizeof(sy));
	for (size_t i = 0; i < nsyms; i++) {
		size_t n = strlen(syms[i].name) + 1;
		memcpy(strtab + strsz, syms[i].name, n);
		sy[i + 1].st_name = (uint32_t)strsz;
		strsz += n;
		sy[i + 1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
		sy[i + 1].st_shndx = 1;
		sy[i + 1].st_value = syms[i].addr;
		sy[i + 1].st_size = syms[i].size;
	}
	symoff = off;
	memcpy(img + off, sy, (nsyms + 1) * sizeof(sy[0]));
	off += (nsyms + 1) * sizeof(sy[0]);
	stroff = off;
	memcpy(img + off, strtab, strsz);
	off += strsz;
	shstroff = off;
	memcpy(img + off, shstr, sizeof(shstr));
	off = (off + sizeof(shstr) + 7) & ~(size_t)7;
	shoff = off;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + shoff);
	memset(sh, 0, 6 * sizeof(*sh));
	sh[1] = (Elf64_Shdr){ .sh_name = 1,
			      .sh_type = SHT_PROGBITS,
			      .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			      .sh_addr = SYNTH_BASE + SYNTH_TEXT,
			      .sh_offset = SYNTH_TEXT,
			      .sh_size = SYNTH_PLT - SYNTH_TEXT,
			      .sh_addralign = 16 };
	sh[2] = (Elf64_Shdr){ .sh_name = 7,
			      .sh_type = SHT_PROGBITS,
			      .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			      .sh_addr = SYNTH_BASE + SYNTH_PLT,
			      .sh_offset = SYNTH_PLT,
			      .sh_size = SYNTH_END - SYNTH_PLT,
			      .sh_addralign = 16 };
	sh[3] = (Elf64_Shdr){ .sh_name = 12,
			      .sh_type = SHT_SYMTAB,
			      .sh_offset = symoff,
			      .sh_size = (nsyms + 1) * sizeof(Elf64_Sym),
			      .sh_link = 4,
			      .sh_info = 1,
			      .sh_addralign = 8,
			      .sh_entsize = sizeof(Elf64_Sym) };
	sh[4] = (Elf64_Shdr){ .sh_name = 20,
			      .sh_type = SHT_STRTAB,
			      .sh_offset = stroff,
			      .sh_size = strsz,
			      .sh_addralign = 1 };
	sh[5] = (Elf64_Shdr){ .sh_name = 28,
			      .sh_type = SHT_STRTAB,
			      .sh_offset = shstroff,
			      .sh_size = sizeof(shstr),
			      .sh_addralign = 1 };
	off += 6 * sizeof(*sh);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = SYNTH_BASE + SYNTH_TEXT;
	eh->e_phoff = sizeof(*eh);
	eh->e_shoff = shoff;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 6;
	eh->e_shstrndx = 5;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD,
			    .p_flags = PF_R | PF_X,
			    .p_offset = 0,
			    .p_vaddr = SYNTH_BASE,
			    .p_paddr = SYNTH_BASE,
			    .p_filesz = SYNTH_END,
			    .p_memsz = SYNTH_END,
			    .p_align = 0x1000 };
	int ok = write(fd, img, off) == (ssize_t)off;
	free(img);
	return ok ? 0 : -1;
}

/* ---- packets ---- */

/** A growing PT stream written with libipt's encoder; TNT bits wait until a packet that is not a
 *  TNT (or six of them) comes, as the hardware does. */
struct synth {
	uint8_t *buf;
	size_t len, cap;
	uint8_t tnt; /* pending bits, oldest highest */
	int ntnt;
	uint64_t last_psb;
};

static inline int synth_raw(struct synth *s, const struct pt_packet *p)
{
	uint8_t tmp[64];
	struct pt_config c;

	pt_config_init(&c);
	c.begin = tmp;
	c.end = tmp + sizeof(tmp);
	struct pt_encoder *e = pt_alloc_encoder(&c);
	int n = e ? pt_enc_next(e, p) : -1;
	pt_free_encoder(e);
	if (n <= 0)
		return -1;
	if (s->len + (size_t)n > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		while (cap < s->len + (size_t)n)
			cap *= 2;
		uint8_t *nb = realloc(s->buf, cap);
		if (!nb)
			return -1;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, tmp, (size_t)n);
	s->len += (size_t)n;
	return 0;
}

static inline int synth_flush(struct synth *s)
{
	struct pt_packet p = { .type = ppt_tnt_8 };

	if (!s->ntnt)
		return 0;
	p.payload.tnt.bit_size = (uint8_t)s->ntnt;
	p.payload.tnt.payload = s->tnt;
	s->ntnt = 0;
	s->tnt = 0;
	return synth_raw(s, &p);
}

static inline int synth_put(struct synth *s, const struct pt_packet *p)
{
	return synth_flush(s) || synth_raw(s, p) ? -1 : 0;
}

/** A conditional branch taken (1) or not (0), or a compressed return (1). */
static inline int synth_tnt(struct synth *s, int bit)
{
	s->tnt = (uint8_t)(s->tnt << 1 | !!bit);
	return ++s->ntnt == 6 ? synth_flush(s) : 0;
}

static inline int synth_ip(struct synth *s, enum pt_packet_type type, uint64_t ip)
{
	struct pt_packet p = { .type = type };
	p.payload.ip.ipc = ip ? pt_ipc_sext_48 : pt_ipc_suppressed;
	p.payload.ip.ip = ip;
	return synth_put(s, &p);
}

static inline int synth_tsc(struct synth *s, uint64_t tsc)
{
	struct pt_packet p = { .type = ppt_tsc };
	p.payload.tsc.tsc = tsc;
	return synth_put(s, &p);
}

static inline int synth_simple(struct synth *s, enum pt_packet_type type)
{
	struct pt_packet p = { .type = type };
	return synth_put(s, &p);
}

/** PSB+ at execution point @ip (0: tracing is off there) at time @tsc. */
static inline int synth_psb(struct synth *s, uint64_t ip, uint64_t tsc)
{
	struct pt_packet m = { .type = ppt_mode };

	m.payload.mode.leaf = pt_mol_exec;
	m.payload.mode.bits.exec = pt_set_exec_mode(ptem_64bit);
	if (synth_flush(s))
		return -1;
	s->last_psb = s->len;
	return synth_simple(s, ppt_psb) || synth_tsc(s, tsc) || (ip && synth_put(s, &m)) ||
			       (ip && synth_ip(s, ppt_fup, ip)) || synth_simple(s, ppt_psbend)
		       ? -1
		       : 0;
}

static inline void synth_fini(struct synth *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

#endif
