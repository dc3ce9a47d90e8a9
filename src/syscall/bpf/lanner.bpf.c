// SPDX-License-Identifier: GPL-2.0
/* Lanner's kernel side: raw syscall tracepoints that turn the syscalls rules care about into
 * compact variable-length records in one ring buffer. Everything else returns after one array
 * lookup, because every syscall on the machine pays for these programs. CO-RE: built once
 * against this kernel's BTF, relocated by libbpf at load. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "lanner-probe.h"

char LICENSE[] SEC("license") = "GPL";

/* set by the helper before load */
const volatile __u32 helper_tgid = 0;
const volatile __u32 wakeup_bytes = 65536;
const volatile __u8 emit_procexit = 1;

#define LN_SCRATCH 16384
#define LN_OFF_MASK 8191     /* blob offsets stay below this, so off + 2 + max blob < LN_SCRATCH.
			      * Worst case before the last blob (execve: header, cgroup, filename,
			      * argv) is ~3.3 KiB, and cwd checks its own budget. */
#define LN_STR_MAX 1024      /* paths */
#define LN_STR_MASK 2047
#define LN_ARGV_MAX 2040
#define LN_SOCKADDR_MAX 112
#define LN_CGNAME_MAX 128
#define LN_CWD_DEPTH 24
#define LN_CWD_MAX 4096
#define LN_NAME_MAX 255

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

struct ln_sc_conf {
	__u16 kind;
	__u8 flags;
	__u8 pad;
};

struct ln_scratch {
	__u8 buf[LN_SCRATCH];
};

struct ln_exec_arg {
	char filename[LN_STR_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LN_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct ln_sc_conf);
} sc_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ln_scratch);
} scratch SEC(".maps");

/* index 0: records lost because the ring was full */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* execve's filename lives in the old mm: saved at enter, emitted with the exit record. Keyed by
 * tgid: when a non-leader thread execs, the call returns in the leader's tid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct ln_exec_arg);
} exec_args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ln_exec_arg);
} exec_tmp SEC(".maps");

/* the helper's own self-check calls seen: [0] by ln_sys_enter, [1] by ln_sys_exit (STATS
 * self_enter/self_exit). Rising counts prove the programs run on a node where nothing else the
 * rules ask for happens. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} self_seen SEC(".maps");

struct ln_cg_cache {
	__u64 css;	/* the cpu css the name was read for */
	__u64 dfl;	/* and the default-hierarchy (cgroup v2) cgroup */
	__u32 len;	/* bpf_probe_read_kernel_str's result: bytes including the NUL */
	__u32 pad;
	char name[LN_CGNAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ln_cg_cache);
} cg_cache SEC(".maps");

#include "lanner-put.bpf.h"
#include "lanner-fill.bpf.h"

static __always_inline void header(struct ln_scratch *s, __u16 kind, __u8 dir, long res,
				   struct task_struct *task, __u64 pid_tgid)
{
	struct ln_hdr *h = (struct ln_hdr *)s->buf;
	__u64 ugid = bpf_get_current_uid_gid();

	h->kind = kind;
	h->dir = dir;
	h->flags = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->tid = (__u32)pid_tgid;
	h->pid = pid_tgid >> 32;
	h->ts = bpf_ktime_get_boot_ns();
	h->res = res;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)ugid;
	h->gid = ugid >> 32;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void submit(struct ln_scratch *s, __u32 len)
{
	__u32 zero = 0;
	__u64 flags;

	if (len < sizeof(struct ln_hdr) || len > LN_SCRATCH)
		return;
	((struct ln_hdr *)s->buf)->len = len;
	/* batch wakeups: the helper also drains on its poll timeout, so nothing waits long */
	flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + len >= wakeup_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, s->buf, len & (LN_SCRATCH - 1), flags) < 0) {
		__u64 *d = bpf_map_lookup_elem(&drops, &zero);
		if (d)
			*d += 1;
	}
}

static __always_inline int emit(struct pt_regs *regs, __u16 kind, __u8 dir, long res, __u64 pid_tgid)
{
	__u32 zero = 0;
	struct ln_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 len;

	if (!s)
		return 0;
	header(s, kind, dir, res, task, pid_tgid);
	len = fill(s, regs, kind, dir, res, task, pid_tgid >> 32);
	submit(s, len);
	return 0;
}

/* called only for LN_SELF_CHECK_NR, a syscall no rule records: the rest of the node pays one compare */
static __always_inline void note_self_check(__u32 slot)
{
	__u64 *n;

	if ((bpf_get_current_pid_tgid() >> 32) != helper_tgid)
		return;
	n = bpf_map_lookup_elem(&self_seen, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline struct ln_sc_conf *conf_of(long id)
{
	__u32 key = id;
	if (id < 0 || id >= LN_MAX_SYSCALLS)
		return NULL;
	return bpf_map_lookup_elem(&sc_conf, &key);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(ln_sys_enter, struct pt_regs *regs, long id)
{
	struct ln_sc_conf *c;
	__u64 pid_tgid;

	if (id == LN_SELF_CHECK_NR) {
		note_self_check(0);
		return 0;
	}
	c = conf_of(id);
	if (!c || !c->flags)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == helper_tgid)
		return 0;
	if (c->kind == LN_K_EXECVE || c->kind == LN_K_EXECVEAT) {
		__u32 tgid = pid_tgid >> 32, zero = 0;
		struct ln_exec_arg *tmp = bpf_map_lookup_elem(&exec_tmp, &zero);
		if (tmp) {
			const char *fn = (const char *)(c->kind == LN_K_EXECVE ? ARG(regs, 1) : ARG(regs, 2));
			if (bpf_probe_read_user_str(tmp->filename, sizeof(tmp->filename), fn) < 0)
				tmp->filename[0] = 0;
			bpf_map_update_elem(&exec_args, &tgid, tmp, BPF_ANY);
		}
	}
	if (!(c->flags & LN_F_ENTER))
		return 0;
	return emit(regs, c->kind, LN_DIR_ENTER, 0, pid_tgid);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ln_sys_exit, struct pt_regs *regs, long ret)
{
	long id = LN_ORIG_ID(regs);
	struct ln_sc_conf *c;
	__u64 pid_tgid;
	__u16 kind;

	if (id == LN_SELF_CHECK_NR) {
		note_self_check(1);
		return 0;
	}
	c = conf_of(id);
	if (!c || !c->flags)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == helper_tgid)
		return 0;
	kind = c->kind;
	if (c->flags & LN_F_EXIT)
		emit(regs, kind, LN_DIR_EXIT, ret, pid_tgid);
	if (kind == LN_K_EXECVE || kind == LN_K_EXECVEAT) {
		__u32 tgid = pid_tgid >> 32;
		bpf_map_delete_elem(&exec_args, &tgid);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ln_proc_exit, struct task_struct *p)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct ln_scratch *s;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 *nums;
	__u32 off;

	if (!emit_procexit || (pid_tgid >> 32) == helper_tgid)
		return 0;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	header(s, LN_K_PROCEXIT, LN_DIR_ENTER, 0, task, pid_tgid);
	nums = nums_of(s);
	nums[0] = BPF_CORE_READ(task, exit_code);
	off = sizeof(struct ln_hdr) + 8;
	put_cgroup(s, &off, task);
	((struct ln_hdr *)s->buf)->nnum = 1;
	((struct ln_hdr *)s->buf)->nblob = 1;
	submit(s, off);
	return 0;
}
