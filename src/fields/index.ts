// Public surface of fields/: the contract every source's field table implements (FieldTable,
// FieldDef, the SourceDefinition bundle the app registers with the engine) and what all sources
// share (the evt.time* fields, Falco's static_fields). A source's own table lives with the source:
// audit/fields/, syscall/fields/.
export * from './registry.ts'
export { STATIC_FIELD_PREFIX, staticFieldTable, withStaticFields, withStaticFieldsAll } from './static-fields.ts'
export { timeFields } from './time-fields.ts'
