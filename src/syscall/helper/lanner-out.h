/* Declarations for lanner-out.c (the framed byte stream to the Node loader on stdout). */
#ifndef LANNER_OUT_H
#define LANNER_OUT_H
#include <signal.h>
#include <stddef.h>
#include <linux/types.h>

/* the flag the signal handler sets: a flush blocked on a full pipe gives up once it is set */
void out_init(const volatile sig_atomic_t *stop_flag);
/* queues n bytes; flushes first when they do not fit; -1 when the pipe is broken */
int out_append(const void *p, size_t n);
/* writes everything queued (blocking); -1 when the pipe is broken or a stop was requested */
int out_flush(void);
/* on the way out: writes what the pipe takes without blocking, drops the rest */
void out_final_flush(void);
/* 1 when bytes are queued */
int out_pending(void);
/* queues a CONF frame: the answer to a control line (n_exit == LN_CONF_REJECTED: rejected) */
int out_conf(__u32 seq, __u32 n_exit, __u32 n_enter);

#endif
