// The Fastify instance type of the lock server: the chassis' (zod schemas
// as the type provider; routes get typed params, query, body).

export type { ServiceApp as LockApp } from '@kdi/service-kit';
