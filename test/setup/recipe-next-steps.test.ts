// The kind and minikube scripts end their header with what to do next. With TLS (the default) the
// audit overlay's pod mounts the Secret lanner setup tls wrote and waits without it, so the step
// must name it; with an http:// server only the audit-insecure-http overlay can be reached.
import t from 'tap'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { run } from '../../src/cli/setup.ts'
import { BUNDLE_FILES, createTlsBundle } from '../../src/setup/tls-bundle.ts'

async function setup (argv: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c: Buffer) => { out += c.toString() })
  stderr.on('data', (c: Buffer) => { err += c.toString() })
  const code = await run(argv, { stdout, stderr, stdin: new PassThrough() })
  return { code, stdout: out, stderr: err }
}

function afterwards (script: string): string {
  return script.split('\n').filter((l) => l.startsWith('# Afterwards:') || l.startsWith('#   ')).join('\n')
}

t.test('kind and minikube over TLS: the next steps apply the overlay and the Secret', async (t) => {
  const tlsDir = join(t.testdir({}), 'creds')
  createTlsBundle({ dir: tlsDir, server: 'https://127.0.0.1:30007/k8s-audit' })
  for (const what of ['kind', 'minikube']) {
    const r = await setup([what, '--tls-dir', tlsDir])
    t.equal(r.code, 0, r.stderr)
    const next = afterwards(r.stdout)
    t.match(next, 'kubectl apply -k manifests/overlays/audit', `${what}: the audit overlay`)
    t.match(next, `kubectl apply -f ${join(tlsDir, BUNDLE_FILES.secret)}`, `${what}: the Secret its pod mounts`)
  }
})

t.test('kind and minikube over plain HTTP: the next step is the insecure overlay', async (t) => {
  for (const what of ['kind', 'minikube']) {
    const r = await setup([what, '--server', 'http://127.0.0.1:30007/k8s-audit'])
    t.equal(r.code, 0, r.stderr)
    const next = afterwards(r.stdout)
    t.match(next, 'kubectl apply -k manifests/overlays/audit-insecure-http', `${what}: the overlay that serves plain HTTP`)
    t.notMatch(next, /lanner-webhook-tls-secret/, `${what}: no Secret`)
  }
})
