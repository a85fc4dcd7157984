import { defineConfig } from 'vitest/config'

/**
 * The suites that exercise authorization and org scoping, for mutation testing
 * (`npm run mutation`): every mutant of those modules is run against them.
 */
export default defineConfig({
  test: {
    include: [
      'src/authz/**/*.test.ts',
      'src/domain/**/*.test.ts',
      'src/auth/**/*.test.ts',
      'test/http/mcp-authentication.test.ts',
      'test/http/admin-api.test.ts',
      'test/data/data-access.test.ts',
      'test/data/saved-queries.test.ts',
      'test/store/store.test.ts',
      'test/http/project-tokens.test.ts',
      'test/isolation/org-isolation.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
