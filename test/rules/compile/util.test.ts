// The pure helpers the compiler builds on: globs, path-prefix matching, IP parsing and CIDR
// containment, byte search, RE2-to-JS regex translation, quoted-string escapes.
import t from 'tap'
import { compileGlob } from '../../../src/util/glob.ts'
import { compilePmatch, splitPath } from '../../../src/util/pmatch.ts'
import { canonicalIp, formatIp, netContains, parseCidr, parseIp } from '../../../src/util/ip.ts'
import { bytesContain, bytesEndWith, bytesStartWith, decodeHex, utf8 } from '../../../src/util/bytes.ts'
import { compileRe2, hasRegexMeta } from '../../../src/util/regex.ts'
import { quoteString, scanQuoted } from '../../../src/util/escapes.ts'

t.test('globs follow fnmatch with flags 0', async (t) => {
  const m = (g: string, s: string, i = false): boolean => compileGlob(g, i).test(s)
  t.equal(m('*', 'a/b/c'), true)
  t.equal(m('a*c', 'a/b/c'), true)
  t.equal(m('a?c', 'abc'), true)
  t.equal(m('a?c', 'ac'), false)
  t.equal(m('[abc]x', 'bx'), true)
  t.equal(m('[!abc]x', 'bx'), false)
  t.equal(m('[^abc]x', 'dx'), true)
  t.equal(m('[a-c]x', 'cx'), true)
  t.equal(m('[]]x', ']x'), true, '] first in a class is literal')
  t.equal(m('[x', '[x'), true, 'an unclosed [ is literal')
  t.equal(m('\\*', '*'), true)
  t.equal(m('\\*', 'a'), false)
  t.equal(m('a.b', 'axb'), false, 'regex metacharacters are literal')
  t.equal(m('(x)|y+', '(x)|y+'), true)
  t.equal(m('A*', 'abc', true), true)
  t.equal(m('x', 'xx'), false, 'whole-string match')
  t.equal(m('[[:digit:]]*', '9lives'), true)
  t.equal(m('a**b', 'a/x/b'), true, 'repeated stars are one star')
  t.equal(m('*.log', 'x.LOG', true), true)
  t.equal(m('[A-C]x', 'bx', true), true, 'classes fold case under iglob')
  t.equal(m('é*', 'É!', true), true, 'case folding beyond ASCII, as RegExp i')
  t.equal(m('k', '\u212a', true), false, 'but never into ASCII (the Kelvin sign is not k)')
})

t.test('globs backtrack only to the last star: many stars on long text stay cheap', async (t) => {
  // the RegExp translation backtracked exponentially here (tens of seconds per call)
  const stars = '*a'.repeat(10) + '*b'
  t.equal(compileGlob(stars).test('a'.repeat(40)), false)
  t.equal(compileGlob(stars).test('a'.repeat(40) + 'b'), true)
  t.equal(compileGlob('*a*b*c*').test('ab'.repeat(2000)), false)
  t.equal(compileGlob('*a*b*c*').test('ab'.repeat(2000) + 'c'), true)
  t.equal(compileGlob('*/.ssh/*/*key*').test('/.ssh/'.repeat(700)), false)
})

t.test('pmatch splits on / and matches component prefixes', async (t) => {
  t.same(splitPath('//a///b/'), ['a', 'b'])
  const m = compilePmatch(['/tmp/hello', '/var/*/log', '/opt/[ab]pp'])
  t.equal(m('/tmp/hello'), true)
  t.equal(m('/tmp/hello/x'), true)
  t.equal(m('/tmp/hello_world'), false)
  t.equal(m('/tmp'), false, 'a shorter path is not matched by a longer prefix')
  t.equal(m('/var/lib/log/x'), true)
  t.equal(m('/var/lib/x/log'), false)
  t.equal(m('/opt/app/bin'), true)
  t.equal(m('/opt/cpp'), false)
  t.equal(compilePmatch(['/'])('/anything'), true, 'the root prefixes every path')
  t.equal(compilePmatch([])('/x'), false)
})

