// Test PKI made with the openssl CLI in a tmp dir: a CA, a server certificate for localhost/127.0.0.1,
// a client certificate from the same CA, and a client certificate from an unrelated CA.
import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TestPki {
  dir: string
  caCert: string
  serverCert: string
  serverKey: string
  /** server certificate and key in one PEM, like Falco's sslCertificate */
  serverCombined: string
  clientCert: string
  clientKey: string
  /** a client certificate signed by a CA the server does not trust */
  rogueCert: string
  rogueKey: string
  /** paths of the same files */
  files: Record<'caCert' | 'serverCert' | 'serverKey' | 'serverCombined' | 'clientCert' | 'clientKey', string>
  remove(): Promise<void>
}

async function openssl (dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir })
}

// EC P-256 keys: fast to generate, so each test file can afford its own PKI.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

async function makeCa (dir: string, name: string): Promise<void> {
  await openssl(dir, ['req', '-x509', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-subj', `/CN=${name}`, '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
}

async function makeLeaf (dir: string, name: string, ca: string, ext: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), ext)
  await openssl(dir, ['req', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`])
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
    '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`])
}

export async function createTestPki (): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'lanner-pki-'))
  await makeCa(dir, 'ca')
  await makeCa(dir, 'rogue-ca')
  await makeLeaf(dir, 'server', 'ca',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n')
  await makeLeaf(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n')
  await makeLeaf(dir, 'rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n')
  const read = (f: string): Promise<string> => readFile(join(dir, f), 'utf8')
  const [caCert, serverCert, serverKey, clientCert, clientKey, rogueCert, rogueKey] = await Promise.all(
    ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key', 'rogue.crt', 'rogue.key'].map(read))
  const serverCombined = `${serverCert as string}${serverKey as string}`
  await writeFile(join(dir, 'server.pem'), serverCombined)
  return {
    dir,
    caCert: caCert as string,
    serverCert: serverCert as string,
    serverKey: serverKey as string,
    serverCombined,
    clientCert: clientCert as string,
    clientKey: clientKey as string,
    rogueCert: rogueCert as string,
    rogueKey: rogueKey as string,
    files: {
      caCert: join(dir, 'ca.crt'),
      serverCert: join(dir, 'server.crt'),
      serverKey: join(dir, 'server.key'),
      serverCombined: join(dir, 'server.pem'),
      clientCert: join(dir, 'client.crt'),
      clientKey: join(dir, 'client.key')
    },
    remove: () => rm(dir, { recursive: true, force: true })
  }
}

let shared: Promise<TestPki> | undefined
let sharedCa: string | undefined

/**
 * One PKI per test process, made on first use and removed at exit: for the fake apiservers, which
 * serve HTTPS with a certificate their clients verify against `ca.crt`, as a cluster's CA bundle.
 */
export async function sharedTestPki (): Promise<TestPki> {
  if (shared === undefined) {
    shared = createTestPki()
    const pki = await shared
    sharedCa = pki.caCert
    process.once('exit', function removeSharedPki () { rmSync(pki.dir, { recursive: true, force: true }) })
  }
  return await shared
}

/** The shared PKI's CA certificate once sharedTestPki() has resolved (for synchronous kubeconfig writers). */
export function sharedCaCert (): string | undefined { return sharedCa }
