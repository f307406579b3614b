/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The console is served by `switchboard serve` (same origin), so `npm run dev`
// proxies the API to a running serve on 127.0.0.1:8080.
const backend = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: { target: 'es2022', sourcemap: false },
  server: {
    proxy: {
      '/agent': { target: backend, ws: true },
      '/admin': backend,
      '/config.json': backend,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