t.test('IP addresses: parsing, canonical text, CIDR containment', async (t) => {
  t.equal(canonicalIp('10.0.0.1'), '10.0.0.1')
  t.equal(canonicalIp('010.0.0.1'), undefined, 'no leading zeros')
  t.equal(canonicalIp('256.0.0.1'), undefined)
  t.equal(canonicalIp('2001:DB8::1'), '2001:db8::1')
  t.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1', 'the first longest zero run is compressed')
  t.equal(canonicalIp('::'), '::')
  t.equal(canonicalIp('::1'), '::1')
  t.equal(canonicalIp('1::'), '1::')
  t.equal(canonicalIp('::ffff:10.0.0.1'), '::ffff:10.0.0.1', 'IPv4-mapped keeps the dotted tail (RFC 5952 §5), as the probe decoder writes it')
  t.equal(canonicalIp('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8')
  t.equal(canonicalIp('1:0:3:4:5:6:7:8'), '1:0:3:4:5:6:7:8', 'a single zero group is not compressed')
  t.equal(canonicalIp('1:2:3:4:5:6:7:8:9'), undefined)
  t.equal(canonicalIp('1::2::3'), undefined)
  t.equal(canonicalIp('1:2:3:4:5:6:7::8'), undefined, ':: must stand for at least one group')
  t.equal(formatIp(Uint8Array.from([192, 168, 0, 1])), '192.168.0.1')
  const net = parseCidr('10.1.0.0/16')
  t.ok(net)
  t.equal(netContains(net!, parseIp('10.1.200.3')!), true)
  t.equal(netContains(net!, parseIp('10.2.0.0')!), false)
  t.equal(netContains(parseCidr('10.1.2.3/12')!, parseIp('10.15.0.1')!), true, 'host bits are cleared')
  t.equal(netContains(parseCidr('10.1.2.3/12')!, parseIp('10.16.0.1')!), false)
  t.equal(netContains(parseCidr('0.0.0.0/0')!, parseIp('8.8.8.8')!), true)
  t.equal(netContains(parseCidr('fd00::/8')!, parseIp('fd12::1')!), true)
  t.equal(netContains(parseCidr('fd00::/8')!, parseIp('10.0.0.1')!), false)
  t.equal(parseCidr('10.0.0.0/33'), undefined)
  t.equal(parseCidr('10.0.0.0/08'), undefined)
  t.equal(parseCidr('::/129'), undefined)
})

t.test('bytes: hex decoding and search', async (t) => {
  t.same(decodeHex('00ff41'), Uint8Array.from([0, 255, 65]))
  t.equal(decodeHex('abc'), undefined)
  t.equal(decodeHex('zz'), undefined)
  t.equal(decodeHex(''), undefined, 'an empty hex string is not a value')
  const hay = utf8('hello world')
  t.equal(bytesContain(hay, utf8('o w')), true)
  t.equal(bytesContain(hay, utf8('ow')), false)
  t.equal(bytesContain(hay, new Uint8Array()), true)
  t.equal(bytesContain(utf8('ab'), utf8('abc')), false)
  t.equal(bytesStartWith(hay, utf8('hell')), true)
  t.equal(bytesEndWith(hay, utf8('rld')), true)
  t.equal(bytesEndWith(utf8('d'), utf8('rld')), false)
})

t.test('RE2 patterns become anchored JS regexes; RE2-only restrictions hold', async (t) => {
  const ok = (p: string): RegExp => {
    const r = compileRe2(p)
    if (!r.ok) throw new Error(r.message)
    return r.re
  }
  t.equal(ok('a|b').test('a'), true)
  t.equal(ok('a|b').test('ab'), false)
  t.equal(ok('[[:space:]]+x').test(' \tx'), true)
  t.equal(ok('[^[:digit:]]').test('5'), false)
  t.equal(ok('(?P<name>ab)c').test('abc'), true)
  t.equal(ok('[]a]').test(']'), true)
  t.equal(ok('(?i)abc').test('ABC'), true)
  t.equal(ok('a\\.b').test('a.b'), true)
  t.equal(ok('a\\.b').test('axb'), false)
  for (const bad of ['(a)\\1', '(?=a)', '(?!a)', '(?<=a)b', 'a(', '[a', 'x\\', '[[:bogus:]]']) {
    t.equal(compileRe2(bad).ok, false, bad)
  }
  t.equal(hasRegexMeta('bash'), false)
  t.equal(hasRegexMeta('ba.h'), true)
})

t.test('quoted strings: scanning, escapes, and quoting back', async (t) => {
  t.same(scanQuoted('x "a\\tb" y', 2), { ok: true, value: 'a\tb', end: 8 })
  t.same(scanQuoted("'it\\'s'", 0), { ok: true, value: "it's", end: 7 })
  t.match(scanQuoted('"abc', 0), { ok: false, code: 'RULE_LEX_UNTERMINATED_STRING', at: 0 })
  t.match(scanQuoted('"a\\', 0), { ok: false, code: 'RULE_LEX_UNTERMINATED_STRING' })
  t.match(scanQuoted('"a\\zb"', 0), { ok: false, code: 'RULE_LEX_BAD_ESCAPE', at: 2 })
  t.match(scanQuoted('"\\\'"', 0), { ok: false, code: 'RULE_LEX_BAD_ESCAPE' }, "\\' is only for '-strings")
  for (const s of ['plain', 'with "quotes"', 'back\\slash', 'tab\tnl\nctl\x01', '']) {
    const q = quoteString(s)
    t.same(scanQuoted(q, 0), { ok: true, value: s, end: q.length }, JSON.stringify(s))
  }
})

t.test('ASCII-only case folding', async (t) => {
  const { asciiLower, asciiUpper, includesAsciiCI } = await import('../../../src/util/ascii.ts')
  t.equal(asciiLower('AbC-É'), 'abc-É')
  t.equal(asciiUpper('abc-é'), 'ABC-é')
  t.equal(includesAsciiCI('Run --PRIVILEGED x', '--privileged'), true)
  t.equal(includesAsciiCI('Run --PRIVILEGE', '--privileged'), false)
  t.equal(includesAsciiCI('ÉTÉ', 'été'), false, 'non-ASCII letters are not folded')
  t.equal(includesAsciiCI('abc', ''), true)
  t.equal(includesAsciiCI('aab', 'ab'), true, 'restarts after a partial match')
})

t.test('IPv4-mapped IPv6 addresses have one text form: the decoder\'s and the rule constants\'', async (t) => {
  const { canonicalIp, formatIPv6At } = await import('../../../src/util/ip.ts')
  const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3])
  t.equal(formatIPv6At(mapped), '::ffff:10.1.2.3')
  t.equal(canonicalIp('::ffff:a01:203'), '::ffff:10.1.2.3')
  t.equal(canonicalIp('::FFFF:10.1.2.3'), '::ffff:10.1.2.3')
  t.equal(canonicalIp('fe80:0:0:0:1:0:0:1'), 'fe80::1:0:0:1')
})

t.test('regexes match in linear time like RE2, even where a backtracking engine explodes', async (t) => {
  // without the linear fallback each of these takes from seconds to hours
  const r = compileRe2('(a+)+b')
  if (!r.ok) throw new Error(r.message)
  t.equal(r.re.test('a'.repeat(40)), false)
  t.equal(r.re.test('a'.repeat(40) + 'b'), true)
  const nested = compileRe2('(x+x+)+y')
  if (!nested.ok) throw new Error(nested.message)
  t.equal(nested.re.test('x'.repeat(5000)), false)
})
