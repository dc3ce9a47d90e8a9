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
#define LN_OFF_MASK 8191     /* blob offsets stay below this, so off + 2 + max blob < LN_SCRATCH */
#define LN_STR_MAX 1024      /* paths */
#define LN_STR_MASK 2047
#define LN_ARGV_MAX 2040
#define LN_SOCKADDR_MAX 112
#define LN_CGNAME_MAX 128
#define LN_CWD_DEPTH 24
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

/* execve's filename lives in the old mm: saved at enter, emitted with the exit record */
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

/* ---------- record building ---------- */

static __always_inline __u64 *nums_of(struct ln_scratch *s)
{
	return (__u64 *)&s->buf[sizeof(struct ln_hdr)];
}

static __always_inline void put_len(struct ln_scratch *s, __u32 off, __u32 n)
{
	s->buf[off & LN_OFF_MASK] = n & 0xff;
	s->buf[(off + 1) & LN_OFF_MASK] = (n >> 8) & 0xff;
}

static __always_inline void put_ustr(struct ln_scratch *s, __u32 *offp, const void *uptr)
{
	__u32 off = *offp & LN_OFF_MASK;
	long n = 0;
	if (uptr)
		n = bpf_probe_read_user_str(&s->buf[off + 2], LN_STR_MAX, uptr);
	if (n < 0)
		n = 0;
	n &= LN_STR_MASK;
	put_len(s, off, n);
	*offp = off + 2 + n;
}

static __always_inline void put_kstr(struct ln_scratch *s, __u32 *offp, const void *kptr, __u32 max)
{
	__u32 off = *offp & LN_OFF_MASK;
	long n = 0;
	if (kptr)
		n = bpf_probe_read_kernel_str(&s->buf[off + 2], max & LN_STR_MASK, kptr);
	if (n < 0)
		n = 0;
	n &= LN_STR_MASK;
	put_len(s, off, n);
	*offp = off + 2 + n;
}

static __always_inline void put_ubytes(struct ln_scratch *s, __u32 *offp, const void *uptr, __u64 len, __u32 max)
{
	__u32 off = *offp & LN_OFF_MASK;
	__u32 n = len > max ? max : (__u32)len;
	n &= LN_STR_MASK;
	if (!uptr || bpf_probe_read_user(&s->buf[off + 2], n, uptr) < 0)
		n = 0;
	put_len(s, off, n);
	*offp = off + 2 + n;
}

static __always_inline void put_empty(struct ln_scratch *s, __u32 *offp)
{
	__u32 off = *offp & LN_OFF_MASK;
	put_len(s, off, 0);
	*offp = off + 2;
}

static __always_inline struct socket *sock_of_fd(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || fd >= max)
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) < 0 || !f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	return (struct socket *)BPF_CORE_READ(f, private_data);
}

/* the socket's own view of its endpoints: both ends for connect/accept, local end for bind/listen */
static __always_inline void put_tuple(struct ln_scratch *s, __u32 *offp, struct task_struct *task, long fd)
{
	__u32 off = *offp & LN_OFF_MASK;
	struct ln_tuple t = {};
	struct socket *sock = sock_of_fd(task, fd);
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;

	if (sk) {
		t.family = BPF_CORE_READ(sk, __sk_common.skc_family);
		t.proto = BPF_CORE_READ(sk, sk_protocol);
		t.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		t.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (t.family == AF_INET) {
			/* READ_INTO sizes the read by its destination: read whole u32s */
			__u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			__u32 b = BPF_CORE_READ(sk, __sk_common.skc_daddr);
			__builtin_memcpy(t.saddr, &a, 4);
			__builtin_memcpy(t.daddr, &b, 4);
		} else if (t.family == AF_INET6) {
			BPF_CORE_READ_INTO(&t.saddr, sk, __sk_common.skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO(&t.daddr, sk, __sk_common.skc_v6_daddr);
		}
	}
	if (!sk) {
		put_empty(s, offp);
		return;
	}
	put_len(s, off, sizeof(t));
	__builtin_memcpy(&s->buf[off + 2], &t, sizeof(t));
	*offp = off + 2 + sizeof(t);
}

/* cgroup v1 cpu controller leaf name: the container id under kubepods/docker layouts */
static __always_inline void put_cgroup(struct ln_scratch *s, __u32 *offp, struct task_struct *task)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
	struct cgroup_subsys_state *css = NULL;
	const char *name = NULL;
	struct css_set *cs = BPF_CORE_READ(task, cgroups);

	if (cs && id >= 0 && id < CGROUP_SUBSYS_COUNT)
		bpf_probe_read_kernel(&css, sizeof(css), &cs->subsys[id]);
	if (css)
		name = BPF_CORE_READ(css, cgroup, kn, name);
	put_kstr(s, offp, name, LN_CGNAME_MAX);
}

