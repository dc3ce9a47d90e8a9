// The shape of one code's entry. Its own file so the per-area tables (codes-*.ts) and the catalog
// that merges them (codes.ts) both import it without importing each other.
export interface CodeInfo {
  /** one line: what went wrong */
  summary: string
  /** HTTP status when the error reaches a client */
  statusCode?: number
  /** 'warning' codes never fail a load */
  severity: 'error' | 'warning'
}
