// Canonical text of an AST: fully parenthesised where precedence matters, every string quoted.
// For tests, debugging and error messages; parseCondition(print(e)) yields an equivalent AST.
import type { Expr, Literal, Operand, RightHand } from './ast.ts'
import { quoteString } from '../../util/index.ts'

export function printExpr (e: Expr): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return '(' + e.children.map(printExpr).join(` ${e.kind} `) + ')'
    case 'not':
      return `not ${printExpr(e.child)}`
    case 'macro':
      return e.name
    case 'check': {
      const left = printOperand(e.left)
      if (e.right === undefined) return `${left} ${e.op}`
      const mod = e.modifier === undefined ? '' : ` ${e.modifier}`
      return `${left} ${e.op}${mod} ${printRight(e.right)}`
    }
  }
}

export function printOperand (o: Operand): string {
  if (o.kind === 'field') {
    if (o.arg === undefined) return o.name
    return `${o.name}[${SAFE_ARG.test(o.arg) ? o.arg : quoteString(o.arg)}]`
  }
  return `${o.name}(${o.args.map(printOperand).join(', ')})`
}

function printRight (r: RightHand): string {
  switch (r.kind) {
    case 'literal': return printLiteral(r)
    case 'list': return '(' + r.items.map(printLiteral).join(', ') + ')'
    case 'operand': return r.operand.kind === 'field' ? `val(${printOperand(r.operand)})` : printOperand(r.operand)
  }
}

const SAFE_ARG = /^[^[\]"' \t\b\r\n\\]+$/
const SAFE_BARE = /^[^()"'=, \t\b\r\n\\]+$/

/** Unquoted items stay unquoted so that list names remain list names. */
function printLiteral (l: Literal): string {
  return !l.quoted && SAFE_BARE.test(l.value) ? l.value : quoteString(l.value)
}
