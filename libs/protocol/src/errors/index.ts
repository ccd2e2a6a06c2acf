export { ERROR_CATALOGUE, ERROR_CODES, isErrorCode, type ErrorCatalogueEntry, type ErrorCode } from './catalogue.js';
export { KdiError, isKdiError, type ErrorBody, type ErrorDetails, type KdiErrorOptions } from './kdi-error.js';
export { ErrorBodySchema, errorFromBody } from './error-body.js';
