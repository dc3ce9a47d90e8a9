/* The helper's static tables: event kind names, this arch's syscall numbers per kind, and the
 * --abi printout of the record layout that test/syscall/decode-abi.test.ts compares with abi.ts. */
#include <stddef.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <linux/types.h>
#include "lanner-probe.h"
#include "lanner-tables.h"

const char *const KIND_NAMES[LN_K__MAX] = {
	[LN_K_EXECVE] = "execve", [LN_K_EXECVEAT] = "execveat", [LN_K_CLONE] = "clone",
	[LN_K_CLONE3] = "clone3", [LN_K_FORK] = "fork", [LN_K_VFORK] = "vfork",
	[LN_K_PROCEXIT] = "procexit", [LN_K_CONNECT] = "connect", [LN_K_ACCEPT] = "accept",
	[LN_K_ACCEPT4] = "accept4", [LN_K_SENDTO] = "sendto", [LN_K_SENDMSG] = "sendmsg",
	[LN_K_BIND] = "bind", [LN_K_LISTEN] = "listen", [LN_K_OPEN] = "open", [LN_K_OPENAT] = "openat",
	[LN_K_OPENAT2] = "openat2", [LN_K_UNLINK] = "unlink", [LN_K_UNLINKAT] = "unlinkat",
	[LN_K_RENAME] = "rename", [LN_K_RENAMEAT] = "renameat", [LN_K_RENAMEAT2] = "renameat2",
	[LN_K_CHMOD] = "chmod", [LN_K_FCHMODAT] = "fchmodat", [LN_K_SETUID] = "setuid",
	[LN_K_SETGID] = "setgid", [LN_K_SETRESUID] = "setresuid", [LN_K_SETRESGID] = "setresgid",
	[LN_K_PTRACE] = "ptrace", [LN_K_MOUNT] = "mount", [LN_K_CLOSE] = "close", [LN_K_FCHMOD] = "fchmod",
	[LN_K_CREAT] = "creat", [LN_K_SYMLINK] = "symlink", [LN_K_SYMLINKAT] = "symlinkat",
	[LN_K_LINK] = "link", [LN_K_LINKAT] = "linkat", [LN_K_MKDIR] = "mkdir", [LN_K_MKDIRAT] = "mkdirat",
	[LN_K_RMDIR] = "rmdir", [LN_K_DUP] = "dup", [LN_K_DUP2] = "dup2", [LN_K_DUP3] = "dup3",
	[LN_K_SOCKET] = "socket", [LN_K_UNSHARE] = "unshare", [LN_K_SETNS] = "setns",
	[LN_K_MEMFD_CREATE] = "memfd_create", [LN_K_INIT_MODULE] = "init_module",
	[LN_K_FINIT_MODULE] = "finit_module", [LN_K_RECVFROM] = "recvfrom", [LN_K_RECVMSG] = "recvmsg",
	[LN_K_USERFAULTFD] = "userfaultfd", [LN_K_BPF] = "bpf", [LN_K_CHDIR] = "chdir",
	[LN_K_FCHDIR] = "fchdir", [LN_K_SETSID] = "setsid", [LN_K_SETPGID] = "setpgid",
};


