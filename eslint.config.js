// ESLint for the whole workspace (flat config; each package's `lint` script
// runs `eslint .` from its folder and finds this file).
//
// - typescript-eslint's recommended rules (not type-aware: a type-aware run
//   of no-floating-promises / no-misused-promises over the repository took
//   too long for CI on 2 cores, see the commit that added this file), plus a
//   few core rules that catch real bugs. Style is Prettier's business
//   (eslint-config-prettier turns off every rule it would fight).
// - Module boundaries (STYLE.md "Dependency direction", DESIGN §16): every
//   project carries one `type:*` tag in its package.json "nx" field, and
//   @nx/enforce-module-boundaries checks every import of every file, test
//   code included. tools/ci/test/dependency-rules.test.ts keeps a test that
//   fails when a lib imports an app.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const LIBS = ['type:primitives', 'type:protocol', 'type:storage', 'type:sdk', 'type:service-kit'];

/** Which project types each type may import (its own files always). */
export const DEP_CONSTRAINTS = [
  // The leaf library (libs/primitives, @kdi/primitives) imports nothing of ours.
  { sourceTag: 'type:primitives', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:primitives'] },
  { sourceTag: 'type:storage', onlyDependOnLibsWithTags: ['type:primitives'] },
  { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:protocol', 'type:primitives'] },
  { sourceTag: 'type:service-kit', onlyDependOnLibsWithTags: ['type:protocol', 'type:primitives'] },
  // Apps import libraries, never each other (a test that needs another app runs it as a process).
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: LIBS },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: LIBS },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/.nx/**', '**/bench-results/**', '**/.reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { '@nx': nx },
    languageOptions: { globals: globals.node },
    rules: {
      // `_name` marks a value left unused on purpose (an omitted rest sibling, a callback's unused parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `let x; … () => x …; x = …` wires a late value into a closure: not a missed const.
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allowCircularSelfDependency: false,
          depConstraints: DEP_CONSTRAINTS,
        },
      ],
    },
  },
  {
    // Test code may read loosely typed replies (`body: any`) it then asserts on.
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/test-support/**/*.ts', '**/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The master's web page: plain ES modules the browser loads as they are (no build step).
    files: ['apps/master/src/web/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // The per-project vitest configs share the root vitest.shared.ts by a relative path: build configuration, not code.
    // Files outside every project (the root configs) have no boundaries to check.
    files: ['**/vitest.config.ts', '*.js', '*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  prettier,
);
