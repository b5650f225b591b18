#!/usr/bin/env node
// Entry of `npm run bench`: runs the TypeScript benchmark (bench/main.ts) through tsx, like bin/bottleneck.js.
import { register } from 'tsx/esm/api'

register()
await import('../bench/main.ts')
