// AST of Falco rule conditions. Produced by the parser, rewritten by loader passes (list and macro
// expansion), consumed by the compiler. Every node carries its position in the condition text
// (0-based offset, 1-based line/col), which the loader re-bases onto the YAML file.
import type { SourcePos } from '../../errors/index.ts'

export type Expr = AndExpr | OrExpr | NotExpr | CheckExpr | MacroRef

export interface AndExpr { kind: 'and', children: Expr[], pos: SourcePos }
export interface OrExpr { kind: 'or', children: Expr[], pos: SourcePos }
export interface NotExpr { kind: 'not', child: Expr, pos: SourcePos }
/** A bare identifier in check position: resolved by the loader to a macro's AST. */
export interface MacroRef { kind: 'macro', name: string, pos: SourcePos }

export type UnaryOp = 'exists'
export type BinaryOp =
  | '=' | '==' | '!=' | '<' | '<=' | '>' | '>='
  | 'contains' | 'icontains' | 'bcontains' | 'startswith' | 'bstartswith' | 'endswith'
  | 'glob' | 'iglob' | 'regex'
export type ListOp = 'in' | 'intersects' | 'pmatch'
export type Operator = UnaryOp | BinaryOp | ListOp
/** [new in Falco 0.44] `proc.name startswith oneof (a, b)` */
export type Modifier = 'oneof' | 'anyof' | 'allof'

/** `name` or `name[arg]` */
export interface FieldRef { kind: 'field', name: string, arg?: string, pos: SourcePos }
/** `tolower(x)`, `basename(x)`, `len(x)`…; nestable */
export interface TransformerCall {
  kind: 'transformer'
  name: 'tolower' | 'toupper' | 'b64' | 'basename' | 'len' | string
  args: Operand[]
  pos: SourcePos
}
export type Operand = FieldRef | TransformerCall

/** A literal: bare or quoted (quotes removed, escapes processed). */
export interface Literal { kind: 'literal', value: string, quoted: boolean, pos: SourcePos }
/** `(a, "b c", listname)`: bare unquoted items may name a list; the loader expands them. */
export interface ListLiteral { kind: 'list', items: Literal[], pos: SourcePos }
/** `val(field)` or a transformer on the right-hand side: compare with another field. */
export interface FieldOperand { kind: 'operand', operand: Operand, pos: SourcePos }

export type RightHand = Literal | ListLiteral | FieldOperand

export interface CheckExpr {
  kind: 'check'
  left: Operand
  op: Operator
  modifier?: Modifier
  /** absent for `exists` */
  right?: RightHand
  pos: SourcePos
}