/* this arch's syscall numbers for each kind (a kind may have several, e.g. fchmodat2) */
const struct sc_map SYSCALLS[] = {
	{ SYS_execve, LN_K_EXECVE }, { SYS_execveat, LN_K_EXECVEAT }, { SYS_clone, LN_K_CLONE },
#ifdef SYS_clone3
	{ SYS_clone3, LN_K_CLONE3 },
#endif
#ifdef SYS_fork
	{ SYS_fork, LN_K_FORK }, { SYS_vfork, LN_K_VFORK },
#endif
	{ SYS_connect, LN_K_CONNECT }, { SYS_accept, LN_K_ACCEPT }, { SYS_accept4, LN_K_ACCEPT4 },
	{ SYS_sendto, LN_K_SENDTO }, { SYS_sendmsg, LN_K_SENDMSG }, { SYS_bind, LN_K_BIND },
	{ SYS_listen, LN_K_LISTEN },
#ifdef SYS_open
	{ SYS_open, LN_K_OPEN }, { SYS_unlink, LN_K_UNLINK }, { SYS_rename, LN_K_RENAME },
	{ SYS_chmod, LN_K_CHMOD }, { SYS_creat, LN_K_CREAT }, { SYS_symlink, LN_K_SYMLINK },
	{ SYS_link, LN_K_LINK }, { SYS_mkdir, LN_K_MKDIR }, { SYS_rmdir, LN_K_RMDIR }, { SYS_dup2, LN_K_DUP2 },
#endif
	{ SYS_symlinkat, LN_K_SYMLINKAT }, { SYS_linkat, LN_K_LINKAT }, { SYS_mkdirat, LN_K_MKDIRAT },
	{ SYS_dup, LN_K_DUP }, { SYS_dup3, LN_K_DUP3 }, { SYS_socket, LN_K_SOCKET },
	{ SYS_unshare, LN_K_UNSHARE }, { SYS_setns, LN_K_SETNS }, { SYS_memfd_create, LN_K_MEMFD_CREATE },
	{ SYS_init_module, LN_K_INIT_MODULE }, { SYS_finit_module, LN_K_FINIT_MODULE },
	{ SYS_recvfrom, LN_K_RECVFROM }, { SYS_recvmsg, LN_K_RECVMSG },
	{ SYS_userfaultfd, LN_K_USERFAULTFD }, { SYS_bpf, LN_K_BPF },
	{ SYS_chdir, LN_K_CHDIR }, { SYS_fchdir, LN_K_FCHDIR },
	{ SYS_setsid, LN_K_SETSID }, { SYS_setpgid, LN_K_SETPGID },
	{ SYS_openat, LN_K_OPENAT },
#ifdef SYS_openat2
	{ SYS_openat2, LN_K_OPENAT2 },
#endif
	{ SYS_unlinkat, LN_K_UNLINKAT }, { SYS_renameat, LN_K_RENAMEAT },
	{ SYS_renameat2, LN_K_RENAMEAT2 }, { SYS_fchmodat, LN_K_FCHMODAT },
#ifdef SYS_fchmodat2
	{ SYS_fchmodat2, LN_K_FCHMODAT },
#else
	{ 452, LN_K_FCHMODAT },
#endif
	{ SYS_fchmod, LN_K_FCHMOD }, { SYS_setuid, LN_K_SETUID }, { SYS_setgid, LN_K_SETGID },
	{ SYS_setresuid, LN_K_SETRESUID }, { SYS_setresgid, LN_K_SETRESGID },
	{ SYS_ptrace, LN_K_PTRACE }, { SYS_mount, LN_K_MOUNT }, { SYS_close, LN_K_CLOSE },
};

const size_t N_SYSCALLS = sizeof(SYSCALLS) / sizeof(SYSCALLS[0]);

