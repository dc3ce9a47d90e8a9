// Public surface of the condition language: AST types, parser, printer.
export type * from './ast.ts'
export { parseCondition, parseOperandPrefix, MAX_DEPTH, TRANSFORMERS } from './parser.ts'
export { printExpr, printOperand } from './print.ts'
