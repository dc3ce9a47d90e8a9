// What the helper is told: its argv, the kinds control line, kind checks and set comparisons.
import t from 'tap'
import { checkKinds, helperArgs, kindsLine, procexitChanged, sameKinds } from '../../../src/syscall/supervisor/helper-args.ts'

t.test('argv: kinds always, enter kinds and sizes only when set', async (t) => {
  t.same(helperArgs({}, { kinds: ['openat', 'close'], enter: [] }), ['--kinds', 'openat,close'])
  t.same(helperArgs({}, { kinds: [], enter: [] }), ['--kinds', 'none'], 'no exit kinds is "none", not an empty argument')
  t.same(helperArgs({ ringBytes: 8192, statsIntervalMs: 50 }, { kinds: ['execve'], enter: ['connect'] }),
    ['--kinds', 'execve', '--enter', 'connect', '--ring-bytes', '8192', '--stats-ms', '50'])
})

t.test('out-of-range options and unknown kinds are config errors naming the key', async (t) => {
  t.throws(function small () { helperArgs({ ringBytes: 100 }, { kinds: [], enter: [] }) }, { code: 'ERR_CONFIG_INVALID', message: /^ringBytes: expected an integer from 4096/ })
  t.throws(function fractional () { helperArgs({ statsIntervalMs: 10.5 }, { kinds: [], enter: [] }) }, { code: 'ERR_CONFIG_INVALID', message: /^statsIntervalMs/ })
  t.throws(function conf () { helperArgs({ confTimeoutMs: 5 }, { kinds: [], enter: [] }) }, { code: 'ERR_CONFIG_INVALID', message: /^confTimeoutMs/ })
  t.throws(function unknown () { checkKinds('enterKinds', ['openat', 'opneat']) }, { code: 'ERR_CONFIG_INVALID', message: /^enterKinds: 'opneat' is not an event type/ })
  t.doesNotThrow(function known () { checkKinds('kinds', ['openat', 'procexit']) })
  t.doesNotThrow(function absent () { checkKinds('kinds', undefined) })
})

t.test('the control line lanner-opts.c reads', async (t) => {
  t.equal(kindsLine(3, { kinds: ['open', 'close'], enter: [] }), 'kinds 3 open,close none\n')
  t.equal(kindsLine(4, { kinds: [], enter: ['execve'] }), 'kinds 4 none execve\n')
})

t.test('sets compare by members; procexit is told apart', async (t) => {
  t.ok(sameKinds({ kinds: ['a', 'b'], enter: [] }, { kinds: ['b', 'a'], enter: [] }), 'order does not matter')
  t.notOk(sameKinds({ kinds: ['a'], enter: [] }, { kinds: ['a'], enter: ['a'] }), 'enter kinds count')
  t.notOk(sameKinds({ kinds: ['a', 'b'], enter: [] }, { kinds: ['a', 'c'], enter: [] }))
  t.ok(procexitChanged({ kinds: ['open'], enter: [] }, { kinds: ['open', 'procexit'], enter: [] }))
  t.notOk(procexitChanged({ kinds: ['procexit'], enter: [] }, { kinds: ['procexit', 'open'], enter: [] }))
})
