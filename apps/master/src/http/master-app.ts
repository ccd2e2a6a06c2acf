// The Fastify instance type of the master: the chassis' (zod schemas as
// the type provider; routes get typed params, query, body).

export type { ServiceApp as MasterApp } from '@kdi/service-kit';
