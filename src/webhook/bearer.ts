// Bearer-token check for the webhook: constant-time over SHA-256 digests, so neither the token's
// content nor its length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto'

const PREFIX = /^Bearer[ \t]+/i

function digest (s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

/** A predicate over the Authorization header value. */
export function createBearerCheck (token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token)
  return function checkBearer (authorization) {
    if (authorization === undefined || !PREFIX.test(authorization)) return false
    const given = authorization.replace(PREFIX, '').trim()
    return timingSafeEqual(digest(given), expected)
  }
}
