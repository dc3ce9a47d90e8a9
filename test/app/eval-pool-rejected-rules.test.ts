// A ruleset the evaluation workers reject, then a worker crash: the replacement must start with
// the rules the pool is actually running, not the rejected set (which it would reject again,
// leaving the pool with no worker holding rules: every batch a 500 until the next good reload).
import t from 'tap'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { Worker } from 'node:worker_threads'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { until } from '../helpers/serve-child.ts'
import { auditEvent, createRule, eventList, evalPoolFor, lineCollector } from './fixtures.ts'

t.test('after a rejected ruleset, a replacement worker gets the running rules and evaluates', { timeout: 90_000 }, async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('Running Rule') })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')] })
  const { stream: logSink, lines: logLines } = lineCollector()
  const app = await buildApp(config, { stdout: new PassThrough(), logger: createLogger({ level: 'warn', stderr: true }, logSink), defaultMetrics: false })
  t.equal((await app.rules.load()).ok, true)
  // the pool keeps its workers to itself: learn them from the messages they are sent
  const workers: Worker[] = []
  const post = Worker.prototype.postMessage
  Worker.prototype.postMessage = function spyPostMessage (this: Worker, ...args: Parameters<Worker['postMessage']>) {
    if (!workers.includes(this)) workers.push(this)
    return post.apply(this, args)
  }
  t.teardown(() => { Worker.prototype.postMessage = post })
  const pool = evalPoolFor(t, app, config, 1)
  await pool.setRules(app.rules.inputs() ?? [])
  const body = Buffer.from(eventList([auditEvent()]))
  t.same((await pool.evaluate(body)).alerts.map((a) => a.rule), ['Running Rule'])

  // a set the worker's loader refuses: rejected with the loader's code, old rules kept
  await t.rejects(pool.setRules([{ name: 'broken.yaml', content: '- rule: [broken\n' }]), { message: /^LOAD_ERR_YAML_PARSE: / })
  // and one it cannot load at all (it throws on text that is not a string)
  await t.rejects(pool.setRules([{ name: 'broken', content: 42 as unknown as string }]))
  t.same((await pool.evaluate(body)).alerts.map((a) => a.rule), ['Running Rule'], 'the worker still runs its rules')

  // the worker dies (an OOM kill looks like this to the pool)
  const first = workers[0]
  const exited = new Promise((resolve) => first?.once('exit', resolve))
  await first?.terminate()
  await exited
  const evaluated = await until(async () => {
    // meanwhile a retryable failure (500); anything else is the test's failure
    try { return await pool.evaluate(body) } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_WEBHOOK_HANDLER_FAILED') throw err
      return undefined
    }
  }, 'the replacement worker to evaluate', 60_000, 50)
  t.same(evaluated.alerts.map((a) => a.rule), ['Running Rule'], 'the replacement runs the rules the pool was running')
  t.notOk(logLines.some((l) => l.includes('replacement worker could not load the rules')), 'it was not given the rejected set')
})
