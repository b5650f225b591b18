#!/usr/bin/env node
// Entry of the `bottleneck` command: runs the TypeScript CLI through tsx, so no build step stands between
// `npm install` and `npx bottleneck …`.
import { register } from 'tsx/esm/api'

register()
await import('../src-main/cli/main.ts')
