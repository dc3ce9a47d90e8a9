/* Record-building helpers for lanner.bpf.c: blobs (user/kernel strings, raw bytes), the socket
 * tuple of an fd, the cgroup leaf name, cwd and argv. Every write offset is masked so the verifier
 * can bound it inside the per-CPU scratch buffer. Included once, by lanner.bpf.c only. */
#ifndef LANNER_PUT_BPF_H
#define LANNER_PUT_BPF_H

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

/* The leaf name that names the container. Under cgroup v1 (docker/cgroupfs kubepods layouts) it is
 * the cpu controller's cgroup. Under cgroup v2 (the systemd driver's
 * kubepods.slice/.../cri-containerd-<id>.scope, most nodes today) the cpu css may sit on a pod-level
 * ancestor, so the task's own cgroup in the default hierarchy (css_set->dfl_cgrp) is read instead;
 * so it is when the cpu controller is not mounted or the task sits at a v1 root. */
static __always_inline const char *cg_leaf_name(struct cgroup_subsys_state *css, struct cgroup *dfl)
{
	struct cgroup *cg = css ? BPF_CORE_READ(css, cgroup) : NULL;

	if (cg && BPF_CORE_READ(cg, level) > 0 && (!dfl || BPF_CORE_READ(cg, root) != BPF_CORE_READ(dfl, root)))
		return BPF_CORE_READ(cg, kn, name);
	return dfl ? BPF_CORE_READ(dfl, kn, name) : NULL;
}

/* The container's cgroup leaf name (cg_leaf_name). It is cached per task against the cgroups it was
 * read for: a task changes cgroup rarely, and the dependent reads of the name cost more than the
 * rest of a small record. */
static __always_inline void put_cgroup(struct ln_scratch *s, __u32 *offp, struct task_struct *task)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cs = BPF_CORE_READ(task, cgroups);
	struct cgroup *dfl = cs ? BPF_CORE_READ(cs, dfl_cgrp) : NULL;
	struct ln_cg_cache *c;
	__u32 off, n;

	if (cs && id >= 0 && id < CGROUP_SUBSYS_COUNT)
		bpf_probe_read_kernel(&css, sizeof(css), &cs->subsys[id]);
	c = bpf_task_storage_get(&cg_cache, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		put_kstr(s, offp, cg_leaf_name(css, dfl), LN_CGNAME_MAX);
		return;
	}
	if (c->css != (__u64)css || c->dfl != (__u64)dfl) {
		const char *name = cg_leaf_name(css, dfl);
		long r = name ? bpf_probe_read_kernel_str(c->name, sizeof(c->name), name) : 0;
		c->len = r > 0 ? r : 0;
		c->css = (__u64)css;
		c->dfl = (__u64)dfl;
	}
	off = *offp & LN_OFF_MASK;
	n = c->len & 255; /* never above LN_CGNAME_MAX: it was stored by a read of that size */
	if (n && bpf_probe_read_kernel(&s->buf[off + 2], n, c->name) < 0)
		n = 0;
	put_len(s, off, n);
	*offp = off + 2 + n;
}

#define LN_PATH_CWD 0
#define LN_PATH_EXE 1

/* A path as components, leaf first, NUL separated (userspace reverses them), walked up to the
 * task's root across mounts: the working directory (LN_PATH_CWD: a very deep one keeps its
 * leaf-most components) or the executable (LN_PATH_EXE: all or nothing, since a cut path would
 * name another file; symlinks are already resolved, as in Falco's trusted exepath).
 * Global (not inlined) so the verifier checks the loop once, not once per call site. */
__noinline __u32 ln_put_path(struct ln_scratch *s, __u32 start, __u32 which)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 off;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct path pwd = {}, root = {};
	struct dentry *d;
	struct vfsmount *vmnt;
	struct mount *m;
	int complete = 0;

	if (!s)
		return start;
	start &= LN_OFF_MASK;
	off = start + 2;
	if (fs)
		BPF_CORE_READ_INTO(&root, fs, root);
	if (which == LN_PATH_EXE) {
		struct file *f = BPF_CORE_READ(task, mm, exe_file);
		if (f)
			BPF_CORE_READ_INTO(&pwd, f, f_path);
	} else if (fs) {
		BPF_CORE_READ_INTO(&pwd, fs, pwd);
	}
	d = pwd.dentry;
	vmnt = pwd.mnt;
	m = (struct mount *)((char *)vmnt - bpf_core_field_offset(struct mount, mnt));
	for (int i = 0; i < LN_CWD_DEPTH && d && vmnt; i++) {
		struct dentry *parent, *mroot;
		const unsigned char *name;
		long n;

		if (d == root.dentry && vmnt == root.mnt) {
			complete = 1;
			break;
		}
		mroot = BPF_CORE_READ(vmnt, mnt_root);
		parent = BPF_CORE_READ(d, d_parent);
		if (d == mroot || d == parent) {
			struct mount *mp = BPF_CORE_READ(m, mnt_parent);
			if (!mp || mp == m) {
				/* the top of the mount tree: the root, unless the task is chrooted below it */
				complete = !root.dentry;
				break;
			}
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = mp;
			vmnt = (struct vfsmount *)((char *)mp + bpf_core_field_offset(struct mount, mnt));
			continue;
		}
		/* stay inside the blob budget and below the offset mask (masking would wrap onto
		 * the header) */
		if (off > start + LN_CWD_MAX - LN_NAME_MAX - 1 || off > LN_OFF_MASK - LN_NAME_MAX - 1)
			break;
		name = BPF_CORE_READ(d, d_name.name);
		off &= LN_OFF_MASK;
		n = bpf_probe_read_kernel_str(&s->buf[off], LN_NAME_MAX, name);
		if (n <= 0)
			break;
		off += n & 511;
		d = parent;
	}
	off &= LN_OFF_MASK;
	if (off < start + 2 || (which == LN_PATH_EXE && !complete))
		off = start + 2;
	put_len(s, start, off - start - 2);
	return off;
}

