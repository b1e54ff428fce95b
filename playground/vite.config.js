// Builds the playground into the router crate (router/assets/playground), from
// where the router embeds it: served under /playground/, so every asset URL
// starts there. No source maps (the bundle is committed).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/playground/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: '../router/assets/playground',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 8192,
    modulePreload: { polyfill: false },
    // One script (GraphiQL's lazily loaded CodeMirror addons inlined): a
    // rebuild changes one file, not every chunk that imports another.
    rollupOptions: { output: { inlineDynamicImports: true } },
  },
});
