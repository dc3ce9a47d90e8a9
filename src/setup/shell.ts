// Shell-script building blocks for the recipes: files written with quoted here-documents (so no
// expansion happens inside them) and arguments quoted for POSIX sh.

/** `cat > PATH <<'DELIM'` … with a delimiter that cannot occur in the content. */
export function writeFileSnippet (pathExpr: string, content: string): string {
  let delim = 'LANNER_EOF'
  while (content.split('\n').includes(delim)) delim += '_'
  const body = content.endsWith('\n') ? content : content + '\n'
  return `cat > ${pathExpr} <<'${delim}'\n${body}${delim}\n`
}

/**
 * The same for a file holding credentials: created owner-only (umask 077 in a subshell), never
 * readable by others between its creation and a later chmod.
 */
export function writePrivateFileSnippet (pathExpr: string, content: string): string {
  return `(umask 077 && ${writeFileSnippet(pathExpr, content).trimEnd()}\n)\n`
}

/** Single-quotes a word for sh unless it is plainly safe. */
export function shQuote (s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}
