// Generates docs/syscall-fields.md from the field table, so the document cannot drift from the
// code (a test compares the two). Run: npx tsx src/fields/syscall/doc.ts > docs/syscall-fields.md
import { notSupplied, syscallFields } from './index.ts'
import type { FieldInfo } from '../registry.ts'

const INTRO = `# Syscall fields

Fields of the \`syscall\` source, generated from \`src/fields/syscall\` (do not edit by hand:
\`npx tsx src/fields/syscall/doc.ts > docs/syscall-fields.md\`). Names, types, list-ness and
argument shapes are Falco's, so Falco rules files load unchanged. A field marked *no data* compiles
and is always absent: comparisons on it are false and \`exists\` is false; outputs print \`<NA>\`.

Keyed fields also take their key as a dotted suffix, as in Falco: \`evt.arg.flags\` is
\`evt.arg[flags]\`, \`k8s.ns.label.network\` is \`k8s.ns.label[network]\` (also \`evt.rawarg\`,
\`proc.env\`, \`container.label\` and the \`k8s.*.label\` fields).

## Where the data comes from

- Process fields: a process table seeded from /proc at start and kept by exec, clone/fork and
  exit records; a process first seen in a later event is read from /proc once.
- fd fields: open/openat/openat2/creat results, socket, connect, accept, bind, listen,
  sendto/sendmsg/recvfrom/recvmsg, dup and close records; an fd opened before the probe attached
  is read from /proc/<pid>/fd.
- user/group names: the passwd and group files the process sees: its container image's
  (read through /proc/<pid>/root/etc), or for host processes the node's (through /proc/1/root/etc
  when visible).
- container.id: the probe's in-kernel cgroup leaf name, else /proc/<pid>/cgroup (containerd,
  CRI-O, docker, podman; systemd and cgroupfs layouts); \`host\` for host processes.
- container names, images and \`k8s.*\`: a watch of this node's pods and of namespaces; absent
  without a cluster or until the pod is seen.

## Differences from Falco

- \`fd.ip\`, \`fd.port\`, \`fd.net\` match either end of a connection in Falco; here they read the
  server end (the remote peer of an outbound connection). Use \`fd.cip\`/\`fd.sip\`… to be exact.
- \`proc.aname\`, \`proc.apid\`… without an index match any ancestor in Falco; here they read the
  parent. Indexed forms (\`proc.aname[2]\`) are exact.
- \`evt.time\`, \`evt.time.iso8601\` and \`evt.datetime\` are absolute times (ns); outputs render them
  as Falco prints them.
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
  return INTRO + rows.join('\n') + `\n\n## Event types accepted by \`evt.type\`\n\n${types.map((x) => `\`${x}\``).join(' ')}\n`
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(renderSyscallFieldsDoc())
