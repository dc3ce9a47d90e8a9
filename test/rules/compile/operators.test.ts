// Every operator on every legal type, the illegal combinations (codes and positions), and the
// constant parsing rules (reference rules-language.md §2, edge cases 46–55).
import t from 'tap'
import { bytes, compileErr, run } from './fixture.ts'

t.test('string equality, inequality and ordering (edge 55)', async (t) => {
  const ev = { name: 'bash' }
  t.equal(run('t.name = bash', ev), true)
  t.equal(run('t.name == bash', ev), true)
  t.equal(run('t.name = "bash"', ev), true, 'bare and quoted values are the same')
  t.equal(run('t.name = Bash', ev), false, 'case-sensitive')
  t.equal(run('t.name != bash', ev), false)
  t.equal(run('t.name != sh', ev), true)
  t.equal(run('t.name < m', ev), true)
  t.equal(run('t.name <= bash', ev), true)
  t.equal(run('t.name > a', ev), true)
  t.equal(run('t.name >= c', ev), false)
})

t.test('contains, icontains, startswith, endswith (edges 49, 54)', async (t) => {
  const ev = { name: 'Bash' }
  t.equal(run('t.name contains ash', ev), true)
  t.equal(run('t.name contains ASH', ev), false)
  t.equal(run('t.name icontains ASH', ev), true)
  t.equal(run('t.name icontains "bA"', ev), true)
  t.equal(run('t.name startswith Ba', ev), true)
  t.equal(run('t.name startswith ba', ev), false)
  t.equal(run('t.name endswith sh', ev), true)
  t.equal(run('t.name endswith Ba', ev), false)
  t.equal(run('t.name startswith ""', ev), true)
  t.equal(run('t.name startswith ""', {}), false, 'but not when absent')
  t.equal(run('t.name contains ""', { name: '' }), true)
})

t.test('glob and iglob (edges 47, 49)', async (t) => {
  const path = { path: '/home/u/.ssh/id_rsa' }
  t.equal(run('t.path glob "/home/*"', path), true, '* crosses /')
  t.equal(run('t.path glob "/home/?"', path), false)
  t.equal(run('t.path glob "/home/?/.ssh/id_[a-z]sa"', path), true)
  t.equal(run('t.path glob "/home/u/.ssh/id_[!r]sa"', path), false)
  t.equal(run('t.path glob "/home/u/.ssh/id\\\\_rsa"', path), true, 'backslash escapes the next character')
  t.equal(run('t.path glob "*.pem"', path), false)
  t.equal(run('t.name iglob "b*"', { name: 'Bash' }), true)
  t.equal(run('t.name glob "b*"', { name: 'Bash' }), false)
  t.equal(run('t.name glob "[[:upper:]]ash"', { name: 'Bash' }), true)
})

t.test('regex is an anchored full match (edge 46)', async (t) => {
  const ev = { name: 'bash' }
  t.equal(run('t.name regex "bas"', ev), false)
  t.equal(run('t.name regex "ba.*"', ev), true)
  t.equal(run('t.name regex "(ba|z)sh"', ev), true)
  t.equal(run('t.name regex "[[:alpha:]]+"', ev), true)
  t.equal(run('t.name regex "(?i)BASH"', ev), true)
  t.equal(run('t.name regex "a|bash"', ev), true, 'alternation is anchored as a whole')
  t.equal(run('t.name regex "a|bas"', ev), false)
  for (const bad of ['"ba("', '"(a)\\\\1"', '"a(?=b)"', '"[[:nope:]]"']) {
    const e = compileErr(`t.name regex ${bad}`)
    t.equal(e.code, 'RULE_COMPILE_BAD_REGEX', bad)
    t.equal(e.location?.pos?.offset, 13)
  }
})

