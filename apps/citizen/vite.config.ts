import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
// Relative: the config bundler then bundles the TypeScript (Node cannot load it from node_modules).
import { precompress } from '../../packages/web-build/src/index';

/** The citizen app, served by the gateway at /app/. */
export default defineConfig({
  base: '/app/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'es2019', sourcemap: false, assetsInlineLimit: 0 },
  server: { proxy: { '/api': process.env['VITE_API'] ?? 'http://127.0.0.1:8080' } },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false,
      registerType: 'autoUpdate',
      injectManifest: {
        // The app shell; the Yi font and the `ii` polyfill chunk are precached too, so Yi works offline.
        globPatterns: ['**/*.{js,css,html,svg,png,woff2,webmanifest}'],
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
      },
      manifest: {
        name: '通办 Tongban',
        short_name: '通办',
        description: '身边的问题，一分钟反映 · Report a local problem in a minute',
        lang: 'zh-Hans',
        start_url: '/app/',
        scope: '/app/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#b3261e',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
        ],
      },
    }),
    precompress(),
  ],
});
