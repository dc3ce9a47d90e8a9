// Input from outside (an audit body, a header) quoted in a log line or an error message is cut
// short: the log is ours, the text is the sender's, and a 3 MB "timestamp" must not become a 3 MB line.

/** Longest piece of outside input quoted by default. */
export const MAX_QUOTED = 64

/** The first `max` characters of `text`, marked with the full length when cut. */
export function clip (text: string, max = MAX_QUOTED): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`
}
