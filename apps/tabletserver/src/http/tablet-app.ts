// The Fastify instance type of the tablet server: the chassis' (zod
// schemas as the type provider; routes get typed params, query, body).

export type { ServiceApp as TabletApp } from '@kdi/service-kit';
