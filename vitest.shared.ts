// One vitest configuration for every project: sources are resolved through
// the `kdi-source` export condition (so tests run the TypeScript directly),
// and each project writes a JSON report that .ci/run adds up.
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export function projectConfig(projectDir: string, overrides: { testTimeout?: number; globalSetup?: string } = {}) {
  return defineConfig({
    resolve: { conditions: ['kdi-source'] },
    ssr: { resolve: { conditions: ['kdi-source'] } },
    test: {
      root: projectDir,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      pool: 'forks',
      maxWorkers: 2,
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 60_000,
      ...(overrides.globalSetup !== undefined && { globalSetup: [overrides.globalSetup] }),
      reporters: ['default', ['json', { outputFile: `${root}.reports/${basename(projectDir)}.json` }]],
    },
  });
}
