/* Effects: five named files, each written and read back by a function of its own with byte
 * counts of its own (two under the working directory, three under /tmp), a file mapped
 * (MAP_LENGTH bytes at MAP_OFFSET) beside memory mapped, a file written and read back through
 * io_uring (opened, URING_WRITE bytes written and URING_READ read: raw system calls, no liburing),
 * and a TCP connection to a server thread on 127.0.0.1 (an ephemeral port): the client sends
 * CLIENT_SEND bytes and receives SERVER_SEND. Prints "file NAME WRITTEN READ" for each file, "map
 * NAME LENGTH OFFSET", "uring NAME WRITTEN READ" ("uring none" where the kernel refuses io_uring)
 * and "server PORT" for t_effects to check the files and network views against. Usage: effects
 * [TMPDIR_TAG] */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_SEND 1111
#define SERVER_SEND 2222
#define MAP_LENGTH  8192
#define MAP_OFFSET  4096
#define URING_WRITE 6000
#define URING_READ  600

static char buf[1 << 16];

/* Writes @nw bytes to @path in one write, reads @nr of them back in one read, removes it. */
static void write_read(const char *path, size_t nw, size_t nr)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0 || write(fd, buf, nw) != (ssize_t)nw) {
		perror(path);
		exit(1);
	}
	close(fd);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, nr) != (ssize_t)nr) {
		perror(path);
		exit(1);
	}
	close(fd);
	printf("file %s %zu %zu\n", path, nw, nr);
}

static char tmp_c[64], tmp_d[64], tmp_e[64];

