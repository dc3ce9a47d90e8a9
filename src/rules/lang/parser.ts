// Recursive-descent parser for Falco conditions: text -> Expr (ast.ts), with Falco's lexing
// quirks (keywords need a following blank or `(`, word operators need a trailing blank, bare
// strings stop at `( ) " ' = ,` and blanks). Also parses field/transformer operands for outputs.
import type {
  BinaryOp, CheckExpr, Expr, FieldOperand, FieldRef, ListLiteral, ListOp, Literal, Modifier,
  Operand, Operator, RightHand, TransformerCall
} from './ast.ts'
import { Cursor, isBlank } from './cursor.ts'
import { scanQuoted } from '../../util/index.ts'

/** Nesting limit (parentheses, `not`, transformer calls), as upstream. */
export const MAX_DEPTH = 100

export const TRANSFORMERS: ReadonlySet<string> = new Set(['tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'])
const RESERVED: ReadonlySet<string> = new Set(['and', 'or', 'not'])

const FIELD_RE = /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y
const IDENT_RE = /[a-zA-Z]+[a-zA-Z0-9_]*/y
const FIELD_ARG_RE = /[^[\]"' \t\b\r\n]+/y
const BARE_RE = /[^()"'=, \t\b\r\n]+/y
const HEX_RE = /0[xX][0-9a-fA-F]+/y
const NUM_RE = /[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?/y
const IDENT_CHAR = /[a-zA-Z0-9_]/

const NUM_OPS: readonly BinaryOp[] = ['<=', '<', '>=', '>']
const SYMBOL_STR_OPS: readonly BinaryOp[] = ['==', '=', '!=']
// order matters only where one is a prefix of another; none of these is
const WORD_STR_OPS: readonly BinaryOp[] = ['contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex']
const LIST_OPS: readonly ListOp[] = ['intersects', 'in', 'pmatch']
const MODIFIERS: readonly Modifier[] = ['oneof', 'anyof', 'allof']

/** Parse a whole condition. Throws RuleError (RULE_PARSE_*, RULE_LEX_*, RULE_LIMIT_MAX_DEPTH). */
export function parseCondition (text: string): Expr {
  const c = new Cursor(text)
  c.blanks()
  if (c.done) throw c.fail('RULE_PARSE_EMPTY', 'condition is empty', 0)
  const expr = parseOr(c, 0)
  c.blanks()
  if (!c.done) {
    throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `unexpected token ${c.describe()}, expecting 'or', 'and'`)
  }
  return expr
}

/**
 * Parse the longest field (`name.sub[arg]`) or transformer call starting at `offset` (output
 * formats: `%proc.name)` ends before `)`). Undefined when nothing operand-like starts there;
 * throws RuleError when a transformer call or field argument starts but is malformed.
 */
export function parseOperandPrefix (text: string, offset: number): { operand: Operand, end: number } | undefined {
  const c = new Cursor(text, offset)
  const operand = tryOperand(c, 0)
  return operand === undefined ? undefined : { operand, end: c.pos }
}

function parseOr (c: Cursor, depth: number): Expr {
  return parseChain(c, depth, 'or', parseAnd)
}

function parseAnd (c: Cursor, depth: number): Expr {
  return parseChain(c, depth, 'and', parseNot)
}

/** `sub (kw sub)*`, flattened; a parenthesised child of the same kind is merged too. */
function parseChain (c: Cursor, depth: number, kw: 'and' | 'or', sub: (c: Cursor, depth: number) => Expr): Expr {
  const first = sub(c, depth)
  let children: Expr[] | undefined
  for (;;) {
    const save = c.pos
    c.blanks()
    if (!c.at(kw)) { c.pos = save; break }
    c.pos += kw.length
    requireBlankOrParen(c, kw)
    children ??= flattenInto([], first, kw)
    flattenInto(children, sub(c, depth), kw)
  }
  if (children === undefined) return first
  return { kind: kw, children, pos: first.pos }
}

function flattenInto (acc: Expr[], e: Expr, kw: 'and' | 'or'): Expr[] {
  // a loop, not push(...children): spreading a long chain as arguments overflows the stack
  if (e.kind === kw) for (const c of e.children) acc.push(c)
  else acc.push(e)
  return acc
}

/** After `and`/`or`: a blank (skipped) or `(` (left for the operand) must follow. */
function requireBlankOrParen (c: Cursor, kw: string): void {
  if (c.peek() === '(') return
  if (!c.blanks()) throw c.fail('RULE_PARSE_EXPECTED_BLANK', `expected blank or '(' after '${kw}'`)
}

function parseNot (c: Cursor, depth: number): Expr {
  const start = c.pos
  let nots = 0
  // `not` is a keyword only before a blank or `(`: `notable` is a macro name
  while (c.at('not') && (isBlank(c.peek(3)) || c.peek(3) === '(')) {
    c.pos += 3
    c.blanks()
    nots++
    if (depth + nots > MAX_DEPTH) throw c.fail('RULE_LIMIT_MAX_DEPTH', `exceeded max depth limit of ${MAX_DEPTH}`, start)
  }
  const inner = parseCheck(c, depth + nots)
  return nots % 2 === 0 ? inner : negate(inner, c.posAt(start))
}

/** `not` of a `not` collapses: double negation leaves no node. */
function negate (e: Expr, pos: Expr['pos']): Expr {
  return e.kind === 'not' ? e.child : { kind: 'not', child: e, pos }
}

function parseCheck (c: Cursor, depth: number): Expr {
  if (depth > MAX_DEPTH) throw c.fail('RULE_LIMIT_MAX_DEPTH', `exceeded max depth limit of ${MAX_DEPTH}`)
  if (c.peek() === '(') {
    const open = c.pos
    c.pos++
    c.blanks()
    const inner = parseOr(c, depth + 1)
    c.blanks()
    if (c.peek() !== ')') {
      throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected ')' to close '(' at offset ${open}, got ${c.describe()}`)
    }
    c.pos++
    return inner
  }
  const start = c.pos
  const left = tryOperand(c, depth)
  if (left !== undefined) return parseConditionPart(c, left, depth)
  const name = c.match(IDENT_RE)
  if (name === undefined || RESERVED.has(name)) {
    c.pos = start
    throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected a '(' token, a field check, or an identifier, got ${c.describe()}`)
  }
  if (name === 'val' && c.peek() === '(') {
    throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', 'val() can only be used on the right-hand side of a check', start)
  }
  return { kind: 'macro', name, pos: c.posAt(start) }
}

/** The operator and right-hand side after a left operand. */
function parseConditionPart (c: Cursor, left: Operand, depth: number): CheckExpr {
  const pos = left.pos
  c.blanks()
  if (c.at('exists') && !IDENT_CHAR.test(c.peek(6) ?? '')) {
    c.pos += 6
    return { kind: 'check', left, op: 'exists', pos }
  }
  for (const op of NUM_OPS) {
    if (c.at(op)) {
      c.pos += op.length
      c.blanks()
      // upstream wants a number here; we also take a string so that `proc.name < m` (ordering on
      // string fields) parses — the compiler rejects non-numbers for numeric fields
      return { kind: 'check', left, op, right: parseNumberOrString(c, depth), pos }
    }
  }
  for (const op of SYMBOL_STR_OPS) {
    if (c.at(op)) {
      c.pos += op.length
      c.blanks()
      return stringCheck(c, left, op, pos, depth)
    }
  }
  for (const op of WORD_STR_OPS) {
    if (c.at(op)) {
      c.pos += op.length
      if (!c.blanks()) throw c.fail('RULE_PARSE_EXPECTED_BLANK', `expected blank after '${op}'`)
      return stringCheck(c, left, op, pos, depth)
    }
  }
  for (const op of LIST_OPS) {
    if (c.at(op)) {
      c.pos += op.length
      if (c.peek() !== '(' && !c.blanks()) throw c.fail('RULE_PARSE_EXPECTED_BLANK', `expected blank or '(' after '${op}'`)
      const right = tryRightOperand(c, depth) ?? parseListValue(c)
      return { kind: 'check', left, op, right, pos }
    }
  }
  throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected an operator after the field, got ${c.describe()}`)
}

function stringCheck (c: Cursor, left: Operand, op: Operator, pos: CheckExpr['pos'], depth: number): CheckExpr {
  const modifier = tryModifier(c)
  if (modifier !== undefined) return { kind: 'check', left, op, modifier, right: parseListValue(c), pos }
  const right = tryRightOperand(c, depth) ?? parseStrValue(c)
  return { kind: 'check', left, op, right, pos }
}

/** `oneof`/`anyof`/`allof` + blank + (`(` or a non-keyword identifier); else it is a plain value. */
function tryModifier (c: Cursor): Modifier | undefined {
  for (const m of MODIFIERS) {
    if (!c.at(m)) continue
    const save = c.pos
    c.pos += m.length
    if (c.blanks()) {
      if (c.peek() === '(') return m
      const probe = c.pos
      const id = c.match(IDENT_RE)
      c.pos = probe
      if (id !== undefined && !RESERVED.has(id) && !/[.(]/.test(c.text[probe + id.length] ?? '')) return m
    }
    c.pos = save
  }
  return undefined
}

function parseNumberOrString (c: Cursor, depth: number): RightHand {
  const operand = tryRightOperand(c, depth)
  if (operand !== undefined) return operand
  const start = c.pos
  const num = c.match(HEX_RE) ?? c.match(NUM_RE)
  if (num !== undefined && !isBareChar(c.peek())) return { kind: 'literal', value: num, quoted: false, pos: c.posAt(start) }
  c.pos = start
  return parseStrValue(c)
}

function isBareChar (ch: string | undefined): boolean {
  return ch !== undefined && !isBlank(ch) && !'()"\'=,'.includes(ch)
}

/** A quoted or bare string. */
function parseStrValue (c: Cursor): Literal {
  const start = c.pos
  const ch = c.peek()
  if (ch === '"' || ch === "'") {
    const r = scanQuoted(c.text, start)
    if (!r.ok) throw c.fail(r.code, r.message, r.at)
    c.pos = r.end
    return { kind: 'literal', value: r.value, quoted: true, pos: c.posAt(start) }
  }
  const bare = c.match(BARE_RE)
  if (bare === undefined) throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected a value, got ${c.describe()}`)
  return { kind: 'literal', value: bare, quoted: false, pos: c.posAt(start) }
}

/**
 * `( item, … )` or a bare identifier. The identifier form (`proc.name in shell_binaries`) becomes a
 * one-item list literal that the loader expands like `(shell_binaries)`. Upstream expands list
 * names textually and so rejects this form for lists of two or more items; we deliberately accept it.
 */
function parseListValue (c: Cursor): ListLiteral {
  const start = c.pos
  if (c.peek() !== '(') {
    const name = c.match(IDENT_RE)
    if (name === undefined || c.peek() === '.') {
      c.pos = start
      throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected '(' or a list name, got ${c.describe()}`)
    }
    const pos = c.posAt(start)
    return { kind: 'list', items: [{ kind: 'literal', value: name, quoted: false, pos }], pos }
  }
  c.pos++
  c.blanks()
  const items: Literal[] = []
  if (c.peek() === ')') {
    c.pos++
    return { kind: 'list', items, pos: c.posAt(start) }
  }
  for (;;) {
    items.push(parseStrValue(c))
    c.blanks()
    const ch = c.peek()
    if (ch === ',') { c.pos++; c.blanks(); continue }
    if (ch === ')') { c.pos++; break }
    throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected ',' or ')' in list, got ${c.describe()}`)
  }
  return { kind: 'list', items, pos: c.posAt(start) }
}

/** `val(field)` or a transformer call, as a right-hand operand. */
function tryRightOperand (c: Cursor, depth: number): FieldOperand | undefined {
  const start = c.pos
  if (c.at('val(')) {
    c.pos += 4
    c.blanks()
    const field = tryField(c)
    if (field === undefined) throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected a field inside val(), got ${c.describe()}`)
    c.blanks()
    if (c.peek() !== ')') throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected ')' to close val(, got ${c.describe()}`)
    c.pos++
    return { kind: 'operand', operand: field, pos: c.posAt(start) }
  }
  const t = tryTransformer(c, depth)
  return t === undefined ? undefined : { kind: 'operand', operand: t, pos: t.pos }
}

/** A transformer call or a field at the cursor; undefined (cursor unchanged) if neither. */
function tryOperand (c: Cursor, depth: number): Operand | undefined {
  return tryTransformer(c, depth) ?? tryField(c)
}

function tryTransformer (c: Cursor, depth: number): TransformerCall | undefined {
  const start = c.pos
  const name = c.match(IDENT_RE)
  if (name === undefined || !TRANSFORMERS.has(name) || c.peek() !== '(') { c.pos = start; return undefined }
  if (depth + 1 > MAX_DEPTH) throw c.fail('RULE_LIMIT_MAX_DEPTH', `exceeded max depth limit of ${MAX_DEPTH}`, start)
  c.pos++
  c.blanks()
  const args: Operand[] = []
  for (;;) {
    const arg = tryOperand(c, depth + 1)
    if (arg === undefined) throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected a field or transformer as argument of ${name}(), got ${c.describe()}`)
    args.push(arg)
    c.blanks()
    const ch = c.peek()
    if (ch === ',') { c.pos++; c.blanks(); continue }
    if (ch === ')') { c.pos++; break }
    throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected ',' or ')' in ${name}(), got ${c.describe()}`)
  }
  return { kind: 'transformer', name, args, pos: c.posAt(start) }
}

function tryField (c: Cursor): FieldRef | undefined {
  const start = c.pos
  const name = c.match(FIELD_RE)
  if (name === undefined) return undefined
  const pos = c.posAt(start)
  if (c.peek() !== '[') return { kind: 'field', name, pos }
  c.pos++
  let arg: string | undefined
  const q = c.peek()
  if (q === '"' || q === "'") {
    const r = scanQuoted(c.text, c.pos)
    if (!r.ok) throw c.fail(r.code, r.message, r.at)
    c.pos = r.end
    arg = r.value
  } else {
    arg = c.match(FIELD_ARG_RE)
  }
  if (arg === undefined || c.peek() !== ']') {
    throw c.fail('RULE_PARSE_UNEXPECTED_TOKEN', `expected a field argument and ']' after '${name}[', got ${c.describe()}`)
  }
  c.pos++
  return { kind: 'field', name, arg, pos }
}
