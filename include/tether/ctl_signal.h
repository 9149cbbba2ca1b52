/* ctl_signal: signal names and numbers as kill takes them. */
#ifndef TETHER_CTL_SIGNAL_H
#define TETHER_CTL_SIGNAL_H

/* "KILL", "SIGKILL", "kill", "9", "RTMIN+2": returns the number or -EINVAL. */
int ctl_signal_parse(const char *text);

/* "KILL" for 9; NULL for numbers without a name. */
const char *ctl_signal_name(int signo);

#endif
