// Build of the three Electron targets. Inputs are explicit so the folder layout (src-main/, src-renderer/)
// is the single source of truth; dependencies stay external so tfjs-node and sharp load their native code.
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

const contractAlias = { '@contract': resolve(__dirname, 'src-main/contract/index.ts') }

export default defineConfig({
  main: {
    resolve: { alias: contractAlias },
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/shell/electron/main.ts'),
          trainer: resolve(__dirname, 'src-main/trainer/trainer-process.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias: contractAlias },
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/preload/index.ts') },
        // A sandboxed preload cannot `require` npm modules: everything it uses is bundled into one CJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    resolve: { alias: { ...contractAlias, '@renderer': resolve(__dirname, 'src-renderer/src') } },
    plugins: [vue()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
  },
})
