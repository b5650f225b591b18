// Picks the TensorFlow.js backend once per process: native TensorFlow (tfjs-node) when its addon loads, else
// WebAssembly, else plain JavaScript. BOTTLENECK_BACKEND (or an explicit choice) forces one; the reason for any
// fallback is kept so every command and every saved model can say what it ran on.
import { availableParallelism } from 'node:os'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from './errors'

export type BackendName = 'tensorflow' | 'wasm' | 'cpu'
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu']

export interface BackendInfo {
  name: BackendName
  /** What was asked for: a backend name, or 'auto' for the first that works. */
  requested: BackendName | 'auto'
  /** Why a better backend was not used (only when falling back). */
  fallbackReason?: string
  threads?: number
  tfjsVersion: string
}

const require = createRequire(import.meta.url)
let initialised: Promise<BackendInfo> | undefined

/**
 * Idempotent: the first call decides, later calls return the same answer whatever they ask for, because tfjs holds
 * one global engine and switching backends mid-run would strand tensors on the old one.
 */
export function initBackend(preferred?: BackendName): Promise<BackendInfo> {
  initialised ??= selectBackend(preferred)
  return initialised
}

/** The backend chosen by initBackend, if it has run. */
export async function currentBackend(): Promise<BackendInfo | undefined> {
  return initialised
}

function parseRequested(preferred?: BackendName): BackendName | 'auto' {
  const fromEnv = process.env.BOTTLENECK_BACKEND?.trim().toLowerCase()
  const requested = preferred ?? (fromEnv || 'auto')
  if (requested !== 'auto' && !BACKEND_NAMES.includes(requested as BackendName)) {
    throw new BottleneckError(
      'BACKEND_UNAVAILABLE',
      `Unknown backend "${requested}" (from BOTTLENECK_BACKEND); use tensorflow, wasm or cpu.`,
    )
  }
  return requested as BackendName | 'auto'
}

async function selectBackend(preferred?: BackendName): Promise<BackendInfo> {
  const requested = parseRequested(preferred)
  const candidates = requested === 'auto' ? BACKEND_NAMES : [requested]
  const failures: string[] = []
  for (const name of candidates) {
    try {
      const threads = await activate(name)
      tf.enableProdMode()
      const info: BackendInfo = { name, requested, threads, tfjsVersion: tf.version.tfjs }
      if (failures.length > 0) info.fallbackReason = failures.join('; ')
      return info
    } catch (error) {
      failures.push(`${name}: ${firstLine(error)}`)
    }
  }
  throw new BottleneckError(
    'BACKEND_UNAVAILABLE',
    requested === 'auto'
      ? `No TensorFlow.js backend could start (${failures.join('; ')}).`
      : `The ${requested} backend could not start: ${failures.join('; ')}.`,
  )
}

async function activate(name: BackendName): Promise<number> {
  if (name === 'tensorflow') {
    // Silence TensorFlow's C++ start-up banner unless the user asked for its logs.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'
    // TensorFlow leaves oneDNN off on CPUs it does not list; on these it makes convolution gradients about twice
    // as cheap (measured by scripts/native/conv-epoch-check.js). Read by TensorFlow when it loads, so set it first.
    process.env.TF_ENABLE_ONEDNN_OPTS ??= '1'
    // Throws when the native addon was not built (npm run setup:native builds it).
    require('@tensorflow/tfjs-node')
    await setAndCheck('tensorflow')
    registerFastStep()
    const fromEnv = Number(process.env.TF_NUM_INTRAOP_THREADS)
    return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism()
  }
  if (name === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')
    // In Node the backend cannot locate its .wasm binaries by itself; they sit next to its main file.
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`)
    await setAndCheck('wasm')
    return wasm.getThreadsCount()
  }
  await setAndCheck('cpu')
  return 1
}

/**
 * tfjs-node's `Step` kernel, which every ReLU gradient calls, runs six TensorFlow ops; for alpha 0 it equals
 * Sign(Relu(x)) (NaN stays NaN, x ≤ 0 gives 0, x > 0 gives 1) in two. A sizeable share of a conv step's time.
 */
function registerFastStep(): void {
  const original = tf.getKernel('Step', 'tensorflow')
  if (!original) return
  type NativeBackend = { executeSingleInput(op: string, input: tf.TensorInfo): tf.Tensor }
  const quietWarn = console.warn
  console.warn = () => {} // tfjs warns that Step is already registered: replacing it is the point.
  try {
    tf.registerKernel({
      kernelName: 'Step',
      backendName: 'tensorflow',
      kernelFunc: (args) => {
        if ((args.attrs as { alpha?: number }).alpha !== 0) return original.kernelFunc(args)
        const backend = args.backend as unknown as NativeBackend
        const relu = backend.executeSingleInput('Relu', args.inputs.x!)
        const step = backend.executeSingleInput('Sign', relu)
        relu.dispose()
        return step
      },
    })
  } finally {
    console.warn = quietWarn
  }
}

async function setAndCheck(name: string): Promise<void> {
  const ok = await tf.setBackend(name)
  await tf.ready()
  if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend('${name}') failed`)
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.split('\n')[0]!.slice(0, 200)
}
