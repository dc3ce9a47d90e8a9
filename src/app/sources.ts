// The field tables of the instance's one source. Syscall fields load lazily so that audit mode
// never pays for them.
import type { Config } from '../config/index.ts'
import { createK8sAuditSource } from '../audit/index.ts'
import { withStaticFieldsAll, type SourceDefinition } from '../fields/index.ts'

export async function buildSources (cfg: Pick<Config, 'source' | 'userFields'> & { staticFields?: Config['staticFields'] }): Promise<SourceDefinition<any>[]> {
  const statics = cfg.staticFields ?? {}
  if (cfg.source === 'k8s_audit') return withStaticFieldsAll([createK8sAuditSource({ userFields: cfg.userFields })], statics)
  const { syscallSource } = await import('../syscall/index.ts')
  return withStaticFieldsAll([syscallSource], statics)
}