t.test('pmatch is component-wise with per-component globs (edge 48)', async (t) => {
  t.equal(run('t.path pmatch (/tmp/hello)', { path: '/tmp/hello_world' }), false)
  t.equal(run('t.path pmatch (/tmp/hello)', { path: '/tmp/hello/world' }), true)
  t.equal(run('t.path pmatch (/tmp/hello)', { path: '/tmp/hello' }), true)
  t.equal(run('t.path pmatch (/tmp/hello/)', { path: '//tmp//hello' }), true, 'empty components are ignored')
  t.equal(run('t.path pmatch (/var/*)', { path: '/var/run/x' }), true)
  t.equal(run('t.path pmatch (/var/r*n/x)', { path: '/var/run/x/y' }), true)
  t.equal(run('t.path pmatch (/var/*/y)', { path: '/var/run/x/y' }), false, 'wildcards do not cross /')
  t.equal(run('t.path pmatch (/etc, /usr/bin)', { path: '/usr/bin/ls' }), true)
  t.equal(run('t.path pmatch ()', { path: '/usr/bin/ls' }), false)
})

t.test('in and intersects on scalars (edge 7)', async (t) => {
  t.equal(run('t.name in (sh, bash)', { name: 'bash' }), true)
  t.equal(run('t.name in (sh, zsh)', { name: 'bash' }), false)
  t.equal(run('t.name in ("a b", \'c,d\', e)', { name: 'c,d' }), true)
  t.equal(run('t.name in ("a b", \'c,d\', e)', { name: 'c' }), false)
  t.equal(run('t.name in ()', { name: 'bash' }), false)
  t.equal(run('t.name intersects (sh, bash)', { name: 'bash' }), true, 'scalar intersects = in')
  t.equal(run('t.num in (1, 2, 3)', { num: 2 }), true)
  t.equal(run('t.num in (1, 3)', { num: 2 }), false)
  t.equal(run('t.num intersects (2)', { num: 2 }), true)
  t.equal(run('t.flag in (true)', { flag: true }), true)
  t.equal(run('t.time in (5, 6)', { time: 6n }), true)
})

t.test('integers: decimal only, parsed once (edge 51)', async (t) => {
  const ev = { num: 10 }
  t.equal(run('t.num = 10', ev), true)
  t.equal(run('t.num = +10', ev), true)
  t.equal(run('t.num != 10', ev), false)
  t.equal(run('t.num < 11', ev), true)
  t.equal(run('t.num <= 10', ev), true)
  t.equal(run('t.num > 10', ev), false)
  t.equal(run('t.num >= -1', ev), true)
  t.equal(run('t.num > -20', { num: -3 }), true)
  for (const v of ['abc', '0x10', '1.5', '1e3', '99999999999999999999']) {
    const e = compileErr(`t.num = ${v}`)
    t.equal(e.code, 'RULE_COMPILE_BAD_VALUE', v)
    t.equal(e.location?.pos?.offset, 8)
  }
  t.equal(compileErr('t.num > 1.5').code, 'RULE_COMPILE_BAD_VALUE')
  t.equal(compileErr('t.num > abc').code, 'RULE_COMPILE_BAD_VALUE')
  t.equal(compileErr('t.num in (1, x)').location?.pos?.offset, 13)
})

t.test('times are bigint nanoseconds', async (t) => {
  const ev = { time: 1_700_000_000_000_000_000n }
  t.equal(run('t.time > 1600000000000000000', ev), true)
  t.equal(run('t.time = 1700000000000000000', ev), true)
  t.equal(run('t.time < 1', ev), false)
  t.equal(compileErr('t.time > 1.0').code, 'RULE_COMPILE_BAD_VALUE')
})

t.test('bools: exactly true or false (edge 52)', async (t) => {
  t.equal(run('t.flag = true', { flag: true }), true)
  t.equal(run('t.flag = false', { flag: true }), false)
  t.equal(run('t.flag != false', { flag: true }), true)
  t.equal(run('t.flag = false', { flag: false }), true)
  for (const v of ['TRUE', '1', 'yes', 'True']) t.equal(compileErr(`t.flag = ${v}`).code, 'RULE_COMPILE_BAD_VALUE', v)
})

