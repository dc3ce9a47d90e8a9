// Public surface of the condition compiler.
export { compileCondition } from './compile.ts'
export { compileOperand } from './operand.ts'
export { eventTypesOf, eventDirsOf, pinnedValuesOf } from './event-types.ts'
export type { CompileOptions, CompileWarning } from './context.ts'
