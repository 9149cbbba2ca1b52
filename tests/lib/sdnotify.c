/* sdnotify MESSAGE: send MESSAGE ("\n" escapes become newlines) to
 * $NOTIFY_SOCKET, as a service's sd_notify(3) does. Built statically into
 * the test root filesystem (tests/lib/mkrootfs.sh): busybox has no way to
 * write to a datagram socket. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (argc != 2 || path == NULL) {
		fprintf(stderr, "usage: NOTIFY_SOCKET=PATH sdnotify MESSAGE\n");
		return 2;
	}
	char msg[4096];
	size_t n = 0;
	for (const char *p = argv[1]; *p && n < sizeof(msg) - 1; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			msg[n++] = '\n';
			p++;
		} else {
			msg[n++] = *p;
		}
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "sdnotify: NOTIFY_SOCKET too long\n");
		return 1;
	}
	strcpy(a.sun_path, path);
	if (a.sun_path[0] == '@')
		a.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, msg, n, 0, (struct sockaddr *)&a,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path))) < 0) {
		perror("sdnotify");
		return 1;
	}
	return 0;
}
