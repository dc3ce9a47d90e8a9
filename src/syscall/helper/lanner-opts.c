/* Which event kinds the probe records: the command-line options, the per-syscall config map
 * (sc_conf) they become, and the control lines on stdin that change it while the probe runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include "lanner-opts.h"
#include "lanner-out.h"
#include "lanner-tables.h"

struct ln_sc_conf {
	__u16 kind;
	__u8 flags;
	__u8 pad;
};

static int kind_of(const char *name)
{
	for (int k = 1; k < LN_K__MAX; k++)
		if (KIND_NAMES[k] && strcmp(KIND_NAMES[k], name) == 0)
			return k;
	return -1;
}

/* "a,b,c" → sets flag on each named kind; "all" names every kind */
static int parse_kinds(const char *list, struct opts *o, unsigned char flag, int replace)
{
	char buf[4096];
	if (replace)
		for (int k = 1; k < LN_K__MAX; k++)
			o->enabled[k] &= (unsigned char)~flag;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "none") == 0)
			continue;
		if (strcmp(tok, "all") == 0) {
			for (int k = 1; k < LN_K__MAX; k++)
				o->enabled[k] |= flag;
			continue;
		}
		int k = kind_of(tok);
		if (k < 0) {
			fprintf(stderr, "lanner-probe: unknown event kind '%s'\n", tok);
			return -1;
		}
		o->enabled[k] |= flag;
	}
	return 0;
}

int parse_opts(int argc, char **argv, struct opts *o)
{
	o->ring_bytes = 4u << 20;
	o->stats_ms = 1000;
	o->wakeup_bytes = 65536;
	for (int k = 1; k < LN_K__MAX; k++)
		o->enabled[k] = LN_F_EXIT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--ring-bytes") == 0 && v) {
			o->ring_bytes = (unsigned)strtoul(v, NULL, 10); i++;
		} else if (strcmp(a, "--stats-ms") == 0 && v) {
			o->stats_ms = (unsigned)strtoul(v, NULL, 10); i++;
		} else if (strcmp(a, "--wakeup-bytes") == 0 && v) {
			o->wakeup_bytes = (unsigned)strtoul(v, NULL, 10); i++;
		} else if (strcmp(a, "--kinds") == 0 && v) {
			if (parse_kinds(v, o, LN_F_EXIT, 1) < 0) return -1;
			i++;
		} else if (strcmp(a, "--enter") == 0 && v) {
			if (parse_kinds(v, o, LN_F_ENTER, 1) < 0) return -1;
			i++;
		} else {
			fprintf(stderr, "lanner-probe: unknown option '%s'\n"
				"usage: lanner-probe [--abi] [--ring-bytes N] [--stats-ms N] [--wakeup-bytes N]"
				" [--kinds k,..|all] [--enter k,..]\n", a);
			return -1;
		}
	}
	/* ring size must be a power of two and a page multiple */
	unsigned r = 4096;
	while (r < o->ring_bytes && r < (1u << 30))
		r <<= 1;
	o->ring_bytes = r;
	return 0;
}

/* writes every known syscall's entry, disabled ones too, so a new set replaces the old one */
void apply_conf(int map_fd, const struct opts *o)
{
	for (size_t i = 0; i < N_SYSCALLS; i++) {
		__u32 nr = (__u32)SYSCALLS[i].nr;
		/* execve needs its enter program to stash the filename even without enter records */
		struct ln_sc_conf c = { .kind = (__u16)SYSCALLS[i].kind, .flags = o->enabled[SYSCALLS[i].kind] };
		if (nr >= LN_MAX_SYSCALLS)
			continue;
		bpf_map_update_elem(map_fd, &nr, &c, BPF_ANY);
	}
}

/* "kinds <seq> <exit-list|none> <enter-list|none>": the loader's rules changed. procexit is a
 * load-time switch (rodata) and is not changed here. */
static void control_line(char *line, int map_fd, struct opts *o)
{
	char ex[4096], en[4096];
	unsigned seq;
	struct opts n = *o;
	__u32 n_exit = 0, n_enter = 0;

	if (sscanf(line, "kinds %u %4095s %4095s", &seq, ex, en) != 3) {
		fprintf(stderr, "lanner-probe: ignored control line '%.80s'\n", line);
		return;
	}
	if (parse_kinds(ex, &n, LN_F_EXIT, 1) < 0 || parse_kinds(en, &n, LN_F_ENTER, 1) < 0) {
		out_conf(seq, LN_CONF_REJECTED, 0);
		return;
	}
	*o = n;
	apply_conf(map_fd, o);
	for (int k = 1; k < LN_K__MAX; k++) {
		n_exit += (o->enabled[k] & LN_F_EXIT) != 0;
		n_enter += (o->enabled[k] & LN_F_ENTER) != 0;
	}
	out_conf(seq, n_exit, n_enter);
}

static char in_buf[16384];
static size_t in_len;

/* Reads control lines from stdin; returns 1 when stdin is closed (the parent is gone). */
int read_stdin(int map_fd, struct opts *o)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & POLLIN) {
		if (in_len == sizeof(in_buf))
			in_len = 0; /* a line longer than the buffer: not ours, drop it */
		ssize_t n = read(STDIN_FILENO, in_buf + in_len, sizeof(in_buf) - in_len);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EINTR || errno == EAGAIN ? 0 : 1;
		in_len += (size_t)n;
		char *start = in_buf, *nl;
		while ((nl = memchr(start, '\n', in_len - (size_t)(start - in_buf))) != NULL) {
			*nl = 0;
			control_line(start, map_fd, o);
			start = nl + 1;
		}
		in_len -= (size_t)(start - in_buf);
		memmove(in_buf, start, in_len);
		return 0;
	}
	return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}
