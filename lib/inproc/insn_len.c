/* A table-driven x86-64 instruction length decoder for the entry patcher's whole-function scan:
 * 35 times faster than capstone for lengths alone, which it falls back on for what it does not
 * know (returns 0). Checked against capstone over whole libraries in tests/unit/test_patch.c. */
#include <string.h>

#include "lib/inproc/patch_internal.h"

/* One-byte map: M has a modrm byte; immediate: B byte, W word, Z word or dword (66), V the MOV
 * reg,imm form (qword with REX.W), A moffs, E enter (W+B), X invalid or unknown in 64-bit mode,
 * P a prefix (handled before), G the f6/f7 group (immediate with /0 and /1 only). */
/* clang-format off */
enum { N = 0, M = 1, B = 2, W = 4, Z = 8, V = 16, A = 32, E = 64, X = 128, G = 256 };

static const unsigned short one[256] = {
	/* 00 */ M, M, M, M, B, Z, X, X, M, M, M, M, B, Z, X, X,
	/* 10 */ M, M, M, M, B, Z, X, X, M, M, M, M, B, Z, X, X,
	/* 20 */ M, M, M, M, B, Z, X, X, M, M, M, M, B, Z, X, X,
	/* 30 */ M, M, M, M, B, Z, X, X, M, M, M, M, B, Z, X, X,
	/* 40 */ X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	/* 50 */ N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
	/* 60 */ X, X, X, M, X, X, X, X, Z, M | Z, B, M | B, N, N, N, N,
	/* 70 */ B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	/* 80 */ M | B, M | Z, X, M | B, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 90 */ N, N, N, N, N, N, N, N, N, N, X, N, N, N, N, N,
	/* a0 */ A, A, A, A, N, N, N, N, B, Z, N, N, N, N, N, N,
	/* b0 */ B, B, B, B, B, B, B, B, V, V, V, V, V, V, V, V,
	/* c0 */ M | B, M | B, W, N, X, X, M | B, M | Z, E, N, W, N, N, B, X, N,
	/* d0 */ M, M, M, M, X, X, X, N, M, M, M, M, M, M, M, M,
	/* e0 */ B, B, B, B, B, B, B, B, Z, Z, X, B, N, N, N, N,
	/* f0 */ X, N, X, X, N, N, M | G, M | G, N, N, N, N, N, N, M, M,
};

/* Two-byte map (0f xx). */
static const unsigned short two[256] = {
	/* 00 */ M, M, M, M, X, N, N, N, N, N, X, N, X, M, N, X,
	/* 10 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 20 */ M, M, M, M, X, X, X, X, M, M, M, M, M, M, M, M,
	/* 30 */ N, N, N, N, N, N, X, N, X, X, X, X, X, X, X, X,
	/* 40 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 50 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 60 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 70 */ M | B, M | B, M | B, M | B, M, M, M, N, X, M, X, X, M, M, M, M,
	/* 80 */ Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z,
	/* 90 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* a0 */ N, N, N, M, M | B, M, X, X, N, N, N, M, M | B, M, M, M,
	/* b0 */ M, M, M, M, M, M, M, M, M, M, M | B, M, M, M, M, M,
	/* c0 */ M, M, M | B, M, M | B, M | B, M | B, M, N, N, N, N, N, N, N, N,
	/* d0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* e0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* f0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
};

/* clang-format on */

static bool is_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0:
	case 0xf2:
	case 0xf3:
	case 0x2e:
	case 0x36:
	case 0x3e:
	case 0x26:
	case 0x64:
	case 0x65:
	case 0x66:
	case 0x67:
		return true;
	}
	return false;
}

/* Bytes of the modrm at @b (with its SIB and displacement), 0 if past @left. */
static size_t modrm_len(const uint8_t *b, size_t left)
{
	uint8_t mod, rm;
	size_t n = 1;

	if (left < 1)
		return 0;
	mod = b[0] >> 6;
	rm = b[0] & 7;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (left < 2)
			return 0;
		n++;
		if (mod == 0 && (b[1] & 7) == 5)
			n += 4;
	} else if (mod == 0 && rm == 5) {
		n += 4;
	}
	n += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	return n <= left ? n : 0;
}

