/* Looks a symbol up in an ELF file's symbol tables with libelf, without loading the file: the
 * plugin host checks a plugin's entry point before dlopen() runs any of its code. */
#include "core/elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"

static int matches(const char *sym, const char *name, unsigned flags)
{
	return flags & HWT_ELFSYM_PREFIX ? !strncmp(sym, name, strlen(name)) : !strcmp(sym, name);
}

/* Looks in the symbol table @scn (its header @sh) of @e. */
static int in_table(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, const char *name, unsigned flags)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Sym sym;

	if (!data || !sh->sh_entsize)
		return 0;
	size_t n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 1; i < n; i++) {
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		if ((flags & HWT_ELFSYM_DEFINED) && sym.st_shndx == SHN_UNDEF)
			continue;
		const char *s = elf_strptr(e, sh->sh_link, sym.st_name);
		if (s && *s && matches(s, name, flags))
			return 1;
	}
	return 0;
}

int hwt_elf_has_symbol(const char *path, const char *name, unsigned flags)
{
	struct stat st;
	int found = 0;

	if (!path || !name)
		return HWT_E_INVAL;
	/* Checked before open: a FIFO's open would wait for a writer. */
	if (stat(path, &st))
		return hwt_error_from_errno(errno);
	if (!S_ISREG(st.st_mode))
		return HWT_E_INVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return hwt_error_from_errno(errno);
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
		return HWT_E_ELF;
	}
	for (Elf_Scn *scn = NULL; !found && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) ||
		    !(sh.sh_type == SHT_DYNSYM ||
		      (sh.sh_type == SHT_SYMTAB && !(flags & HWT_ELFSYM_DYNAMIC))))
			continue;
		found = in_table(e, scn, &sh, name, flags);
	}
	elf_end(e);
	close(fd);
	return found;
}