void print_abi(void)
{
	printf("{\"abi\":%d,\"hdr\":{\"size\":%zu,\"len\":%zu,\"kind\":%zu,\"dir\":%zu,\"nnum\":%zu,"
	       "\"nblob\":%zu,\"flags\":%zu,\"cpu\":%zu,\"tid\":%zu,\"ts\":%zu,\"res\":%zu,\"pid\":%zu,"
	       "\"ppid\":%zu,\"uid\":%zu,\"gid\":%zu,\"comm\":%zu},",
	       LN_ABI_VERSION, sizeof(struct ln_hdr), offsetof(struct ln_hdr, len),
	       offsetof(struct ln_hdr, kind), offsetof(struct ln_hdr, dir), offsetof(struct ln_hdr, nnum),
	       offsetof(struct ln_hdr, nblob), offsetof(struct ln_hdr, flags), offsetof(struct ln_hdr, cpu),
	       offsetof(struct ln_hdr, tid), offsetof(struct ln_hdr, ts), offsetof(struct ln_hdr, res),
	       offsetof(struct ln_hdr, pid), offsetof(struct ln_hdr, ppid), offsetof(struct ln_hdr, uid),
	       offsetof(struct ln_hdr, gid), offsetof(struct ln_hdr, comm));
	printf("\"tuple\":{\"size\":%zu,\"family\":%zu,\"sport\":%zu,\"dport\":%zu,\"proto\":%zu,"
	       "\"saddr\":%zu,\"daddr\":%zu},",
	       sizeof(struct ln_tuple), offsetof(struct ln_tuple, family), offsetof(struct ln_tuple, sport),
	       offsetof(struct ln_tuple, dport), offsetof(struct ln_tuple, proto),
	       offsetof(struct ln_tuple, saddr), offsetof(struct ln_tuple, daddr));
	printf("\"exe\":{\"size\":%zu,\"ino\":%zu,\"mode\":%zu,\"uid\":%zu,\"gid\":%zu,\"nlink\":%zu,"
	       "\"upper\":%zu,\"memfd\":%zu,\"lower\":%zu,\"ctime\":%zu,\"mtime\":%zu},",
	       sizeof(struct ln_exe_info), offsetof(struct ln_exe_info, ino), offsetof(struct ln_exe_info, mode),
	       offsetof(struct ln_exe_info, uid), offsetof(struct ln_exe_info, gid),
	       offsetof(struct ln_exe_info, nlink), offsetof(struct ln_exe_info, upper),
	       offsetof(struct ln_exe_info, memfd), offsetof(struct ln_exe_info, lower),
	       offsetof(struct ln_exe_info, ctime), offsetof(struct ln_exe_info, mtime));
	printf("\"task\":{\"size\":%zu,\"tty\":%zu,\"loginuid\":%zu,\"sid\":%zu,\"pgid\":%zu,"
	       "\"vpid\":%zu,\"vpgid\":%zu,\"pidnsStart\":%zu},",
	       sizeof(struct ln_task_info), offsetof(struct ln_task_info, tty),
	       offsetof(struct ln_task_info, loginuid), offsetof(struct ln_task_info, sid),
	       offsetof(struct ln_task_info, pgid), offsetof(struct ln_task_info, vpid),
	       offsetof(struct ln_task_info, vpgid), offsetof(struct ln_task_info, pidns_start));
	printf("\"hello\":{\"size\":%zu,\"type\":%d,\"abi\":%zu,\"helperPid\":%zu,\"ncpu\":%zu,"
	       "\"clockOffset\":%zu},",
	       sizeof(struct ln_ctl_hello), LN_CTL_HELLO, offsetof(struct ln_ctl_hello, abi),
	       offsetof(struct ln_ctl_hello, helper_pid), offsetof(struct ln_ctl_hello, ncpu),
	       offsetof(struct ln_ctl_hello, clock_offset));
	printf("\"stats\":{\"size\":%zu,\"type\":%d,\"ncpu\":%zu,\"records\":%zu,\"bytes\":%zu,"
	       "\"polls\":%zu,\"clockOffset\":%zu,\"selfEnter\":%zu,\"selfExit\":%zu},",
	       sizeof(struct ln_ctl_stats), LN_CTL_STATS, offsetof(struct ln_ctl_stats, ncpu),
	       offsetof(struct ln_ctl_stats, records), offsetof(struct ln_ctl_stats, bytes),
	       offsetof(struct ln_ctl_stats, polls), offsetof(struct ln_ctl_stats, clock_offset),
	       offsetof(struct ln_ctl_stats, self_enter), offsetof(struct ln_ctl_stats, self_exit));
	printf("\"conf\":{\"size\":%zu,\"type\":%d,\"seq\":%zu,\"nExit\":%zu,\"nEnter\":%zu},",
	       sizeof(struct ln_ctl_conf), LN_CTL_CONF, offsetof(struct ln_ctl_conf, seq),
	       offsetof(struct ln_ctl_conf, n_exit), offsetof(struct ln_ctl_conf, n_enter));
	printf("\"kinds\":{");
	for (int k = 1; k < LN_K__MAX; k++)
		printf("%s\"%s\":%d", k > 1 ? "," : "", KIND_NAMES[k] ? KIND_NAMES[k] : "?", k);
	printf("}}\n");
}