/* VEX (c4/c5) and EVEX (62): @b at the escape byte; the length from it, 0 if unknown. */
static size_t vex_len(const uint8_t *b, size_t left, size_t *modrm_at)
{
	size_t hdr, m;
	unsigned map;
	uint8_t op;

	if (b[0] == 0xc5) {
		hdr = 2, map = 1;
	} else if (b[0] == 0xc4) {
		if (left < 2)
			return 0;
		hdr = 3, map = b[1] & 0x1f;
	} else {
		if (left < 2)
			return 0;
		hdr = 4, map = b[1] & 7;
	}
	if (left < hdr + 1 || map < 1 || map > 3)
		return 0;
	op = b[hdr];
	if (map == 1 && op == 0x77 && b[0] != 0x62)
		return hdr + 1; /* vzeroupper, vzeroall */
	m = modrm_len(b + hdr + 1, left - hdr - 1);
	if (!m)
		return 0;
	*modrm_at = hdr + 1;
	if (map == 3 ||
	    (map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6))))
		m++;
	return hdr + 1 + m;
}

size_t hwt__insn_length(const uint8_t *b, size_t left)
{
	size_t modrm_at;

	return hwt__insn_decode(b, left, &modrm_at);
}

size_t hwt__insn_decode(const uint8_t *b, size_t left, size_t *modrm_at)
{
	bool opsize = false, addr32 = false, rexw = false, rex = false, map0 = true;
	size_t i = 0, n;
	unsigned f;
	uint8_t op;

	*modrm_at = 0;
	while (i < left && is_prefix(b[i])) {
		opsize |= b[i] == 0x66;
		addr32 |= b[i] == 0x67;
		if (++i > 14)
			return 0;
	}
	if (i < left && (b[i] & 0xf0) == 0x40) {
		rex = true;
		rexw = b[i++] & 8;
	}
	if (i >= left)
		return 0;
	op = b[i++];
	if (op == 0xc4 || op == 0xc5 || op == 0x62) {
		if (rex)
			return 0; /* invalid */
		n = vex_len(b + i - 1, left - i + 1, modrm_at);
		*modrm_at += i - 1;
		return n && i - 1 + n <= 15 ? i - 1 + n : 0;
	}
	if (op == 0x0f) {
		if (i >= left)
			return 0;
		op = b[i++];
		if (op == 0x38 || op == 0x3a) {
			bool imm = op == 0x3a;

			if (++i > left)
				return 0;
			n = modrm_len(b + i, left - i);
			if (!n || i + n + imm > left || i + n + imm > 15)
				return 0;
			*modrm_at = i;
			return i + n + imm;
		}
		map0 = false;
		f = two[op];
	} else {
		f = one[op];
	}
	if (f & X)
		return 0;
	if (map0 && op == 0x8f && i < left && (b[i] & 0x38))
		return 0; /* AMD XOP */
	if (f & M) {
		n = modrm_len(b + i, left - i);
		if (!n)
			return 0;
		if ((f & G) && ((b[i] >> 3) & 7) < 2)
			f |= op == 0xf6 ? B : Z;
		*modrm_at = i;
		i += n;
	}
	if (f & B)
		i += 1;
	if (f & W)
		i += 2;
	if (f & Z) {
		/* near branches keep their rel32 under 66 in 64-bit mode (Intel) */
		bool branch = map0 ? (op == 0xe8 || op == 0xe9) : (op >= 0x80 && op <= 0x8f);

		i += opsize && !branch ? 2 : 4;
	}
	if (f & V)
		i += rexw ? 8 : opsize ? 2 : 4;
	if (f & A)
		i += addr32 ? 4 : 8;
	if (f & E)
		i += 3;
	return i <= left && i <= 15 ? i : 0;
}
