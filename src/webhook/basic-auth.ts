// Basic authentication for the webhook: what kube-apiserver sends when its webhook kubeconfig has
// `username`/`password`. Both parts are compared in constant time over SHA-256 digests, and both
// are always compared, so neither which part was wrong nor any length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto'

const PREFIX = /^Basic[ \t]+/i

function digest (s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

/** A predicate over the Authorization header value. */
export function createBasicCheck (username: string, password: string): (authorization: string | undefined) => boolean {
  const user = digest(username)
  const pass = digest(password)
  return function checkBasic (authorization) {
    if (authorization === undefined || !PREFIX.test(authorization)) return false
    const decoded = Buffer.from(authorization.replace(PREFIX, '').trim(), 'base64').toString('utf8')
    // RFC 7617: the user-id cannot contain a colon, the password can
    const colon = decoded.indexOf(':')
    const givenUser = colon === -1 ? decoded : decoded.slice(0, colon)
    const givenPass = colon === -1 ? '' : decoded.slice(colon + 1)
    const userOk = timingSafeEqual(digest(givenUser), user)
    const passOk = timingSafeEqual(digest(givenPass), pass)
    return colon !== -1 && userOk && passOk
  }
}
