import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Standalone (not merged with vitest.config.ts): mergeConfig would concatenate `include`.
export default defineConfig({
  test: {
    include: ['test/**/*.e2e-spec.ts'],
    setupFiles: ['reflect-metadata'],
    globalSetup: ['test/global-setup.ts'],
    root: './',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
  plugins: [swc.vite({ module: { type: 'es6' } })],
});
