/* signame: signal names and numbers as kill takes them. */
#ifndef TETHER_SIGNAME_H
#define TETHER_SIGNAME_H

/* "KILL", "SIGKILL", "kill", "9", "RTMIN+2": returns the number or -EINVAL. */
int signame_parse(const char *text);

/* "KILL" for 9; NULL for numbers without a name. */
const char *signame_name(int signo);

#endif