__attribute__((noinline)) void file_cwd_a(void)
{
	write_read("fx_cwd_a.dat", 1000, 100);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void file_cwd_b(void)
{
	write_read("fx_cwd_b.dat", 2000, 200);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void file_tmp_c(void)
{
	write_read(tmp_c, 3000, 300);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void file_tmp_d(void)
{
	write_read(tmp_d, 4000, 400);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void file_tmp_e(void)
{
	write_read(tmp_e, 5000, 500);
	__asm__ volatile("" ::: "memory");
}

/* Maps a file of its own (written first) and reads through the mapping, then maps memory: one
 * "map" effect, of the file. */
__attribute__((noinline)) void file_map(void)
{
	const char *path = "fx_map.dat";
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0 || write(fd, buf, MAP_OFFSET + MAP_LENGTH) != MAP_OFFSET + MAP_LENGTH) {
		perror(path);
		exit(1);
	}
	volatile const char *p = mmap(NULL, MAP_LENGTH, PROT_READ, MAP_PRIVATE, fd, MAP_OFFSET);
	char *mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mem == MAP_FAILED || p[MAP_LENGTH - 1] != 'x') {
		perror("mmap");
		exit(1);
	}
	mem[0] = p[0];
	munmap((void *)p, MAP_LENGTH);
	munmap(mem, 1 << 20);
	close(fd);
	unlink(path);
	printf("map %s %d %d\n", path, MAP_LENGTH, MAP_OFFSET);
}

/* A ring of one entry, mapped. */
struct uring {
	int fd;
	struct io_uring_sqe *sqe;
	unsigned *sq_tail, *sq_array, *cq_head;
	const unsigned *cq_tail, *cq_mask;
	const struct io_uring_cqe *cqes;
};

/* Submits @want and waits for it: its result. */
static int uring_do(struct uring *u, const struct io_uring_sqe *want)
{
	*u->sqe = *want;
	u->sq_array[0] = 0;
	__atomic_store_n(u->sq_tail, *u->sq_tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, u->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -1;
	unsigned head = *u->cq_head;
	if (head == __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE))
		return -1;
	int res = u->cqes[head & *u->cq_mask].res;
	__atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* Opens a file of its own, writes URING_WRITE bytes to it and reads URING_READ of them back, each
 * through an io_uring request; the close is a plain call. */
__attribute__((noinline)) void file_uring(void)
{
	const char *path = "fx_uring.dat";
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int ring = (int)syscall(__NR_io_uring_setup, 1, &p);
	if (ring < 0) {
		printf("uring none\n"); /* io_uring disabled (kernel.io_uring_disabled) */
		return;
	}
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	size_t sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	uint8_t *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
			   IORING_OFF_SQ_RING);
	uint8_t *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
			   IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqe = mmap(NULL, sqes_len, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqe == MAP_FAILED) {
		perror("io_uring");
		exit(1);
	}
	struct uring u = {
		.fd = ring,
		.sqe = sqe,
		.sq_tail = (unsigned *)(sq + p.sq_off.tail),
		.sq_array = (unsigned *)(sq + p.sq_off.array),
		.cq_head = (unsigned *)(cq + p.cq_off.head),
		.cq_tail = (const unsigned *)(cq + p.cq_off.tail),
		.cq_mask = (const unsigned *)(cq + p.cq_off.ring_mask),
		.cqes = (const struct io_uring_cqe *)(cq + p.cq_off.cqes),
	};
	struct io_uring_sqe op = { .opcode = IORING_OP_OPENAT,
				   .fd = AT_FDCWD,
				   .addr = (uint64_t)(uintptr_t)path,
				   .len = 0600,
				   .open_flags = O_CREAT | O_TRUNC | O_RDWR };
	int fd = uring_do(&u, &op);
	op = (struct io_uring_sqe){ .opcode = IORING_OP_WRITE,
				    .fd = fd,
				    .addr = (uint64_t)(uintptr_t)buf,
				    .len = URING_WRITE };
	int w = uring_do(&u, &op);
	op.opcode = IORING_OP_READ;
	op.len = URING_READ;
	int r = uring_do(&u, &op);
	if (fd < 0 || w != URING_WRITE || r != URING_READ) {
		fprintf(stderr, "io_uring: opened %d, wrote %d, read %d\n", fd, w, r);
		exit(1);
	}
	close(fd);
	unlink(path);
	munmap(sqe, sqes_len);
	munmap(cq, cq_len);
	munmap(sq, sq_len);
	close(ring);
	printf("uring %s %d %d\n", path, URING_WRITE, URING_READ);
}

/* Reads exactly @n bytes. */
static void recv_all(int fd, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = recv(fd, buf + got, n - got, 0);
		if (k <= 0) {
			perror("recv");
			exit(1);
		}
		got += (size_t)k;
	}
}

static int lfd;

__attribute__((noinline)) void *server_main(void *arg)
{
	int c = accept(lfd, NULL, NULL);
	if (c < 0) {
		perror("accept");
		exit(1);
	}
	recv_all(c, CLIENT_SEND);
	if (send(c, buf, SERVER_SEND, 0) != SERVER_SEND) {
		perror("send");
		exit(1);
	}
	close(c);
	return arg;
}

__attribute__((noinline)) void net_client(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		exit(1);
	}
	if (send(fd, buf, CLIENT_SEND, 0) != CLIENT_SEND) {
		perror("send");
		exit(1);
	}
	recv_all(fd, SERVER_SEND);
	close(fd);
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	pthread_t th;

	memset(buf, 'x', sizeof(buf));
	snprintf(tmp_c, sizeof(tmp_c), "/tmp/hwt_fx_%d_c.dat", (int)getpid());
	snprintf(tmp_d, sizeof(tmp_d), "/tmp/hwt_fx_%d_d.dat", (int)getpid());
	snprintf(tmp_e, sizeof(tmp_e), "/tmp/hwt_fx_%d_e.dat", (int)getpid());
	file_cwd_a();
	file_cwd_b();
	file_tmp_c();
	file_tmp_d();
	file_tmp_e();
	unlink("fx_cwd_a.dat");
	unlink("fx_cwd_b.dat");
	unlink(tmp_c);
	unlink(tmp_d);
	unlink(tmp_e);
	file_map();
	file_uring();

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen)) {
		perror("server");
		return 1;
	}
	printf("server %d %d %d\n", ntohs(a.sin_port), CLIENT_SEND, SERVER_SEND);
	fflush(stdout);
	pthread_create(&th, NULL, server_main, NULL);
	net_client(ntohs(a.sin_port));
	pthread_join(th, NULL);
	close(lfd);
	/* Stay a while: the recorder zeroes copied stacks (argv and the environment lie at their
	 * top) by where /proc says they are, and a process that has exited says nothing; records
	 * drained after the exit would lose their stacks. */
	struct timespec linger = { 0, 500 * 1000 * 1000 };
	nanosleep(&linger, NULL);
	return 0;
}
