// Generates docs/syscall-fields.md from the field table, so the document cannot drift from the
// code (a test compares the two). Run: npx tsx src/syscall/fields/doc.ts > docs/syscall-fields.md
import { notSupplied, syscallFields } from './index.ts'
import type { FieldInfo } from '../../fields/index.ts'
import { KIND_IDS, OPT_IN_KINDS, STATE_KINDS, type KindName } from '../abi.ts'

const INTRO = `# Syscall fields

Fields of the \`syscall\` source, generated from \`src/syscall/fields\` (do not edit by hand:
\`npx tsx src/syscall/fields/doc.ts > docs/syscall-fields.md\`). Names, types, list-ness and
argument shapes are Falco's, so Falco rules files load unchanged. A field marked *no data* compiles
and is always absent: comparisons on it are false and \`exists\` is false; outputs print \`<NA>\`.
Every rule using one gets a \`LOAD_FIELD_NO_DATA\` warning naming the rule and the field and saying
whether the rule can still match (\`lanner rules validate\` prints it, \`lanner serve\` logs it).

Keyed fields also take their key as a dotted suffix, as in Falco: \`evt.arg.flags\` is
\`evt.arg[flags]\`, \`k8s.ns.label.network\` is \`k8s.ns.label[network]\` (also \`evt.rawarg\`,
\`proc.env\`, \`container.label\` and the \`k8s.*.label\` fields).

Match-any fields, as in Falco: \`fd.ip\`, \`fd.port\`, \`fd.net\` and \`fd.proto\` test both ends of
the connection (a bound or listening socket: its bound end only), and \`proc.aname\`,
\`proc.apid\`, \`proc.aexe\`, \`proc.aexepath\`, \`proc.acmdline\` without an index test every
ancestor up to the root: a check holds when the operator holds for any candidate. The one
exception is \`!=\` on the connection fields, which holds only when BOTH ends differ, as libsinsp's
compare_ip/compare_net/compare_port do: \`fd.ip != "0.0.0.0"\` is false for a datagram sent from
an unbound socket (source 0.0.0.0), and \`fd.net != "127.0.0.0/8"\` is false when either end is
loopback. Outputs print one value: the server end, or the parent. With an index
(\`proc.aname[2]\`) the ancestor fields are ordinary scalars.

Port fields (\`fd.port\`, \`fd.cport\`, \`fd.sport\`, \`fd.lport\`, \`fd.rport\`, \`fd.proto\`) take a
service name as well as a number in conditions, as in Falco: \`fd.sport = https\` is
\`fd.sport = 443\` (looked up in /etc/services; an unknown name is a compile error).

Suggested output fields, as Falco 0.41+'s container plugin flags them: \`container.id\` and
\`container.name\`. With \`append_output: [{suggested_output: true}]\` (in Falco's shipped
falco.yaml) every syscall rule's output gains \`container_id=%container.id
container_name=%container.name\`, after any \`static_<name>=\` fields.

## Where the data comes from

- Process fields: a process table seeded from /proc at start and kept by exec, clone/fork and
  exit records; a process first seen in a later event is read from /proc once. \`proc.tty\`,
  \`user.loginuid\`, \`proc.sid\`, \`proc.vpid\` and \`proc.vpgid\` come from the kernel with every
  successful exec and every new child (no /proc read that a short-lived process could outrun);
  \`proc.tty\` is the terminal's device number as Falco prints it (34816 is /dev/pts/0).
  \`proc.exepath\` is the file the kernel runs, as Falco's trusted exepath (exec of /bin/sh shows
  /usr/bin/dash where sh is a link to it; a memfd shows \`memfd:<name>\`); processes seeded from
  /proc at start show their /proc/<pid>/exe link. \`proc.cwd\` is the kernel's at exec and in a
  new child, then follows chdir and fchdir records (recorded whatever the rules ask for): as in
  Falco, chdir's path is taken from the previous cwd as written (\`..\` removed, symlinks kept),
  fchdir takes the directory fd's name, and relative paths opened afterwards resolve against it.
  \`proc.sid\`, \`proc.vpgid\`, \`proc.is_sid_leader\` and \`proc.is_vpgid_leader\` also follow
  setsid and setpgid records (recorded whatever the rules ask for), with the session and group the
  kernel gives the caller, so a daemon that forks and calls setsid without exec shows its own
  session. setpgid on a child (a shell putting a job in its own group) moves the child's entry;
  Falco updates nothing on setpgid and keeps the group of the last exec or clone.
- fd fields: open/openat/openat2/creat results, socket, connect, accept, bind, listen,
  sendto/sendmsg/recvfrom/recvmsg, dup and close records; an fd opened before the probe attached
  is read from /proc/<pid>/fd, except on its close (by the time the record arrives the number may
  already name another file, so such a close shows no fd name). There, as in Falco's /proc scan,
  a path is typed by stat of the file (\`directory\`, a FIFO is \`pipe\`) and a socket by the
  namespace's /proc/<pid>/net tables (unix, tcp, udp, raw, netlink; v4 and v6): a socket with no
  peer (a listener, a bound UDP or raw socket) is a server socket named \`ip:port\`, and a
  connection on a port such a socket serves is the server end, named client first.
- user/group names: the passwd and group files the process sees: its container image's, kept
  per container id and read through /proc/<pid>/root/etc of any of the container's live processes
  (each checked to still be in the container), so they outlive the first process; for host
  processes the node's (through /proc/1/root/etc when visible).
- container.id: the probe's in-kernel cgroup leaf name, else /proc/<pid>/cgroup (containerd,
  CRI-O, docker, podman; systemd and cgroupfs layouts); \`host\` for host processes.
- container names, images and \`k8s.*\`: a watch of this node's pods and of namespaces; absent
  without a cluster or until the pod is seen.
- \`fd.cip.name\`, \`fd.sip.name\`, \`fd.lip.name\`, \`fd.rip.name\`: as in Falco, no reverse DNS. The
  names rules compare them with are resolved forward (getaddrinfo: /etc/hosts, then the node's
  resolvers; refreshed after 10 s, the interval doubling up to 320 s); \`=\`/\`in\` hold when the
  connection's address is one of the name's addresses, \`!=\` when it is not. Printed, the field
  shows the watched name that resolves to the address (absent when no rule names one).

## Differences from Falco

- \`evt.time\`, \`evt.time.iso8601\` and \`evt.datetime\` are absolute times (ns); output text renders
  them as Falco prints them, in UTC (\`HH:MM:SS.nnnnnnnnn\`, \`YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000\`,
  \`YYYY-MM-DD HH:MM:SS.nnnnnnnnn\`); JSON \`output_fields\` carry the ns integer.
- \`container.mount*\` come from the pod spec's hostPath volumes (source = host path).

## Fields

| Field | Type | List | Argument | Data | Description |
|---|---|---|---|---|---|
`

