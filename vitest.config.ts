import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real daemons (php-fpm, nginx, MariaDB, Prometheus); give
    // them room on a 2-core machine rather than racing them.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
  },
});
