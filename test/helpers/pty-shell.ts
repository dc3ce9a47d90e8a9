// A shell on a real pseudo-terminal, started the way container runtimes and sshd start one: a
// python3 program opens a pty, forks, makes the slave the child's controlling terminal
// (os.login_tty: setsid + TIOCSCTTY + dup2) and execs bash there. Run it under another name (a
// symlink called runc) to play a runtime's part.

/**
 * Opens a pty, forks, makes the slave the child's controlling terminal (os.login_tty: setsid +
 * TIOCSCTTY + dup2) and execs bash there. Sets its own loginuid first when the kernel allows it.
 * Arguments: the loginuid to set, then a command for bash -c (empty or absent: an interactive bash
 * that is typed the third argument, if any, then `exit`). Prints {pid, tty (the slave's st_rdev in tty_nr encoding), loginuid}.
 */
export const PTY_SHELL = `
import json, os, sys
login = -1
try:
    with open('/proc/self/loginuid', 'w') as f: f.write(sys.argv[1])
    login = int(sys.argv[1])
except OSError:
    pass
master, slave = os.openpty()
rdev = os.stat(os.ttyname(slave)).st_rdev
major, minor = os.major(rdev), os.minor(rdev)
tty = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)
pid = os.fork()
if pid == 0:
    os.close(master)
    os.login_tty(slave)
    if len(sys.argv) > 2 and sys.argv[2] != '':
        os.execvp('bash', ['bash', '-c', sys.argv[2]])
    os.execvp('bash', ['bash'])
os.close(slave)
print(json.dumps({'pid': pid, 'tty': tty, 'loginuid': login}), flush=True)
if len(sys.argv) <= 2 or sys.argv[2] == '':
    # an interactive shell, as kubectl exec -it gives: typed input, then it ends
    typed = sys.argv[3] + '\\n' if len(sys.argv) > 3 and sys.argv[3] != '' else ''
    os.write(master, (typed + 'exit\\n').encode())
try:
    while os.read(master, 4096): pass
except OSError:
    pass
os.waitpid(pid, 0)
`
