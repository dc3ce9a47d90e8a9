// A throw-away network namespace joined to the root namespace by a veth pair with test addresses
// (a random /30 in 198.18.0.0/15), so network tests never touch a real network. Removed in teardown.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync } from 'node:fs'
import { skipUnlessRequired } from './probe-required.ts'

const IP_TIMEOUT_MS = 5_000

/** undefined when `ip` (iproute2) is installed; otherwise the reason to skip (throws it in CI as root) */
export function ipSkipReason (): string | undefined {
  return skipUnlessRequired(['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((p) => existsSync(p)) ? undefined : 'iproute2 (ip) not installed')
}

export function ip (...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore', timeout: IP_TIMEOUT_MS })
}

export interface VethNamespace {
  /** the namespace name (for `ip netns exec`) */
  ns: string
  /** root-namespace end of the veth and its address */
  hostIf: string
  hostIp: string
  /** namespace end of the veth and its address */
  peerIf: string
  nsIp: string
}

interface Teardown { teardown(fn: () => void | Promise<void>): void }

/**
 * Creates `<prefix><hex>` with a veth pair; the /30 is random so concurrent tests do not fight over
 * one connected route.
 */
export function createVethNamespace (t: Teardown, prefix = 'lanner-'): VethNamespace {
  const tag = randomBytes(3).toString('hex')
  const ns = `${prefix}${tag}`
  const hostIf = `lnv${tag}a`
  const peerIf = `lnv${tag}b`
  // 198.18.0.0/15 holds 2^15 /30s; block 0 (198.18.0.0/30) is skipped so a hand-made test veth
  // on the well-known first block cannot collide
  const block = randomInt(1, 1 << 15) * 4
  const base = (198 << 24 | 18 << 16) + block
  const addr = (n: number) => [n >>> 24 & 255, n >>> 16 & 255, n >>> 8 & 255, n & 255].join('.')
  const hostIp = addr(base + 1)
  const nsIp = addr(base + 2)
  ip('netns', 'add', ns)
  t.teardown(function removeNamespace () {
    try { ip('netns', 'del', ns) } catch { /* already gone */ }
    // deleting the namespace destroys the peer and with it the pair; this covers a half-made setup
    try { ip('link', 'del', hostIf) } catch { /* removed with the namespace */ }
  })
  ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf)
  ip('link', 'set', peerIf, 'netns', ns)
  ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf)
  ip('link', 'set', hostIf, 'up')
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', peerIf)
  ip('netns', 'exec', ns, 'ip', 'link', 'set', peerIf, 'up')
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up')
  return { ns, hostIf, hostIp, peerIf, nsIp }
}

export interface NamespacedListener {
  port: number
  child: ChildProcess
}

/**
 * An HTTP listener on `address` inside `ns` (a node child run by `ip netns exec`), answering
 * "ok" to every request. Killed in teardown; fails if it has not reported its port within `ms`.
 */
export async function listenInNamespace (t: Teardown, ns: string, address: string, ms = 10_000): Promise<NamespacedListener> {
  const script = `const s=require('node:http').createServer((q,r)=>r.end('ok\\n'));` +
    `s.listen(0,${JSON.stringify(address)},()=>process.stdout.write(s.address().port+'\\n'));` +
    // the listener ends with its parent: stdin closing means the test process is gone
    `process.stdin.on('end',()=>process.exit(0));process.stdin.resume()`
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] })
  t.teardown(function stopListener () {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => { reject(new Error(`listener in ${ns} did not start within ${ms} ms: ${err}`)) }, ms)
    child.stdout!.on('data', function onOut (b: Buffer) {
      out += b.toString()
      const m = /^(\d+)\n/.exec(out)
      if (m !== null) { clearTimeout(timer); resolve(Number(m[1])) }
    })
    child.stderr!.on('data', function onErr (b: Buffer) { err += b.toString() })
    child.on('exit', function early (code) { clearTimeout(timer); reject(new Error(`listener in ${ns} exited (${code}): ${err}`)) })
  })
  return { port, child }
}
