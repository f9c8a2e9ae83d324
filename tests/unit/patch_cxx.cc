// C++ functions the entry patcher's unit test patches: an exception thrown through them.
#include <stdexcept>

extern "C" {
#include "tests/unit/patch_targets.h"
}

extern "C" __attribute__((noipa)) int pt_cxx_throw(int depth)
{
	if (depth == 0)
		throw std::runtime_error("through patched frames");
	int r = pt_cxx_throw(depth - 1);
	__asm__ __volatile__("" ::: "memory"); // not a tail call
	return r + 1;
}

extern "C" __attribute__((noipa)) int pt_cxx_catch(int depth)
{
	try {
		return pt_cxx_throw(depth);
	} catch (const std::exception &) {
		return -1;
	}
}

// catches and rethrows (throw;): the unwinder walks the stack a second time
extern "C" __attribute__((noipa)) int pt_cxx_rethrow(int depth)
{
	try {
		return pt_cxx_throw(depth);
	} catch (const std::exception &) {
		throw;
	}
}

extern "C" __attribute__((noipa)) int pt_cxx_catch_rethrown(int depth)
{
	try {
		return pt_cxx_rethrow(depth);
	} catch (const std::exception &) {
		return -2;
	}
}