/* working directory as path components, leaf first, NUL separated (userspace reverses them) */
/* global (not inlined) so the verifier checks the loop once, not once per call site */
__noinline __u32 ln_put_cwd(struct ln_scratch *s, __u32 start)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 off;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct path pwd = {}, root = {};
	struct dentry *d;
	struct vfsmount *vmnt;
	struct mount *m;

	if (!s)
		return start;
	start &= LN_OFF_MASK;
	off = start + 2;
	if (fs) {
		BPF_CORE_READ_INTO(&pwd, fs, pwd);
		BPF_CORE_READ_INTO(&root, fs, root);
	}
	d = pwd.dentry;
	vmnt = pwd.mnt;
	m = (struct mount *)((char *)vmnt - bpf_core_field_offset(struct mount, mnt));
	for (int i = 0; i < LN_CWD_DEPTH && d && vmnt; i++) {
		struct dentry *parent, *mroot;
		const unsigned char *name;
		long n;

		if (d == root.dentry && vmnt == root.mnt)
			break;
		mroot = BPF_CORE_READ(vmnt, mnt_root);
		parent = BPF_CORE_READ(d, d_parent);
		if (d == mroot || d == parent) {
			struct mount *mp = BPF_CORE_READ(m, mnt_parent);
			if (!mp || mp == m)
				break;
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = mp;
			vmnt = (struct vfsmount *)((char *)mp + bpf_core_field_offset(struct mount, mnt));
			continue;
		}
		name = BPF_CORE_READ(d, d_name.name);
		off &= LN_OFF_MASK;
		n = bpf_probe_read_kernel_str(&s->buf[off], LN_NAME_MAX, name);
		if (n <= 0)
			break;
		off += n & 511;
		d = parent;
	}
	off &= LN_OFF_MASK;
	if (off < start + 2)
		off = start + 2;
	put_len(s, start, off - start - 2);
	return off;
}

static __always_inline void put_cwd(struct ln_scratch *s, __u32 *offp)
{
	*offp = ln_put_cwd(s, *offp);
}

static __always_inline void put_argv(struct ln_scratch *s, __u32 *offp, struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long a = 0, b = 0;

	if (mm) {
		a = BPF_CORE_READ(mm, arg_start);
		b = BPF_CORE_READ(mm, arg_end);
	}
	put_ubytes(s, offp, (const void *)a, b > a ? b - a : 0, LN_ARGV_MAX);
}

static __always_inline void put_exec_filename(struct ln_scratch *s, __u32 *offp, __u32 tid)
{
	struct ln_exec_arg *ea = bpf_map_lookup_elem(&exec_args, &tid);
	if (ea)
		put_kstr(s, offp, ea->filename, LN_STR_MAX);
	else
		put_empty(s, offp);
}

/* syscall arguments from the user pt_regs (x86_64 syscall ABI; other arches are not built yet) */
#if defined(__TARGET_ARCH_x86)
#define LN_R1 di
#define LN_R2 si
#define LN_R3 dx
#define LN_R4 r10
#define LN_R5 r8
#define LN_R6 r9
#define LN_ORIG_ID(regs) ((regs)->orig_ax)
#else
#error "only x86_64 is supported by this probe so far"
#endif
/* tp_btf hands us a trusted pt_regs pointer: direct (CO-RE relocated) loads, no helper calls */
#define ARG(regs, n) ((regs)->LN_R##n)

