// Self-signed certificates for loopback TLS tests, generated per test run with openssl.
import { execFileSync } from 'node:child_process'
import path from 'node:path'

export interface CertFiles { cert: string, key: string }

/** A self-signed certificate valid for 127.0.0.1 and localhost (it is its own CA). */
export function makeCert (dir: string, name: string): CertFiles {
  const cert = path.join(dir, `${name}.crt`)
  const key = path.join(dir, `${name}.key`)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
  return { cert, key }
}
