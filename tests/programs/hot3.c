/* Three hot functions whose CPU shares are known by construction (work_a 2, work_b 3, work_c 5
 * units of the same loop), work_a also calling tiny(), which does next to nothing, CALLS times
 * spread over its loop: under a probe per call, tiny's and work_a's measured times are then
 * mostly probe time. Arguments: CALLS (default 20000), a unit in 100,000s of loop turns
 * (default 40: about 0.5 s of work in all) and work_b's units (default 3; 6 makes it twice as
 * slow, for `hwtrace diff`). Prints the CPU time the work took, in ns, as the
 * program itself measured it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

/* Built with -DHOT3_STEPPED, tiny starts with a load (no frame): a uprobe there is single-stepped
 * (~10 us a call here), as every probe costs on some hosts. */
#ifdef HOT3_STEPPED
__attribute__((optimize("omit-frame-pointer")))
#endif
__attribute__((noinline)) void
tiny(void)
{
	sink++;
}

/* The loop every work function runs, @turns of it, calling tiny() every @every turns (0:
 * never): the same instructions in each, so time is in proportion to turns. A macro, as a
 * function would be a fourth hot function. */
#define WORK(turns, every)                                                           \
	do {                                                                         \
		unsigned long x_ = sink, k_ = (every) ? (every) : (unsigned long)-1; \
		for (unsigned long i_ = 0; i_ < (turns); i_++) {                     \
			x_ = x_ * 6364136223846793005ul + 1442695040888963407ul;     \
			if (--k_ == 0) {                                             \
				k_ = (every);                                        \
				if (k_)                                              \
					tiny();                                      \
				else                                                 \
					k_ = (unsigned long)-1;                      \
			}                                                            \
		}                                                                    \
		sink = x_;                                                           \
	} while (0)

__attribute__((noinline)) void work_a(unsigned long turns, unsigned long calls)
{
	WORK(turns, calls ? turns / calls : 0);
}

__attribute__((noinline)) void work_b(unsigned long turns)
{
	WORK(turns, 0);
}

__attribute__((noinline)) void work_c(unsigned long turns)
{
	WORK(turns, 0);
}

static unsigned long long cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	unsigned long units = (argc > 2 ? strtoul(argv[2], NULL, 10) : 40) * 100000ul;
	unsigned long b_units = argc > 3 ? strtoul(argv[3], NULL, 10) : 3;
	unsigned long long t0 = cpu_ns();

	/* In rounds, so that a sampled profile sees each function throughout. */
	for (int round = 0; round < 10; round++) {
		work_a(2 * units, calls / 10);
		work_b(b_units * units);
		work_c(5 * units);
	}
	printf("%llu\n", cpu_ns() - t0);
	return 0;
}
