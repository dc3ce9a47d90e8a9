// Codes travel as ErrorCode (src/errors/codes.ts), so a typo in a code fails the typecheck
// (`npx tsc -p tsconfig.json --noEmit`). Each @ts-expect-error below is that proof: were the
// misspelt code accepted, tsc would fail on the unused directive instead.
import t from 'tap'
import { CODES, type ErrorCode } from '../../src/errors/index.ts'
import type { LoadIssue } from '../../src/rules/index.ts'
import type { CompileWarning } from '../../src/rules/compile/context.ts'
import type { RejectedRules } from '../../src/app/metrics/internal-alerts.ts'
import { errorBody, type ErrorBody } from '../../src/webhook/replies.ts'

const issue: LoadIssue = { code: 'LOAD_ERR_YAML_PARSE', severity: 'error', message: 'bad indent', detailCode: 'RULE_PARSE_EMPTY' }
// @ts-expect-error a misspelt load code
const misspelt: LoadIssue = { code: 'LOAD_ERR_YAML_PARS', severity: 'error', message: 'x' }
// @ts-expect-error a misspelt detail code
const misspeltDetail: LoadIssue = { code: 'LOAD_ERR_COMPILE_CONDITION', severity: 'error', message: 'x', detailCode: 'RULE_PARSE_EMTPY' }
// @ts-expect-error a misspelt warning code
const warning: CompileWarning = { code: 'LOAD_COMPILE_CONDITON', message: 'x' }
// @ts-expect-error a misspelt code in an internal alert
const rejected: RejectedRules = { input: 'a.yaml', firstError: 'x', firstCode: 'LOAD_ERR_YAML', errors: 1 }
// @ts-expect-error a misspelt code in an HTTP error body
const body: ErrorBody = errorBody(404, 'ERR_WEBHOOK_NOTFOUND', 'nothing here')

t.test('the codes that type-check are the catalog\'s', async (t) => {
  const used: ErrorCode[] = [issue.code, issue.detailCode!, errorBody(404, 'ERR_WEBHOOK_NOT_FOUND', 'x').code]
  for (const code of used) t.ok(Object.hasOwn(CODES, code), `${code} is in the catalog`)
  // the misspelt values above exist at run time all the same: only the type check stops them
  const typos = [misspelt.code, misspeltDetail.detailCode, warning.code, rejected.firstCode, body.code]
  t.same(typos.filter((c) => Object.hasOwn(CODES, c as string)), [], 'none of the typos is a real code')
})
