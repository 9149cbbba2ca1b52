/* ctl_attach: a client of the shim's attach socket (conmon's framing:
 * SOCK_SEQPACKET, each packet one stream byte, 2 = stdout, 3 = stderr, then
 * up to 8192 bytes of data). */
#ifndef TETHER_CTL_ATTACH_H
#define TETHER_CTL_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_ATTACH_BUF (32 * 1024)

/* Connect to CDIR/attach through /proc/self/fd/N/attach, so long state
 * paths fit in sun_path. Returns the fd or -errno. */
int ctl_attach_connect(const char *cdir);

/* Deliver one packet to out_fd / err_fd by its prefix byte. Unknown prefixes
 * and empty packets are ignored. Returns 0 or -errno from the write. */
int ctl_attach_deliver(const char *pkt, size_t len, int out_fd, int err_fd);

#endif
