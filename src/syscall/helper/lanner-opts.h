/* Declarations for lanner-opts.c (recorded kinds: options, config map, control lines). */
#ifndef LANNER_OPTS_H
#define LANNER_OPTS_H
#include <stddef.h>
#include "lanner-probe.h"

struct opts {
	unsigned ring_bytes;
	unsigned stats_ms;
	unsigned wakeup_bytes;
	unsigned char enabled[LN_K__MAX]; /* LN_F_* per kind */
};

int parse_opts(int argc, char **argv, struct opts *o);
/* writes every known syscall's sc_conf entry, disabled ones too */
void apply_conf(int map_fd, const struct opts *o);
/* reads control lines from stdin and applies them; returns 1 when stdin is closed */
int read_stdin(int map_fd, struct opts *o);

#endif
