// Turns PEM contents into node https server options: splits a combined cert+key PEM (Falco's
// sslCertificate) and maps clientAuth onto requestCert/rejectUnauthorized. Pure; no file access.
import { AppError } from '../errors/index.ts'
import type { WebhookTlsOptions } from './types.ts'

export interface HttpsServerOptions {
  cert: string
  key: string
  ca?: string
  requestCert: boolean
  rejectUnauthorized: boolean
  minVersion: 'TLSv1.2'
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g

interface PemBlock { label: string, text: string }

/** Every PEM block in `text`, in order; anything between blocks (comments, openssl's text dumps) is ignored. */
export function splitPem (text: string): PemBlock[] {
  const blocks: PemBlock[] = []
  // group 1 (the label) takes part in every match of PEM_BLOCK
  for (const m of text.matchAll(PEM_BLOCK)) blocks.push({ label: m[1] as string, text: m[0] })
  return blocks
}

function pemOf (blocks: PemBlock[], wanted: (label: string) => boolean): string {
  return blocks.filter((b) => wanted(b.label)).map((b) => b.text).join('\n')
}

const isCert = (label: string): boolean => label === 'CERTIFICATE'
// PRIVATE KEY (PKCS#8), RSA/EC PRIVATE KEY (traditional), ENCRYPTED PRIVATE KEY
const isKey = (label: string): boolean => label.endsWith('PRIVATE KEY')

/** Validates the PEM inputs and builds the options; throws ERR_WEBHOOK_TLS at startup, never later. */
export function buildHttpsOptions (tls: WebhookTlsOptions): HttpsServerOptions {
  const certBlocks = splitPem(String(tls.cert))
  const cert = pemOf(certBlocks, isCert)
  if (cert === '') throw new AppError('ERR_WEBHOOK_TLS', 'TLS cert has no PEM CERTIFICATE block')
  const keySource = tls.key === undefined ? certBlocks : splitPem(String(tls.key))
  const key = pemOf(keySource, isKey)
  if (key === '') {
    const where = tls.key === undefined ? 'TLS cert has no PRIVATE KEY block and no key was given' : 'TLS key has no PEM PRIVATE KEY block'
    throw new AppError('ERR_WEBHOOK_TLS', where)
  }
  // Explicit so that NODE_OPTIONS=--tls-min-v1.0 (or a changed node default) cannot reopen TLS 1.0/1.1.
  const out: HttpsServerOptions = { cert, key, requestCert: false, rejectUnauthorized: false, minVersion: 'TLSv1.2' }
  if (tls.clientAuth === 'none') return out
  const ca = tls.ca === undefined ? '' : pemOf(splitPem(String(tls.ca)), isCert)
  // Without our own CA node would verify clients against the public roots, which is never what mTLS means.
  if (ca === '') throw new AppError('ERR_WEBHOOK_TLS', `clientAuth '${tls.clientAuth}' needs a CA bundle (tls.ca) with a CERTIFICATE block`)
  out.ca = ca
  out.requestCert = true
  out.rejectUnauthorized = tls.clientAuth === 'require'
  return out
}
