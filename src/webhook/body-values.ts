// A bound on the work one body can ask for, checked before JSON.parse: parsing cost grows with the
// number of JSON values far more than with bytes (8 MB of `{},` costs more than 64 MB of real
// events), and JSON.parse cannot be interrupted, so the count has to come first.

/**
 * Real audit events hold at least this many bytes per counted value: 19 or more in every event of
 * Falco's regression traces (pods, RBAC objects, services), about 30 in events from public
 * clusters (../shared/reference/audit-samples), 26 in 400-event RequestResponse pod batches. A body
 * at least this sparse is admitted whatever its count (up to max_body_bytes): only bodies denser
 * than real ones (`{},{},…`: 3 bytes per value) are held to max_body_values.
 */
export const REAL_BODY_MIN_BYTES_PER_VALUE = 16

const COMMA = 0x2c
const OPEN_OBJECT = 0x7b
const OPEN_ARRAY = 0x5b

/**
 * Upper bound on the JSON values in `body`: every value after the first in a container follows a
 * comma, and every container opens with a bracket. The same bytes inside strings count too, so
 * this over-estimates, never under-estimates. Stops counting past `limit`; returns at most
 * limit + 1. Uses indexOf (memchr), so a body with few separators is scanned at memory speed.
 */
export function countJsonValues (body: Buffer, limit: number): number {
  // a body cannot hold more values than bytes
  if (body.length <= limit) return Math.min(body.length, limit)
  let n = 1
  for (const ch of [COMMA, OPEN_OBJECT, OPEN_ARRAY]) {
    let at = body.indexOf(ch)
    while (at !== -1) {
      if (++n > limit) return n
      at = body.indexOf(ch, at + 1)
    }
  }
  return n
}
