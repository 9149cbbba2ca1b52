/* sdnotify MESSAGE...: send each MESSAGE as one datagram to $NOTIFY_SOCKET
 * (a path, or @name), as a service's sd_notify(3) does; a literal "\n" in a
 * message becomes a newline. busybox has no way to write to a datagram
 * socket: tests/lib/mkrootfs.sh builds this statically into the test root
 * filesystem (so the podman image has it too). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (argc < 2 || path == NULL || *path == '\0') {
		fprintf(stderr, "usage: NOTIFY_SOCKET=PATH sdnotify MESSAGE...\n");
		return 2;
	}
	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "sdnotify: NOTIFY_SOCKET is too long: %s\n", path);
		return 2;
	}
	strcpy(a.sun_path, path);
	if (a.sun_path[0] == '@')
		a.sun_path[0] = '\0';
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("sdnotify: socket");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		char msg[4096];
		size_t n = 0;
		for (const char *p = argv[i]; *p && n < sizeof(msg); p++) {
			if (p[0] == '\\' && p[1] == 'n') {
				msg[n++] = '\n';
				p++;
			} else {
				msg[n++] = *p;
			}
		}
		if (sendto(fd, msg, n, 0, (struct sockaddr *)&a, alen) < 0) {
			perror("sdnotify: sendto");
			return 1;
		}
	}
	close(fd);
	return 0;
}
