/* attach_client: the attach bench's client (bench/shimbench.py builds and
 * runs it). Connects to a monitor's attach socket as podman does (the
 * socket file opened O_PATH, connect() to /proc/self/fd/N, SOCK_SEQPACKET),
 * says "connected" on stdout, then reads every packet with a BUFSIZE-byte
 * buffer until EOF and prints one line:
 *
 *   packets data_bytes newlines other_stream oversize biggest eof_ns
 *
 * data_bytes excludes the stream byte; other_stream counts packets whose
 * stream byte is not 2 (stdout); oversize those longer than the buffer
 * (MSG_TRUNC gives their real length, biggest the largest); eof_ns is
 * CLOCK_MONOTONIC at EOF, the clock of Python's time.monotonic().
 *
 * A tight C loop, as podman's Go client is: the bench must measure the
 * monitor, and a Python recv loop saturates a core by itself.
 *
 * usage: attach_client SOCKET BUFSIZE */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: attach_client SOCKET BUFSIZE\n");
		return 2;
	}
	long bufsize = strtol(argv[2], NULL, 10);
	if (bufsize < 2 || bufsize > (1L << 24)) {
		fprintf(stderr, "attach_client: bad BUFSIZE %s\n", argv[2]);
		return 2;
	}
	int pfd = open(argv[1], O_PATH | O_CLOEXEC);
	if (pfd < 0) {
		fprintf(stderr, "attach_client: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d", pfd);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "attach_client: connect %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	close(pfd);
	/* The hang guard: no packet and no EOF for 30 s. */
	struct timeval tv = {.tv_sec = 30};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	printf("connected\n");
	fflush(stdout);

	char *buf = malloc((size_t)bufsize);
	if (buf == NULL)
		return 1;
	unsigned long long packets = 0, bytes = 0, lines = 0, other = 0, oversize = 0, biggest = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, (size_t)bufsize, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "attach_client: recv: %s (%llu bytes read)\n",
				strerror(errno), bytes);
			return 1;
		}
		if (n == 0)
			break;
		packets++;
		if (n > bufsize) {
			oversize++;
			if ((unsigned long long)n > biggest)
				biggest = (unsigned long long)n;
			n = bufsize;
		}
		if (buf[0] != 2)
			other++;
		bytes += (unsigned long long)n - 1;
		for (const char *p = buf + 1, *end = buf + n;
		     (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			lines++;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%llu %llu %llu %llu %llu %llu %lld\n", packets, bytes, lines, other, oversize,
	       biggest, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	return 0;
}
