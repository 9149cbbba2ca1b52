/* sdnotify MESSAGE...: send each MESSAGE as one datagram to $NOTIFY_SOCKET,
 * as sd_notify(3) does. The busybox image has no systemd-notify: the
 * compat suite builds this statically and mounts it into the container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (path == NULL || *path == '\0') {
		fprintf(stderr, "sdnotify: NOTIFY_SOCKET is not set\n");
		return 2;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sdnotify: NOTIFY_SOCKET is too long: %s\n", path);
		return 2;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("sdnotify: socket");
		return 1;
	}
	const struct sockaddr *to = (const struct sockaddr *)&sa;
	for (int i = 1; i < argc; i++) {
		if (sendto(fd, argv[i], strlen(argv[i]), 0, to, sizeof(sa)) < 0) {
			perror("sdnotify: sendto");
			return 1;
		}
	}
	close(fd);
	return 0;
}
