/* Checks for loops of millions. Each passing ck_assert_*() tells Check's parent process the line
 * it passed, a write(2) apiece (the last line passed is what Check names when a test crashes):
 * test_pt made 3.6 M of them, 87 s of its 90 on a host where a system call costs 5 us, 320 s
 * under ASan. These check the same, and call Check only when the check fails. */
#ifndef HWT_TESTS_QUIET_CHECK_H
#define HWT_TESTS_QUIET_CHECK_H

#include <check.h>

/* Fails the test, naming @expr and where, if @expr is false. @expr is evaluated once. */
#define CK_QUIET(expr)                                           \
	do {                                                     \
		if (!(expr))                                     \
			ck_abort_msg("check failed: %s", #expr); \
	} while (0)

/* Fails the test if the integers @a and @b differ, naming both values. Each is evaluated once. */
#define CK_QUIET_EQ(a, b)                                                                    \
	do {                                                                                 \
		long long ck_q_a_ = (long long)(a), ck_q_b_ = (long long)(b);                \
		if (ck_q_a_ != ck_q_b_)                                                      \
			ck_abort_msg("check failed: %s == %s (%lld, %lld)", #a, #b, ck_q_a_, \
				     ck_q_b_);                                               \
	} while (0)

#endif
