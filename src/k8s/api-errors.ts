// What a failed Kubernetes API call says, as one line for an operator, and its HTTP status.

/** HTTP status of a client-node error: ApiException has `code`, Watch errors `statusCode`. */
export function statusOf (err: unknown): number | undefined {
  const e = err as { code?: unknown, statusCode?: unknown } | null
  if (typeof e?.statusCode === 'number') return e.statusCode
  if (typeof e?.code === 'number') return e.code
  return undefined
}

/**
 * One line saying what went wrong. A generated-API error carries the apiserver's Status body
 * (`reason`, and a `message` such as RBAC's `pods is forbidden: User "…" cannot list resource
 * "pods" …`): that is what an operator needs, not client-node's "HTTP-Code: 403" preamble.
 */
export function describeApiError (err: unknown): string {
  const status = statusOf(err)
  const fromBody = statusMessage((err as { body?: unknown } | null)?.body)
  const msg = (err as { message?: unknown } | null)?.message
  // client-node's ApiException message is "HTTP-Code: 401\nMessage: Unauthorized\nBody: …"
  const apiMessage = typeof msg === 'string' ? /^HTTP-Code: \d+\nMessage: (.*)$/m.exec(msg)?.[1] : undefined
  const text = fromBody ?? apiMessage ?? (typeof msg === 'string' ? msg.split('\n')[0] : String(err))
  return (status !== undefined ? `HTTP ${status}: ` : '') + text
}

function statusMessage (body: unknown): string | undefined {
  let b = body
  if (typeof b === 'string') {
    try { b = JSON.parse(b) } catch { return undefined }
  }
  const s = b as { kind?: unknown, reason?: unknown, message?: unknown } | null
  if (s === null || typeof s !== 'object' || s.kind !== 'Status' || typeof s.message !== 'string') return undefined
  return typeof s.reason === 'string' && s.reason !== '' ? `${s.reason}: ${s.message}` : s.message
}
