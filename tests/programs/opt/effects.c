/* effects.c built at -O2 (effects_o2): the same effects, callers inlined where GCC likes. */
#include "../effects.c"
