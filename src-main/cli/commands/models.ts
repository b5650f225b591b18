// `bottleneck models` (what is in the store) and `bottleneck info` (versions, backend and why, store path).
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs'
import { hasCodeLayer } from '../../ml/architectures/index'
import type { CommandSpec, Parsed } from '../args'
import { createContext, describeBackend } from '../context'
import { fixed, table } from '../format'

export const modelsSpec: CommandSpec = {
  name: 'models',
  usage: 'bottleneck models [--store DIR] [--json]',
  summary: 'Lists the models in the store, newest first.',
  options: {},
}

export async function modelsCommand(parsed: Parsed): Promise<number> {
  const context = await createContext(parsed)
  const models = await context.store.list()
  const rows = [['ID', 'NAME', 'ARCH', 'CODE', 'EPOCHS', 'VAL_LOSS', 'BACKEND', 'UPDATED']]
  // A model that cannot be read keeps its row, but its reason goes under the table: a sentence in the NAME
  // column would stretch every row of the table to its width.
  const problems: string[] = []
  for (const model of models) {
    const meta = model.metadata
    if (!meta) {
      rows.push([model.id, '(unreadable)', '', '', '', '', '', ''])
      problems.push(`${model.id}: ${model.problem ?? 'unreadable'}`)
      continue
    }
    rows.push([
      model.id,
      meta.name,
      meta.config.architecture,
      hasCodeLayer(meta.config.architecture) ? String(meta.config.codeSize) : 'none',
      `${meta.epochs}/${meta.targetEpochs}`,
      fixed(meta.history.at(-1)?.val_loss),
      meta.backend.name,
      meta.updatedAt.slice(0, 16).replace('T', ' '),
    ])
  }
  context.result(
    models.map((m) => ({ id: m.id, folder: m.folder, problem: m.problem, ...m.metadata })),
    models.length === 0
      ? `No models in ${context.store.root} yet (bottleneck train creates one).`
      : [table(rows), ...(problems.length > 0 ? ['', ...problems] : [])].join('\n'),
  )
  return 0
}

export const infoSpec: CommandSpec = {
  name: 'info',
  usage: 'bottleneck info [--json]',
  summary: 'Shows versions (Node, TensorFlow.js, Bottleneck), the backend in use and why, and the store path.',
  options: {},
}

export async function infoCommand(parsed: Parsed): Promise<number> {
  const context = await createContext(parsed)
  const packageJson = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  let tfjsNode: string | undefined
  try {
    tfjsNode = (createRequire(import.meta.url)('@tensorflow/tfjs-node/package.json') as { version: string }).version
  } catch {
    tfjsNode = undefined
  }
  const models = await context.store.list()
  const info = {
    bottleneck: packageJson.version,
    node: process.versions.node,
    tfjs: tf.version.tfjs,
    tfjsNode,
    backend: context.backend,
    store: context.store.root,
    models: models.length,
  }
  context.result(
    info,
    table([
      ['bottleneck', packageJson.version],
      ['node', process.versions.node],
      ['tfjs', tf.version.tfjs],
      ['tfjs-node', tfjsNode ? `${tfjsNode} (installed)` : 'not installed'],
      ['backend', describeBackend(context.backend).replace(/^backend: /, '')],
      ['requested', context.backend.requested + (process.env.BOTTLENECK_BACKEND ? ' (BOTTLENECK_BACKEND)' : '')],
      ['store', `${context.store.root} (${models.length} model${models.length === 1 ? '' : 's'})`],
    ]),
  )
  return 0
}