/* Fills nums and blobs for one syscall kind; returns the record length or 0 to skip. */
static __always_inline __u32 fill(struct ln_scratch *s, struct pt_regs *regs, __u16 kind, __u8 dir,
				  long res, struct task_struct *task, __u32 tid)
{
	struct ln_hdr *h = (struct ln_hdr *)s->buf;
	__u64 *nums = nums_of(s);
	__u32 nnum = 0, nblob = 1, off;

	/* numeric arguments first: their count fixes where the blobs start */
	switch (kind) {
	case LN_K_EXECVEAT:
		nums[0] = dir == LN_DIR_ENTER ? ARG(regs, 1) : 0;
		nums[1] = dir == LN_DIR_ENTER ? ARG(regs, 5) : 0;
		nnum = 2;
		break;
	case LN_K_CLONE:
		nums[0] = ARG(regs, 1);
		nnum = 1;
		break;
	case LN_K_CLONE3: {
		__u64 flags = 0;
		bpf_probe_read_user(&flags, sizeof(flags), (void *)ARG(regs, 1));
		nums[0] = flags;
		nnum = 1;
		break;
	}
	case LN_K_CONNECT: case LN_K_BIND: case LN_K_CLOSE: case LN_K_DUP: case LN_K_UNSHARE:
		nums[0] = ARG(regs, 1);
		nnum = 1;
		break;
	case LN_K_FCHMOD: case LN_K_DUP2: case LN_K_SETNS:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 2);
		nnum = 2;
		break;
	case LN_K_DUP3: case LN_K_SOCKET:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 2);
		nums[2] = ARG(regs, 3);
		nnum = 3;
		break;
	case LN_K_CREAT: case LN_K_MKDIR: case LN_K_MEMFD_CREATE: case LN_K_INIT_MODULE:
		nums[0] = ARG(regs, 2);
		nnum = 1;
		break;
	case LN_K_SYMLINKAT:
		nums[0] = ARG(regs, 2);
		nnum = 1;
		break;
	case LN_K_FINIT_MODULE:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 3);
		nnum = 2;
		break;
	case LN_K_ACCEPT: case LN_K_ACCEPT4: case LN_K_LISTEN: case LN_K_SENDMSG:
		nums[0] = ARG(regs, 1);
		nums[1] = kind == LN_K_ACCEPT ? 0 : ARG(regs, 2);
		nnum = kind == LN_K_SENDMSG ? 1 : 2;
		break;
	case LN_K_SENDTO:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 3);
		nnum = 2;
		break;
	case LN_K_OPEN: case LN_K_CHMOD:
		nums[0] = ARG(regs, 2);
		nums[1] = ARG(regs, 3);
		nnum = kind == LN_K_OPEN ? 2 : 1;
		break;
	case LN_K_OPENAT:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 3);
		nums[2] = ARG(regs, 4);
		nnum = 3;
		break;
	case LN_K_OPENAT2: {
		__u64 how[3] = {};
		bpf_probe_read_user(how, sizeof(how), (void *)ARG(regs, 3));
		nums[0] = ARG(regs, 1);
		nums[1] = how[0];
		nums[2] = how[1];
		nums[3] = how[2];
		nnum = 4;
		break;
	}
	case LN_K_UNLINKAT:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 3);
		nnum = 2;
		break;
	case LN_K_RENAMEAT: case LN_K_RENAMEAT2: case LN_K_LINKAT:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 3);
		nums[2] = kind == LN_K_RENAMEAT ? 0 : ARG(regs, 5);
		nnum = kind == LN_K_RENAMEAT ? 2 : 3;
		break;
	case LN_K_FCHMODAT: case LN_K_MKDIRAT:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 3);
		nnum = 2;
		break;
	case LN_K_SETUID: case LN_K_SETGID:
		nums[0] = ARG(regs, 1);
		nnum = 1;
		break;
	case LN_K_SETRESUID: case LN_K_SETRESGID:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 2);
		nums[2] = ARG(regs, 3);
		nnum = 3;
		break;
	case LN_K_PTRACE:
		nums[0] = ARG(regs, 1);
		nums[1] = ARG(regs, 2);
		nums[2] = ARG(regs, 3);
		nums[3] = ARG(regs, 4);
		nnum = 4;
		break;
	case LN_K_MOUNT:
		nums[0] = ARG(regs, 4);
		nnum = 1;
		break;
	default:
		break;
	}

	off = sizeof(struct ln_hdr) + nnum * 8;
	put_cgroup(s, &off, task);

	/* then variable-length arguments */
	switch (kind) {
	case LN_K_EXECVE: case LN_K_EXECVEAT:
		if (dir == LN_DIR_ENTER) {
			put_ustr(s, &off, (void *)(kind == LN_K_EXECVE ? ARG(regs, 1) : ARG(regs, 2)));
			nblob += 1;
			break;
		}
		put_exec_filename(s, &off, tid);
		if (res == 0) {
			put_argv(s, &off, task);
			put_cwd(s, &off);
			nblob += 3;
		} else {
			nblob += 1;
		}
		break;
	case LN_K_CLONE: case LN_K_CLONE3: case LN_K_FORK: case LN_K_VFORK:
		if (dir == LN_DIR_EXIT && res == 0) {
			put_argv(s, &off, task);
			put_cwd(s, &off);
			nblob += 2;
		}
		break;
	case LN_K_CONNECT: case LN_K_BIND:
		put_tuple(s, &off, task, (long)ARG(regs, 1));
		put_ubytes(s, &off, (void *)ARG(regs, 2), ARG(regs, 3), LN_SOCKADDR_MAX);
		nblob += 2;
		break;
	case LN_K_ACCEPT: case LN_K_ACCEPT4:
		put_tuple(s, &off, task, dir == LN_DIR_EXIT ? res : -1);
		nblob += 1;
		break;
	case LN_K_LISTEN:
		put_tuple(s, &off, task, (long)ARG(regs, 1));
		nblob += 1;
		break;
	case LN_K_SENDTO:
		put_tuple(s, &off, task, (long)ARG(regs, 1));
		put_ubytes(s, &off, (void *)ARG(regs, 5), ARG(regs, 6), LN_SOCKADDR_MAX);
		nblob += 2;
		break;
	case LN_K_SENDMSG: {
		struct user_msghdr mh = {};
		bpf_probe_read_user(&mh, sizeof(mh), (void *)ARG(regs, 2));
		put_tuple(s, &off, task, (long)ARG(regs, 1));
		put_ubytes(s, &off, mh.msg_name, mh.msg_namelen, LN_SOCKADDR_MAX);
		nblob += 2;
		break;
	}
	case LN_K_OPEN: case LN_K_UNLINK: case LN_K_CHMOD: case LN_K_CREAT: case LN_K_MKDIR:
	case LN_K_RMDIR: case LN_K_MEMFD_CREATE:
		put_ustr(s, &off, (void *)ARG(regs, 1));
		nblob += 1;
		break;
	case LN_K_OPENAT: case LN_K_OPENAT2: case LN_K_UNLINKAT: case LN_K_FCHMODAT: case LN_K_MKDIRAT:
	case LN_K_FINIT_MODULE:
		put_ustr(s, &off, (void *)ARG(regs, 2));
		nblob += 1;
		break;
	case LN_K_INIT_MODULE:
		put_ustr(s, &off, (void *)ARG(regs, 3));
		nblob += 1;
		break;
	case LN_K_SYMLINKAT:
		put_ustr(s, &off, (void *)ARG(regs, 1));
		put_ustr(s, &off, (void *)ARG(regs, 3));
		nblob += 2;
		break;
	case LN_K_RENAME: case LN_K_SYMLINK: case LN_K_LINK:
		put_ustr(s, &off, (void *)ARG(regs, 1));
		put_ustr(s, &off, (void *)ARG(regs, 2));
		nblob += 2;
		break;
	case LN_K_RENAMEAT: case LN_K_RENAMEAT2: case LN_K_LINKAT:
		put_ustr(s, &off, (void *)ARG(regs, 2));
		put_ustr(s, &off, (void *)ARG(regs, 4));
		nblob += 2;
		break;
	case LN_K_MOUNT:
		put_ustr(s, &off, (void *)ARG(regs, 1));
		put_ustr(s, &off, (void *)ARG(regs, 2));
		put_ustr(s, &off, (void *)ARG(regs, 3));
		nblob += 3;
		break;
	default:
		break;
	}

	h->nnum = nnum;
	h->nblob = nblob;
	return off;
}

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
	len = fill(s, regs, kind, dir, res, task, (__u32)pid_tgid);
	submit(s, len);
	return 0;
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
	struct ln_sc_conf *c = conf_of(id);
	__u64 pid_tgid;

	if (!c || !c->flags)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == helper_tgid)
		return 0;
	if (c->kind == LN_K_EXECVE || c->kind == LN_K_EXECVEAT) {
		__u32 tid = (__u32)pid_tgid, zero = 0;
		struct ln_exec_arg *tmp = bpf_map_lookup_elem(&exec_tmp, &zero);
		if (tmp) {
			const char *fn = (const char *)(c->kind == LN_K_EXECVE ? ARG(regs, 1) : ARG(regs, 2));
			if (bpf_probe_read_user_str(tmp->filename, sizeof(tmp->filename), fn) < 0)
				tmp->filename[0] = 0;
			bpf_map_update_elem(&exec_args, &tid, tmp, BPF_ANY);
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
	struct ln_sc_conf *c = conf_of(id);
	__u64 pid_tgid;
	__u16 kind;

	if (!c || !c->flags)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == helper_tgid)
		return 0;
	kind = c->kind;
	if (c->flags & LN_F_EXIT)
		emit(regs, kind, LN_DIR_EXIT, ret, pid_tgid);
	if (kind == LN_K_EXECVE || kind == LN_K_EXECVEAT) {
		__u32 tid = (__u32)pid_tgid;
		bpf_map_delete_elem(&exec_args, &tid);
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
