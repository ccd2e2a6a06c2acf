// The KDI predicate language (DESIGN §3): the parsed structure, its text
// form (parse and canonical print), and its evaluation over cells.

export type { Bound, Interval, Predicate } from './predicate.js';
export { parsePredicate } from './parser.js';
export { PredicateSyntaxError } from './syntax-error.js';
export { printPredicate, quoteBytes } from './printer.js';
export { prefixSuccessor } from './prefix.js';
export { compilePredicate, CompiledPredicate, filterCells } from './evaluator.js';
export {
  compareNumbers,
  intervalContains,
  normalizedSetContains,
  normalizeIntervals,
} from './interval-set.js';
export type { Compare } from './interval-set.js';
export { formatTime, parseIsoTime, parseMicrosLiteral } from './time-literal.js';
export type { TimeLiteralResult } from './time-literal.js';
