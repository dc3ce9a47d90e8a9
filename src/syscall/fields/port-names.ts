// Port constants as libsinsp's PT_PORT parser reads them (value_parser.cpp): digits are the port;
// anything else is a service name looked up with getservbyname(name, NULL) — /etc/services, the
// first entry whose name or alias matches, any protocol — and an unknown name is an error
// ("unrecognized protocol X"). So `fd.sport = https` is `fd.sport = 443`, in Falco as here.
import { readFileSync } from 'node:fs'
import { RuleError } from '../../errors/index.ts'

let services: ReadonlyMap<string, number> | undefined
let servicesPath = '/etc/services'

/** name or alias → port, from the services file (read once, on first use: compile time only). */
function table (): ReadonlyMap<string, number> {
  if (services !== undefined) return services
  const out = new Map<string, number>()
  let text = ''
  try {
    text = readFileSync(servicesPath, 'utf8')
  } catch {
    // no services file: only numeric ports parse, as getservbyname finds nothing either
  }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') continue
    const [name, portProto, ...aliases] = line.split(/\s+/)
    const port = Number((portProto ?? '').split('/')[0])
    if (name === undefined || !Number.isInteger(port) || port < 0 || port > 65535) continue
    for (const n of [name, ...aliases]) if (!out.has(n)) out.set(n, port)
  }
  services = out
  return out
}

/** The literal text of a port constant: digits unchanged, a service name replaced by its port. */
export function portConstant (text: string): string {
  if (/^[0-9]*$/.test(text)) return text === '' ? '0' : text
  const port = table().get(text)
  if (port === undefined) throw new RuleError('RULE_COMPILE_BAD_VALUE', `unrecognized protocol ${text}`)
  return String(port)
}

/** Tests: read services from another file (undefined: the system's). */
export function useServicesFile (path: string | undefined): void {
  servicesPath = path ?? '/etc/services'
  services = undefined
}
