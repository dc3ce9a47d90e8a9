export * from './registry.ts'
export { STATIC_FIELD_PREFIX } from './static-fields.ts'