t.test('IP addresses and networks', async (t) => {
  t.equal(run('t.ip = 10.0.0.1', { ip: '10.0.0.1' }), true)
  t.equal(run('t.ip != 10.0.0.1', { ip: '10.0.0.2' }), true)
  t.equal(run('t.ip = 10.0.0.0/8', { ip: '10.2.3.4' }), true, 'a CIDR constant matches by containment')
  t.equal(run('t.ip = 10.0.0.0/8', { ip: '11.2.3.4' }), false)
  t.equal(run('t.ip in (192.168.0.0/16, 10.0.0.1)', { ip: '192.168.4.4' }), true)
  t.equal(run('t.ip in (192.168.0.0/16, 10.0.0.1)', { ip: '10.0.0.1' }), true)
  t.equal(run('t.ip in (192.168.0.0/16, 10.0.0.1)', { ip: '10.0.0.2' }), false)
  t.equal(run('t.ip = "2001:DB8:0:0::1"', { ip: '2001:db8::1' }), true, 'IPv6 constants are canonicalised')
  t.equal(run('t.ip = "2001:db8::/32"', { ip: '2001:db8:1::5' }), true)
  t.equal(run('t.ip = "2001:db8::/32"', { ip: '10.0.0.1' }), false, 'families never match')
  t.equal(run('t.net = 10.0.0.0/8', { net: '10.1.2.3' }), true)
  t.equal(run('t.net = 10.0.0.0/8', { net: '10.1.2.0/24' }), true)
  t.equal(run('t.net != 10.0.0.0/8', { net: '172.16.0.1' }), true)
  t.equal(run('t.net in (10.0.0.0/8, 172.16.0.0/12)', { net: '172.17.0.1' }), true)
  t.equal(run('t.net = 10.0.0.1', { net: '10.0.0.1' }), true, 'a bare address is a host network')
  for (const v of ['10.0.0.256', 'abc', '10.0.0.0/33', '1.2.3', '::1::2']) {
    t.equal(compileErr(`t.ip = "${v}"`).code, 'RULE_COMPILE_BAD_VALUE', v)
  }
  t.equal(compileErr('t.net = 10.0.0.0/40').code, 'RULE_COMPILE_BAD_VALUE')
})

t.test('byte buffers (edge 53)', async (t) => {
  const ev = { buf: bytes('say hello world') }
  t.equal(run('t.buf bcontains 68656c6c6f', ev), true)
  t.equal(run('t.buf bcontains 68656C6C6F', ev), true)
  t.equal(run('t.buf bcontains 6869', ev), false)
  t.equal(run('t.buf bstartswith 736179', ev), true)
  t.equal(run('t.buf bstartswith 68656c6c6f', ev), false)
  t.equal(run('t.buf contains hello', ev), true)
  t.equal(run('t.buf startswith say', ev), true)
  t.equal(run('t.buf endswith world', ev), true)
  t.equal(run('t.buf = "say hello world"', ev), true)
  t.equal(run('t.buf != "say"', ev), true)
  t.equal(run('t.buf in (x, "say hello world")', ev), true)
  t.equal(compileErr('t.buf bcontains xyz').code, 'RULE_COMPILE_BAD_VALUE')
  t.equal(compileErr('t.buf bcontains 123').code, 'RULE_COMPILE_BAD_VALUE', 'odd length')
  t.equal(compileErr('t.name bcontains 41').code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
  t.equal(compileErr('t.name bstartswith 41').code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
})

t.test('illegal operator/type combinations', async (t) => {
  const bad = [
    't.num contains 1', 't.num glob 1', 't.num regex "1.*"', 't.num pmatch (/x)', 't.num bcontains 41',
    't.flag < true', 't.flag contains t', 't.ip < 1.2.3.4', 't.ip contains 1', 't.net startswith 1',
    't.buf < a', 't.buf glob a', 't.buf icontains a', 't.buf regex "a.*"', 't.buf pmatch (/a)', 't.time contains 1'
  ]
  for (const cond of bad) {
    const e = compileErr(cond)
    t.equal(e.code, 'RULE_COMPILE_BAD_OPERATOR_TYPE', cond)
    t.equal(e.location?.pos?.offset, 0, `${cond}: position of the check`)
  }
})

t.test('string constants cannot contain NUL', async (t) => {
  t.equal(compileErr('t.name = "a\\x00b"').code, 'RULE_COMPILE_BAD_VALUE')
  t.equal(compileErr('t.name != "a\\x00b"').code, 'RULE_COMPILE_BAD_VALUE')
})