static __always_inline void put_cwd(struct ln_scratch *s, __u32 *offp)
{
	*offp = ln_put_path(s, *offp, LN_PATH_CWD);
}

/* the executable's path as the kernel resolved it (empty when it cannot be had whole) */
static __always_inline void put_exe_path(struct ln_scratch *s, __u32 *offp)
{
	*offp = ln_put_path(s, *offp, LN_PATH_EXE);
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

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* struct inode's times before 6.6 (i_ctime, i_mtime) and in 6.6-6.10 (__i_ctime beside i_mtime);
 * since 6.11 they are split into i_*_sec/i_*_nsec, which this kernel's vmlinux.h has. CO-RE picks
 * whichever the running kernel has (the ___suffix is ignored when matching). */
struct inode___ts_old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___ts_66 {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

#define LN_NSEC 1000000000ULL
#define LN_NSEC_MASK 0x7fffffffu

static __always_inline __u64 ts_ns(__s64 sec, __s64 nsec)
{
	return sec <= 0 && nsec <= 0 ? 0 : (__u64)sec * LN_NSEC + (__u64)nsec;
}

/* the inode's ctime and mtime in ns since the epoch, whichever way this kernel stores them */
static __always_inline void inode_times(struct inode *ino, __u64 *ctime, __u64 *mtime)
{
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		/* since 6.13 (multigrain timestamps) the top bit of i_ctime_nsec says "ctime was
		 * queried" (I_CTIME_QUERIED); it is no part of the time */
		*ctime = ts_ns(BPF_CORE_READ(ino, i_ctime_sec), BPF_CORE_READ(ino, i_ctime_nsec) & LN_NSEC_MASK);
		*mtime = ts_ns(BPF_CORE_READ(ino, i_mtime_sec), BPF_CORE_READ(ino, i_mtime_nsec));
		return;
	}
	struct inode___ts_old *old = (void *)ino;
	struct inode___ts_66 *v66 = (void *)ino;
	if (bpf_core_field_exists(v66->__i_ctime))
		*ctime = ts_ns(BPF_CORE_READ(v66, __i_ctime.tv_sec), BPF_CORE_READ(v66, __i_ctime.tv_nsec));
	else if (bpf_core_field_exists(old->i_ctime))
		*ctime = ts_ns(BPF_CORE_READ(old, i_ctime.tv_sec), BPF_CORE_READ(old, i_ctime.tv_nsec));
	if (bpf_core_field_exists(old->i_mtime))
		*mtime = ts_ns(BPF_CORE_READ(old, i_mtime.tv_sec), BPF_CORE_READ(old, i_mtime.tv_nsec));
}

/* facts about the new executable, as one fixed-size blob */
static __always_inline void put_exe_info(struct ln_scratch *s, __u32 *offp, struct task_struct *task)
{
	__u32 off = *offp & LN_OFF_MASK;
	struct ln_exe_info e = {};
	struct file *f = BPF_CORE_READ(task, mm, exe_file);
	struct inode *ino = f ? BPF_CORE_READ(f, f_inode) : NULL;

	if (!ino) {
		put_empty(s, offp);
		return;
	}
	e.ino = BPF_CORE_READ(ino, i_ino);
	e.mode = BPF_CORE_READ(ino, i_mode);
	e.uid = BPF_CORE_READ(ino, i_uid.val);
	e.gid = BPF_CORE_READ(ino, i_gid.val);
	e.nlink = BPF_CORE_READ(ino, i_nlink);
	inode_times(ino, &e.ctime, &e.mtime);
	if (BPF_CORE_READ(ino, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC &&
	    bpf_core_type_exists(struct ovl_inode)) {
		/* the vfs inode is embedded in overlayfs' own; a non-NULL upper dentry means a copy
		 * exists in the writable layer */
		struct ovl_inode *oi = (void *)((char *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode));
		e.upper = BPF_CORE_READ(oi, __upperdentry) != NULL;
		e.lower = !e.upper;
	}
	if (e.nlink == 0) {
		char name[8] = {};
		bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(f, f_path.dentry, d_name.name));
		e.memfd = name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
			  name[4] == 'd' && name[5] == ':';
	}
	put_len(s, off, sizeof(e));
	__builtin_memcpy(&s->buf[off + 2], &e, sizeof(e));
	*offp = off + 2 + sizeof(e);
}

/* the executable's own name when it is a memfd ("memfd:<name>", what Falco shows as proc.exepath:
 * the path given to exec is an fd, /proc/self/fd/N or ""), else an empty blob */
static __always_inline void put_memfd_exe_name(struct ln_scratch *s, __u32 *offp, struct task_struct *task)
{
	struct file *f = BPF_CORE_READ(task, mm, exe_file);
	struct inode *ino = f ? BPF_CORE_READ(f, f_inode) : NULL;
	const unsigned char *name;
	char head[8] = {};

	if (!ino || BPF_CORE_READ(ino, i_nlink) != 0) {
		put_empty(s, offp);
		return;
	}
	name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(head, sizeof(head), name);
	if (!(head[0] == 'm' && head[1] == 'e' && head[2] == 'm' && head[3] == 'f' && head[4] == 'd' && head[5] == ':')) {
		put_empty(s, offp);
		return;
	}
	put_kstr(s, offp, name, LN_NAME_MAX + 1);
}

/* a struct pid's number at one namespace level (0: the pid is not visible that deep) */
static __always_inline __u32 pid_nr_at(struct pid *p, __u32 level)
{
	__u32 nr = 0;
	const char *at;

	if (!p || BPF_CORE_READ(p, level) < level || level > 31)
		return 0;
	/* numbers[] is a flexible array: index it by this kernel's sizes */
	at = (const char *)p + bpf_core_field_offset(struct pid, numbers) +
	     level * bpf_core_type_size(struct upid) + bpf_core_field_offset(struct upid, nr);
	bpf_probe_read_kernel(&nr, sizeof(nr), at);
	return nr;
}

/* before 5.5 the boot-based start time was real_start_time (start_time was monotonic) */
struct task_struct___ts_old {
	__u64 real_start_time;
} __attribute__((preserve_access_index));

/* boot-time start of the init (child reaper) of the pid namespace a struct pid's number at
 * `level` lives in: what Falco's proc.pidns_init_start_ts and container.start_ts stand on */
static __always_inline __u64 pidns_start_of(struct pid *p, __u32 level)
{
	struct pid_namespace *ns = NULL;
	struct task_struct *init;
	const char *at;

	if (!p || level > 31)
		return 0;
	at = (const char *)p + bpf_core_field_offset(struct pid, numbers) +
	     level * bpf_core_type_size(struct upid) + bpf_core_field_offset(struct upid, ns);
	bpf_probe_read_kernel(&ns, sizeof(ns), at);
	init = ns ? BPF_CORE_READ(ns, child_reaper) : NULL;
	if (!init)
		return 0;
	if (bpf_core_field_exists(init->start_boottime))
		return BPF_CORE_READ(init, start_boottime);
	struct task_struct___ts_old *old = (void *)init;
	if (bpf_core_field_exists(old->real_start_time))
		return BPF_CORE_READ(old, real_start_time);
	return 0;
}

/* terminal, login uid, session and process group, as /proc would show them (tty_nr encoding:
 * the kernel's new_encode_dev of the tty's device number, as Falco's drivers send it) */
static __always_inline void put_task_info(struct ln_scratch *s, __u32 *offp, struct task_struct *task)
{
	__u32 off = *offp & LN_OFF_MASK;
	struct ln_task_info ti = {};
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct tty_struct *tty = sig ? BPF_CORE_READ(sig, tty) : NULL;
	struct pid *own = BPF_CORE_READ(task, group_leader, thread_pid);
	struct pid *pgrp = sig ? BPF_CORE_READ(sig, pids[PIDTYPE_PGID]) : NULL;
	struct pid *sess = sig ? BPF_CORE_READ(sig, pids[PIDTYPE_SID]) : NULL;
	__u32 level = own ? BPF_CORE_READ(own, level) : 0;

	if (tty) {
		__u32 major = BPF_CORE_READ(tty, driver, major);
		__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		ti.tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
	}
	ti.loginuid = 0xffffffffu;
	if (bpf_core_field_exists(task->loginuid))
		ti.loginuid = BPF_CORE_READ(task, loginuid.val);
	ti.sid = pid_nr_at(sess, 0);
	ti.pgid = pid_nr_at(pgrp, 0);
	ti.vpid = pid_nr_at(own, level);
	ti.vpgid = pid_nr_at(pgrp, level);
	ti.pidns_start = pidns_start_of(own, level);
	put_len(s, off, sizeof(ti));
	__builtin_memcpy(&s->buf[off + 2], &ti, sizeof(ti));
	*offp = off + 2 + sizeof(ti);
}

static __always_inline void put_exec_filename(struct ln_scratch *s, __u32 *offp, __u32 tgid)
{
	struct ln_exec_arg *ea = bpf_map_lookup_elem(&exec_args, &tgid);
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

#endif
