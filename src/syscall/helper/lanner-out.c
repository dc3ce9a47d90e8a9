/* The helper's output: one big buffer of frames (records as the ring buffer holds them, HELLO,
 * STATS, CONF) flushed to stdout after each drain. Its own unit so that the option parser
 * (lanner-opts.c) can answer control lines without depending on the main loop (lanner-probe.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include "lanner-probe.h"
#include "lanner-out.h"

#define OUT_CAP (1 << 20)
static unsigned char out_buf[OUT_CAP];
static size_t out_len;
static const volatile sig_atomic_t *stop_requested;

void out_init(const volatile sig_atomic_t *stop_flag)
{
	stop_requested = stop_flag;
}

static int stopping(void)
{
	return stop_requested != NULL && *stop_requested;
}

int out_flush(void)
{
	size_t done = 0;
	while (done < out_len) {
		if (stopping()) {
			/* the reader is not keeping up and we were asked to stop: drop the rest */
			out_len = 0;
			return -1;
		}
		ssize_t w = write(STDOUT_FILENO, out_buf + done, out_len - done);
		if (w < 0) {
			/* no SA_RESTART: a stop request interrupts a write blocked on a full pipe */
			if (errno == EINTR && !stopping())
				continue;
			return -1;
		}
		done += (size_t)w;
	}
	out_len = 0;
	return 0;
}

/* the reader may be gone or stuck: never block here */
void out_final_flush(void)
{
	size_t done = 0;
	int fl = fcntl(STDOUT_FILENO, F_GETFL);
	if (fl >= 0)
		fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK);
	while (done < out_len) {
		ssize_t w = write(STDOUT_FILENO, out_buf + done, out_len - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	out_len = 0;
}

int out_pending(void)
{
	return out_len > 0;
}

int out_append(const void *p, size_t n)
{
	if (n > OUT_CAP)
		return 0;
	if (out_len + n > OUT_CAP && out_flush() < 0)
		return -1;
	memcpy(out_buf + out_len, p, n);
	out_len += n;
	return 0;
}

int out_conf(__u32 seq, __u32 n_exit, __u32 n_enter)
{
	struct ln_ctl_conf c = { .len = sizeof(c), .type = LN_CTL_CONF, .seq = seq, .n_exit = n_exit, .n_enter = n_enter };
	return out_append(&c, sizeof(c));
}
