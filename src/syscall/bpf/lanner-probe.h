/* Record layout shared by the BPF program, the C helper and (mirrored) src/syscall/abi.ts.
 * Every ring-buffer record and every helper control frame starts with {u16 len, u16 type}.
 * Bump LN_ABI_VERSION on any incompatible change; test/syscall/decode-abi.test.ts checks offsets. */
#ifndef LANNER_PROBE_H
#define LANNER_PROBE_H

#define LN_ABI_VERSION 4

/* event kinds: arch-neutral ids (the helper maps syscall numbers to them) */
enum ln_kind {
	LN_K_EXECVE = 1, LN_K_EXECVEAT = 2, LN_K_CLONE = 3, LN_K_CLONE3 = 4, LN_K_FORK = 5,
	LN_K_VFORK = 6, LN_K_PROCEXIT = 7, LN_K_CONNECT = 8, LN_K_ACCEPT = 9, LN_K_ACCEPT4 = 10,
	LN_K_SENDTO = 11, LN_K_SENDMSG = 12, LN_K_BIND = 13, LN_K_LISTEN = 14, LN_K_OPEN = 15,
	LN_K_OPENAT = 16, LN_K_OPENAT2 = 17, LN_K_UNLINK = 18, LN_K_UNLINKAT = 19, LN_K_RENAME = 20,
	LN_K_RENAMEAT = 21, LN_K_RENAMEAT2 = 22, LN_K_CHMOD = 23, LN_K_FCHMODAT = 24, LN_K_SETUID = 25,
	LN_K_SETGID = 26, LN_K_SETRESUID = 27, LN_K_SETRESGID = 28, LN_K_PTRACE = 29, LN_K_MOUNT = 30,
	LN_K_CLOSE = 31, LN_K_FCHMOD = 32, LN_K_CREAT = 33, LN_K_SYMLINK = 34, LN_K_SYMLINKAT = 35,
	LN_K_LINK = 36, LN_K_LINKAT = 37, LN_K_MKDIR = 38, LN_K_MKDIRAT = 39, LN_K_RMDIR = 40,
	LN_K_DUP = 41, LN_K_DUP2 = 42, LN_K_DUP3 = 43, LN_K_SOCKET = 44, LN_K_UNSHARE = 45,
	LN_K_SETNS = 46, LN_K_MEMFD_CREATE = 47, LN_K_INIT_MODULE = 48, LN_K_FINIT_MODULE = 49,
	LN_K_RECVFROM = 50, LN_K_RECVMSG = 51, LN_K_USERFAULTFD = 52, LN_K_BPF = 53, LN_K_CHDIR = 54,
	LN_K_FCHDIR = 55, LN_K_SETSID = 56, LN_K_SETPGID = 57,
	LN_K__MAX = 58,
};

/* helper control frames (never produced by the kernel side) */
#define LN_CTL_HELLO 0xff00
#define LN_CTL_STATS 0xff01
#define LN_CTL_CONF 0xff02

#define LN_DIR_ENTER 0
#define LN_DIR_EXIT 1

/* per-syscall configuration flags (sc_conf map) */
#define LN_F_ENTER 1 /* emit an enter record */
#define LN_F_EXIT 2  /* emit an exit record */

#define LN_MAX_SYSCALLS 512
#define LN_MAX_NUMS 6

/* Fixed record header. Followed by nnum little-endian u64 arguments, then nblob blobs, each
 * {u16 len, bytes}. Blob 0 is always the leaf name of the task's container cgroup: the v1 cpu
 * controller's, or its cgroup v2 (default hierarchy) one (lanner-put.bpf.h cg_leaf_name). */
struct ln_hdr {
	__u16 len;       /* total record length, header included */
	__u16 kind;      /* enum ln_kind */
	__u8 dir;        /* LN_DIR_* */
	__u8 nnum;
	__u8 nblob;
	__u8 flags;      /* reserved */
	__u32 cpu;
	__u32 tid;
	__u64 ts;        /* bpf_ktime_get_boot_ns() */
	__s64 res;       /* syscall return value on exit; 0 on enter */
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	char comm[16];
};

/* socket endpoints as the kernel sees them; ports in host order, addresses in network order */
struct ln_tuple {
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* the executable after a successful execve: enough for proc.is_exe_writable/_upper_layer/_from_memfd
 * and proc.exe_ino.ctime/.mtime */
struct ln_exe_info {
	__u64 ino;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 nlink;
	__u8 upper;	/* overlayfs: the file has an upper-layer copy (written in the container) */
	__u8 memfd;	/* the file is a memfd (name "memfd:…", no links) */
	__u8 lower;	/* overlayfs: the file is only in a lower (image) layer */
	__u8 pad[5];
	__u64 ctime;	/* the inode's last status change, ns since the epoch (CLOCK_REALTIME); 0: unknown */
	__u64 mtime;	/* the inode's last modification, ns since the epoch; 0: unknown */
};

/* the task's terminal and session identity (proc.tty, user.loginuid, proc.sid, proc.vpgid…), read
 * in-kernel after a successful execve, in a new child and after a successful setsid/setpgid (the
 * caller's), so no /proc read can race the exit */
struct ln_task_info {
	__u32 tty;      /* controlling terminal as /proc/<pid>/stat tty_nr encodes it; 0: none */
	__u32 loginuid; /* audit login uid; 0xffffffff: unset */
	__u32 sid;      /* session id in the initial pid namespace */
	__u32 pgid;     /* process group id in the initial pid namespace */
	__u32 vpid;     /* thread group id in the task's own pid namespace */
	__u32 vpgid;    /* process group id in the task's own pid namespace (0: not visible there) */
	__u64 pidns_start; /* start of the init (child reaper) of the task's pid namespace: boot-time
			    * ns like ln_hdr.ts (HELLO/STATS clock_offset turns it into epoch); 0: unknown */
};

/* HELLO body (after {len,type}): abi, helper pid, realtime - boottime in ns, ncpu */
struct ln_ctl_hello {
	__u16 len;
	__u16 type;
	__u32 abi;
	__u32 helper_pid;
	__u32 ncpu;
	__s64 clock_offset;
};

/* STATS body: counters since start, then ncpu u64 drop counts. self_enter/self_exit: how many of
 * the helper's own self-check calls (LN_SELF_CHECK_NR, made just before each STATS) the sys_enter
 * and sys_exit programs saw: they rise with every frame while the programs run, so a quiet node,
 * where nothing the rules ask for happens, is still seen to be watched. */
struct ln_ctl_stats {
	__u16 len;
	__u16 type;
	__u32 ncpu;
	__u64 records;
	__u64 bytes;
	__u64 polls;
	__s64 clock_offset;
	__u64 self_enter;
	__u64 self_exit;
	/* __u64 drops[ncpu] follows */
};

/* the self-check syscall: getppid (x86-64 number; the probe is built for x86-64 only). No rule
 * records it, and only the helper's own calls are counted. */
#define LN_SELF_CHECK_NR 110

/* CONF: the answer to a "kinds <seq> <exit-kinds> <enter-kinds>" line on the helper's stdin,
 * sent once the per-syscall config map holds the new set (n_exit = LN_CONF_REJECTED: bad line) */
#define LN_CONF_REJECTED 0xffffffffu
struct ln_ctl_conf {
	__u16 len;
	__u16 type;
	__u32 seq;
	__u32 n_exit;
	__u32 n_enter;
};

#endif
