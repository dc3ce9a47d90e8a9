// `lanner setup tls` writes the Secret and the webhook kubeconfig (both embed private keys)
// readable by their owner only from the moment they exist, not world-readable until a final
// chmod: with --out in a shared directory another user could read them in between. The check
// looks at each file's mode when the bundle code chmods it (the last step), through node's fs.
import t from 'tap'
import fs, { statSync, writeFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { basename, join } from 'node:path'
import { BUNDLE_FILES, createTlsBundle } from '../../src/setup/tls-bundle.ts'

const PRIVATE = [BUNDLE_FILES.serverKey, BUNDLE_FILES.clientKey, BUNDLE_FILES.serverCaKey, BUNDLE_FILES.clientCaKey, BUNDLE_FILES.kubeconfig, BUNDLE_FILES.secret]

/** the mode each file had just before the bundle code chmodded it */
function recordModesBeforeChmod (t: { teardown(fn: () => void): void }): Map<string, number> {
  const seen = new Map<string, number>()
  const real = fs.chmodSync
  fs.chmodSync = function recordingChmod (p: fs.PathLike, mode: fs.Mode): void {
    seen.set(basename(String(p)), statSync(p).mode & 0o777)
    real(p, mode)
  }
  syncBuiltinESMExports()
  t.teardown(() => { fs.chmodSync = real; syncBuiltinESMExports() })
  return seen
}

const umask = process.umask(0o022)
t.teardown(() => { process.umask(umask) })

t.test('files holding private keys are never readable by others, even before the final chmod', async (t) => {
  const seen = recordModesBeforeChmod(t)
  const dir = join(t.testdir({}), 'creds')
  createTlsBundle({ dir, server: 'https://127.0.0.1:30007/k8s-audit' })
  for (const f of PRIVATE) {
    t.equal(((seen.get(f) ?? 0o777) & 0o077), 0, `${f} was owner-only when written (mode ${(seen.get(f) ?? 0).toString(8)})`)
    t.equal(statSync(join(dir, f)).mode & 0o077, 0, `${f} is owner-only at the end`)
  }
})

t.test('--force over files a user made readable: replaced by owner-only files', async (t) => {
  const dir = join(t.testdir({}), 'creds')
  createTlsBundle({ dir, server: 'https://127.0.0.1:30007/k8s-audit' })
  for (const f of PRIVATE) {
    writeFileSync(join(dir, f), 'old')
    fs.chmodSync(join(dir, f), 0o644)
  }
  const seen = recordModesBeforeChmod(t)
  createTlsBundle({ dir, server: 'https://127.0.0.1:30007/k8s-audit', force: true })
  for (const f of PRIVATE) {
    t.equal(((seen.get(f) ?? 0o777) & 0o077), 0, `${f} was owner-only when rewritten (mode ${(seen.get(f) ?? 0).toString(8)})`)
  }
})