function argText (f: FieldInfo): string {
  const mode = f.arg ?? 'none'
  if (mode === 'none') return ''
  const kind = f.argKind === 'index' ? 'index' : 'key'
  return mode === 'required' ? `${kind}, required` : `${kind}, optional`
}

function cell (s: string): string { return s.replaceAll('|', '\\|') }

export function renderSyscallFieldsDoc (): string {
  const missing = notSupplied()
  const rows = [...syscallFields.list()].map((f) => {
    const desc = f.deprecated !== undefined ? `${f.desc} (deprecated: ${f.deprecated})` : f.desc
    return `| \`${f.name}\` | ${f.type} | ${f.isList === true ? 'yes' : ''} | ${argText(f)} | ${missing.has(f.name) ? 'no data' : 'yes'} | ${cell(desc)} |`
  })
  const types = [...(syscallFields.eventTypes ?? [])].sort()
  return INTRO + rows.join('\n') + recordedTypesDoc() +
    `\n\n## Event types accepted by \`evt.type\`\n\n${types.map((x) => `\`${x}\``).join(' ')}\n`
}

function codeList (kinds: readonly KindName[]): string {
  return [...kinds].sort().map((k) => `\`${k}\``).join(' ')
}

/** the event types the probe can produce, from its kind table (abi.ts), so the list cannot drift */
function recordedTypesDoc (): string {
  const all = Object.keys(KIND_IDS) as KindName[]
  const ruled = all.filter((k) => !STATE_KINDS.includes(k) && !OPT_IN_KINDS.includes(k))
  return `

## Event types the probe records

Only these \`evt.type\` values ever match: a rule on any other accepted type (below) loads but
never fires; \`lanner serve\` lists the types its rules name that the probe does not produce in
its \`probe event types\` log line (\`typesNotProduced\`).
Each is recorded on exit (\`evt.dir = <\`), and on enter too when a rule asks for \`evt.dir = >\`;
\`procexit\` once, as the process goes.

- Always recorded (the process and fd tables need them): ${codeList(STATE_KINDS)}
- Recorded when a rule names them, or when a rule matches any type: ${codeList(ruled)}
- Recorded only when a rule names them (frequent, used by few rules): ${codeList(OPT_IN_KINDS)}`
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(renderSyscallFieldsDoc())
