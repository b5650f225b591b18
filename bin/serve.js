#!/usr/bin/env node
// Entry of `npm run serve`: runs the web shell's TypeScript through tsx, like the CLI, so no build of the main
// process is needed (the renderer is built on first use).
import { register } from 'tsx/esm/api'

register()
await import('../src-main/shell/web/main.ts')
