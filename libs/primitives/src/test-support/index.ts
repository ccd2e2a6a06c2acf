// Test helpers every package's tests may use (exported as
// @kdi/primitives/test-support, source only: never built into dist/).
export * from './datadriven.js';
export * from './seeded-random.js';
