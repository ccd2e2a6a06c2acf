export * from './lock-api.js';
export * from './lock-path.js';
export * from './api-schemas.js';
