// libhwtrace from C++, through the shared library: HWT_ARG picks each value's type by overload,
// HWT_FUNC() marks a function as one slice. Facts for tests/e2e/t_api.sh:
//   work() runs 5 times, each a slice "work" holding an instant "item" {n: int, name: string,
//   ratio: double, ok: bool, none: null}; a counter "cxx" logs v = n * 2 at each call (5 values);
//   an object "cfg" logs {mode: "fast", sizes: [1, 2, 3]} once.
// Prints the same line with or without hwtrace.
#include <cstdio>
#include <string>

#include "hwtrace.h"

#ifdef __SANITIZE_ADDRESS__
// The sanitizer build (make SAN=1): no leak check at exit, which runs in a process of its own.
extern "C" const char *__asan_default_options()
{
	return "detect_leaks=0";
}
#endif

static struct hwt_counter *counter;

static void work(int n)
{
	HWT_FUNC();
	std::string name = "item" + std::to_string(n);
	hwt_instant("item", HWT_ARG("n", n), HWT_ARG("name", name.c_str()),
		    HWT_ARG("ratio", n / 4.0), HWT_ARG("ok", n % 2 == 0), HWT_ARG("none", nullptr));
	hwt_counter_set(counter, "v", n * 2);
}

int main()
{
	counter = hwt_counter_new("cxx");
	for (int n = 0; n < 5; n++)
		work(n);
	hwt_counter_free(counter);
	struct hwt_object *o = hwt_object_new("cfg");
	hwt_object_trigger(o, 0);
	hwt_object_set(o, "mode", "fast");
	hwt_object_json(o, "sizes", "[%d, %d, %d]", 1, 2, 3);
	hwt_object_log(o);
	hwt_object_free(o);
	std::printf("api_cxx: 5 calls\n");
	return 0;
}
