// fd.cproto / fd.sproto / fd.lproto / fd.rproto as Falco fills them: libsinsp port_to_string with
// host name and port resolution off (Falco's init_inspectors turns it off), so the decimal port;
// a server (bound/listening) socket leaves fd.cproto/fd.sproto empty and fd.lproto/fd.rproto absent.
// Port constants as libsinsp's PT_PORT parser (value_parser.cpp): digits, or a service name from
// the services file (getservbyname(name, NULL)); fd.proto is a port field compared like fd.port.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RuleError } from '../../../src/errors/index.ts'
import { useServicesFile } from '../../../src/syscall/fields/port-names.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { parseCondition } from '../../../src/rules/lang/index.ts'
import { compileCondition } from '../../../src/rules/compile/index.ts'
import { compileOutput } from '../../../src/rules/format/output-format.ts'
import type { SyscallEvent } from '../../../src/syscall/event.ts'
import { fakeProc, rec } from '../state/fake-proc.ts'

const matches = (cond: string, ev: SyscallEvent): boolean => compileCondition(parseCondition(cond), syscallFields)(ev)

function enricher (t: { teardown(fn: () => void): void }) {
  const fp = fakeProc([{ pid: 30, ppid: 1, comm: 'curl', argv: ['curl'], cwd: '/' }])
  t.teardown(fp.cleanup)
  return createEnricher({ procRoot: fp.root, users: userDbFrom([], []) })
}

t.test('a connected socket: decimal ports, local/remote from this process\'s side', async (t) => {
  const en = enricher(t)
  const out = en.enrich(rec('connect', { pid: 30, res: 0, args: { fd: 3, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 40000, rip: '10.0.0.9', rport: 443 } }))
  const r = compileOutput('%fd.cproto %fd.sproto %fd.lproto %fd.rproto', syscallFields).render(out)
  t.equal(r.message, '40000 443 40000 443')
  t.same(r.outputFields, { 'fd.cproto': '40000', 'fd.sproto': '443', 'fd.lproto': '40000', 'fd.rproto': '443' })
  t.equal(matches('fd.sproto = 443', out), true)
  t.equal(matches('fd.sproto = https', out), false, 'no service names: resolution is off in Falco')

  const accepted = en.enrich(rec('accept', { pid: 30, res: 4, args: { fd: 4, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 8080, rip: '10.0.0.7', rport: 51000 } }))
  t.equal(compileOutput('%fd.cproto %fd.sproto %fd.lproto %fd.rproto', syscallFields).render(accepted).message, '51000 8080 8080 51000', 'the server side: local = server')
})

t.test('a listening socket and a file', async (t) => {
  const en = enricher(t)
  en.enrich(rec('socket', { pid: 30, res: 5, args: { domain: 2, type: 1, proto: 0 } }))
  const bound = en.enrich(rec('bind', { pid: 30, res: 0, args: { fd: 5, family: 'ipv4', l4proto: 'tcp', lip: '0.0.0.0', lport: 8080 } }))
  t.equal(matches('fd.sproto = ""', bound), true, 'libsinsp leaves the string empty for a server socket')
  t.equal(matches('fd.cproto = ""', bound), true)
  t.equal(matches('fd.lproto exists', bound), false)
  t.equal(matches('fd.rproto exists', bound), false)
  const file = en.enrich(rec('openat', { pid: 30, res: 6, args: { dirfd: -100, name: '/etc/hosts', flags: 0 } }))
  t.equal(matches('fd.sproto exists', file), false)
})

t.test('port fields take service names, fd.proto compares ports at either end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-services-'))
  writeFileSync(join(dir, 'services'), '# test services\nssh\t\t22/tcp\nhttp\t\t80/tcp\t\twww # web\nhttps\t\t443/tcp\nhttps\t\t443/udp\nmyapp\t\t8443/tcp\tmy-app\n')
  useServicesFile(join(dir, 'services'))
  t.teardown(() => useServicesFile(undefined))
  const en = enricher(t)
  const out = en.enrich(rec('connect', { pid: 30, res: 0, args: { fd: 3, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 40000, rip: '10.0.0.9', rport: 443 } }))
  t.equal(matches('fd.sport = https', out), true)
  t.equal(matches('fd.sport = "443"', out), true)
  t.equal(matches('fd.rport in (ssh, https)', out), true)
  t.equal(matches('fd.port = https', out), true)
  t.equal(matches('fd.sport = www', out), false, 'an alias: port 80')
  t.equal(matches('fd.sport = my-app', out), false)
  t.equal(matches('fd.proto = https', out), true, 'the server end')
  t.equal(matches('fd.proto = 40000', out), true, 'the client end')
  t.equal(matches('fd.proto != https', out), false, 'libsinsp compare_port: != needs both ends to differ')
  t.equal(matches('fd.proto != ssh', out), true)
  t.equal(matches('fd.proto in (http, https)', out), true)
  t.equal(compileOutput('%fd.proto', syscallFields).render(out).message, '443', 'outputs print the server port')
  const file = en.enrich(rec('openat', { pid: 30, res: 6, args: { dirfd: -100, name: '/etc/hosts', flags: 0 } }))
  t.equal(matches('fd.proto exists', file), false)
  let err: unknown
  try { matches('fd.sport = nosuchsvc', out) } catch (e) { err = e }
  t.ok(err instanceof RuleError)
  t.match(err, { code: 'RULE_COMPILE_BAD_VALUE', message: 'unrecognized protocol nosuchsvc', location: { pos: { offset: 11 } } })
})
