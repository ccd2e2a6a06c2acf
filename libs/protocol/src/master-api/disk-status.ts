// One data directory ("disk") of a tablet server, as its heartbeats, its
// /v1/admin/status and the master's server list report it (DESIGN §9,
// §11). On its own file (zod only) so the Table API's status reply and the
// master's contract can both use it without importing each other.

import { z } from 'zod';

const bytes = z.int().nonnegative();

export const DiskStatusSchema = z
  .strictObject({
    path: z.string().describe("The data directory (one 'disk')"),
    capacityBytes: bytes.describe('Size of the filesystem holding it'),
    freeBytes: bytes.describe('Bytes free on that filesystem (for unprivileged users)'),
    kdiBytes: bytes.describe('Bytes of KDI files in the directory'),
    state: z
      .enum(['ok', 'high-water', 'full'])
      .optional()
      .describe("The engine's view (issue 11): ok; high-water: at or above the high-water mark, takes no new fragments; full: a write failed for lack of space"),
    reason: z.string().optional().describe('Why the state is not ok'),
  })
  .describe("One of a tablet server's data directories");
