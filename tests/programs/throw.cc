// A C++ exception thrown through 3 frames, 5 times: thrower <- middle <- outer, caught in
// main, then after_catch() returns normally. Each of the three is called 5 times.
#include <cstdio>
#include <stdexcept>

__attribute__((noinline)) void thrower(int i)
{
	throw std::runtime_error("boom");
}

__attribute__((noinline)) void middle(int i)
{
	thrower(i);
}

__attribute__((noinline)) void outer(int i)
{
	middle(i);
}

__attribute__((noinline)) int after_catch(int v)
{
	return v + 1;
}

int main()
{
	int n = 0;
	for (int i = 0; i < 5; i++) {
		try {
			outer(i);
		} catch (const std::exception &) {
			n = after_catch(n);
		}
	}
	std::printf("%d\n", n);
	return 0;
}
