/* lanner-probe: loads the BPF skeleton, drains its ring buffer and writes the records, framed by
 * their own {u16 len, u16 type} header, to stdout for the Node loader. Also writes HELLO and
 * periodic STATS frames (per-CPU drops, records sent). Stdin carries control lines (a new set of
 * event kinds, answered by a CONF frame). Exits cleanly on SIGTERM/SIGINT, on stdin closing (the
 * parent is gone) and on EPIPE.
 *
 * Why a separate process and not an N-API addon: BPF needs CAP_BPF+CAP_PERFMON, and libbpf or a
 * bad record can crash natively; in a child both stay out of the Node process, which only reads
 * a pipe and can restart the helper. Measured pipe throughput (~245k records/s with batched
 * wakeups) is far above realistic event rates, so the extra copy costs nothing that matters. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "lanner-probe.h"
#include "lanner.skel.h"
#include "lanner-tables.h"
#include "lanner-opts.h"
#include "lanner-out.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t n_records, n_bytes, n_polls;

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size < sizeof(struct ln_hdr))
		return 0;
	if (out_append(data, size) < 0)
		return -1; /* stops the drain; main loop sees the broken pipe */
	n_records++;
	n_bytes += size;
	return 0;
}

static int64_t clock_offset(void)
{
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000LL + ((int64_t)rt.tv_nsec - bt.tv_nsec);
}

static int write_hello(int ncpu)
{
	struct ln_ctl_hello h = {
		.len = sizeof(h), .type = LN_CTL_HELLO, .abi = LN_ABI_VERSION,
		.helper_pid = (__u32)getpid(), .ncpu = (__u32)ncpu, .clock_offset = clock_offset(),
	};
	return out_append(&h, sizeof(h));
}

static int write_stats(struct lanner_bpf *skel, int ncpu)
{
	unsigned char frame[sizeof(struct ln_ctl_stats) + 8 * 1024];
	struct ln_ctl_stats *st = (struct ln_ctl_stats *)frame;
	__u64 *drops = (__u64 *)(frame + sizeof(*st));
	__u32 key = 0, exit_key = 1;
	int n = ncpu > 1024 ? 1024 : ncpu;

	memset(frame, 0, sizeof(frame));
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.drops), &key, drops) != 0)
		memset(drops, 0, 8 * (size_t)n);
	/* the self-check: the programs count this call synchronously, so the counts read next include it */
	syscall(LN_SELF_CHECK_NR);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.self_seen), &key, &st->self_enter) != 0)
		st->self_enter = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.self_seen), &exit_key, &st->self_exit) != 0)
		st->self_exit = 0;
	st->len = (__u16)(sizeof(*st) + 8 * (size_t)n);
	st->type = LN_CTL_STATS;
	st->ncpu = (__u32)n;
	st->records = n_records;
	st->bytes = n_bytes;
	st->polls = n_polls;
	st->clock_offset = clock_offset();
	return out_append(frame, st->len);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct lanner_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	int err = 0, ncpu;
	int64_t next_stats;

	if (argc > 1 && strcmp(argv[1], "--abi") == 0) {
		print_abi();
		return 0;
	}
	if (parse_opts(argc, argv, &o) < 0)
		return 2;

	/* die with the loader even if it could not close our stdin (e.g. SIGKILL) */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	out_init(&stopping);
	libbpf_set_print(libbpf_log);
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		fprintf(stderr, "lanner-probe: cannot count CPUs\n");
		return 1;
	}

	skel = lanner_bpf__open();
	if (!skel) {
		fprintf(stderr, "lanner-probe: open failed: %s\n", strerror(errno));
		return 3;
	}
	skel->rodata->helper_tgid = (__u32)getpid();
	skel->rodata->wakeup_bytes = o.wakeup_bytes;
	skel->rodata->emit_procexit = (o.enabled[LN_K_PROCEXIT] & LN_F_EXIT) != 0;
	bpf_map__set_max_entries(skel->maps.events, o.ring_bytes);
	err = lanner_bpf__load(skel);
	if (err) {
		fprintf(stderr, "lanner-probe: load failed: %s (needs root or CAP_BPF+CAP_PERFMON and BTF)\n",
			strerror(-err));
		err = 3;
		goto out;
	}
	apply_conf(bpf_map__fd(skel->maps.sc_conf), &o);
	err = lanner_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "lanner-probe: attach failed: %s\n", strerror(-err));
		err = 3;
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "lanner-probe: ring buffer setup failed: %s\n", strerror(errno));
		err = 3;
		goto out;
	}

	if (write_hello(ncpu) < 0 || out_flush() < 0)
		goto out;
	/* the first STATS at once: its self-check shows the programs run before any event happens */
	next_stats = now_ms();
	while (!stopping) {
		/* wakeups are batched in the kernel: on timeout, drain whatever is there */
		int n = ring_buffer__poll(rb, 10);
		if (n == 0)
			n = ring_buffer__consume(rb);
		n_polls++;
		if (n < 0 && n != -EINTR)
			break;
		if (now_ms() >= next_stats) {
			next_stats = now_ms() + o.stats_ms;
			if (write_stats(skel, ncpu) < 0)
				break;
		}
		if (read_stdin(bpf_map__fd(skel->maps.sc_conf), &o))
			break;
		if (out_pending() && out_flush() < 0)
			break;
	}
	ring_buffer__consume(rb);
	write_stats(skel, ncpu);
	out_final_flush();
	err = 0;
out:
	ring_buffer__free(rb);
	lanner_bpf__destroy(skel);
	return err;
}
