// The KDI predicate language (DESIGN §3): the parsed structure, its text
// form (parse and canonical print), and its evaluation over cells.

export type { Predicate } from './predicate.js';
// The interval vocabulary is @kdi/primitives'; re-exported because the
// Predicate type (a wire contract) is written in it.
export type { Bound, Compare, Interval } from '@kdi/primitives';
export { parsePredicate } from './parser.js';
export { PredicateSyntaxError } from './syntax-error.js';
export { printPredicate, quoteBytes } from './printer.js';
export { prefixSuccessor } from './prefix.js';
export { compilePredicate, CompiledPredicate, filterCells } from './evaluator.js';
export { compareNumbers, intervalContains, normalizedSetContains, normalizeIntervals } from '@kdi/primitives';
export { formatTime, parseIsoTime, parseMicrosLiteral } from './time-literal.js';
export type { TimeLiteralResult } from './time-literal.js';
