/* Per-syscall argument layout: which numeric slots and blobs each record kind carries (mirrored by
 * src/syscall/decode-kinds.ts). Included once, by lanner.bpf.c only. */
#ifndef LANNER_FILL_BPF_H
#define LANNER_FILL_BPF_H

/* Fills nums and blobs for one syscall kind; returns the record length or 0 to skip. */
static __always_inline __u32 fill(struct ln_scratch *s, struct pt_regs *regs, __u16 kind, __u8 dir,
				  long res, struct task_struct *task, __u32 tgid)
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
	case LN_K_USERFAULTFD: case LN_K_BPF: case LN_K_FCHDIR:
		nums[0] = ARG(regs, 1);
		nnum = 1;
		break;
	case LN_K_FCHMOD: case LN_K_DUP2: case LN_K_SETNS: case LN_K_SETPGID:
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
	case LN_K_ACCEPT: case LN_K_ACCEPT4: case LN_K_LISTEN: case LN_K_SENDMSG: case LN_K_RECVMSG:
		nums[0] = ARG(regs, 1);
		nums[1] = kind == LN_K_ACCEPT ? 0 : ARG(regs, 2);
		nnum = kind == LN_K_SENDMSG || kind == LN_K_RECVMSG ? 1 : 2;
		break;
	case LN_K_SENDTO: case LN_K_RECVFROM:
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
		put_exec_filename(s, &off, tgid);
		if (res == 0) {
			put_argv(s, &off, task);
			put_cwd(s, &off);
			put_exe_info(s, &off, task);
			put_task_info(s, &off, task);
			put_memfd_exe_name(s, &off, task);
			put_exe_path(s, &off);
			nblob += 7;
		} else {
			nblob += 1;
		}
		break;
	case LN_K_CLONE: case LN_K_CLONE3: case LN_K_FORK: case LN_K_VFORK:
		if (dir == LN_DIR_EXIT && res == 0) {
			put_argv(s, &off, task);
			put_cwd(s, &off);
			put_task_info(s, &off, task);
			nblob += 3;
		}
		break;
	case LN_K_SETSID: case LN_K_SETPGID:
		/* the caller's session and group as the kernel now has them (host and own pid namespace
		 * numbers), so the process table need not work them out; setpgid on a child changes
		 * the child, and userspace finds it from the pid argument */
		if (dir == LN_DIR_EXIT && res >= 0) {
			put_task_info(s, &off, task);
			nblob += 1;
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
	case LN_K_RECVFROM: {
		/* the source address was written back at exit; its length sits behind a pointer */
		__u32 alen = 0;
		void *lenp = (void *)ARG(regs, 6);
		if (dir == LN_DIR_EXIT && lenp)
			bpf_probe_read_user(&alen, sizeof(alen), lenp);
		put_tuple(s, &off, task, (long)ARG(regs, 1));
		put_ubytes(s, &off, (void *)ARG(regs, 5), alen, LN_SOCKADDR_MAX);
		nblob += 2;
		break;
	}
	case LN_K_SENDMSG: case LN_K_RECVMSG: {
		struct user_msghdr mh = {};
		bpf_probe_read_user(&mh, sizeof(mh), (void *)ARG(regs, 2));
		put_tuple(s, &off, task, (long)ARG(regs, 1));
		put_ubytes(s, &off, mh.msg_name, mh.msg_namelen, LN_SOCKADDR_MAX);
		nblob += 2;
		break;
	}
	case LN_K_OPEN: case LN_K_UNLINK: case LN_K_CHMOD: case LN_K_CREAT: case LN_K_MKDIR:
	case LN_K_RMDIR: case LN_K_MEMFD_CREATE: case LN_K_CHDIR:
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

#endif
