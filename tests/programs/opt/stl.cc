// std::sort and std::map built -O2: sort_values() spends its time in std::sort's internals and
// lookups() in std::map::find, both inlined into them (perf shows them with --inline).
// Arguments: rounds (default 4), elements (default 300000).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

__attribute__((noinline)) void sort_values(std::vector<unsigned> &v)
{
	std::sort(v.begin(), v.end());
}

__attribute__((noinline)) unsigned long lookups(const std::map<unsigned, unsigned> &m, unsigned n)
{
	unsigned long sum = 0;

	for (unsigned i = 0; i < n; i++) {
		auto it = m.find(i * 2654435761u % (2 * n));
		if (it != m.end())
			sum += it->second;
	}
	return sum;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 4;
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 300000;
	std::map<unsigned, unsigned> m;
	std::vector<unsigned> v(n);
	unsigned long sum = 0;

	for (unsigned i = 0; i < n; i++)
		m[2 * i] = i;
	for (int r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < n; i++)
			v[i] = (i + (unsigned)r) * 2654435761u;
		sort_values(v);
		sum += v[n / 2] + lookups(m, n);
	}
	printf("%lu\n", sum & 1);
	return 0;
}
