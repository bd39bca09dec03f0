import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
// Relative: the config bundler then bundles the TypeScript (Node cannot load it from node_modules).
import { precompress } from '../../packages/web-build/src/index';

/**
 * The console is served by the gateway under /console/ (services/gateway/src/web-apps.ts). `npm run dev`
 * serves it with hot reload and proxies /api to a running platform (VITE_API, default localhost:8080).
 */
export default defineConfig({
  base: '/console/',
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': process.env['VITE_API'] ?? 'http://127.0.0.1:8080' },
  },
});
