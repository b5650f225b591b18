// Denoising photos at Gaussian σ = 25 (0–255 scale): PSNR of the noisy input, median 3×3, Gaussian blur, non-local
// means, briefly trained supervised U-Nets of several widths and a self-supervised Noise2Void U-Net, on REAL
// photographs (resources/photos: public-domain/CC0 images from scikit-image, see its README) and on procedural
// stand-ins (scripts/make-test-photos.ts); then tiled inference speed and peak memory on a 24-megapixel RGB image.
// Training uses the procedural scenes and astronaut.webp only; chelsea, coffee and rocket are never trained on.
// Never run as a test. Heavy: run it with `nice` on a shared machine, and read the load average it prints.
//   npx tsx bench/photos.ts [--steps 1000] [--filters 8,16] [--depth 2] [--n2v-filters 8] [--batch-size 8]
//                           [--patch 64] [--skip-baselines] [--skip-quality] [--skip-speed] [--megapixels 24]
//                           [--speed-filters 8] [--skip-cli]
//                           [--tile 512] [--overlap N (default: the U-Net's receptive radius)] [--tile-batch 1]
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { basename, dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import * as tf from '@tensorflow/tfjs'
import { buildUnet, unetMultiple, unetReceptiveRadius } from '../src-main/ml/architectures/unet'
import { createModelConfig } from '../src-main/ml/architectures/index'
import { initBackend } from '../src-main/ml/backend'
import { gaussianBlur, medianFilter, nonLocalMeans } from '../src-main/ml/baselines'
import { openImageFolder } from '../src-main/ml/folder-dataset'
import { decodeImage, encodePng, readImageHeader, writePng, type ImageData } from '../src-main/ml/image-io'
import { applyNoiseToImage, parseNoiseSpec } from '../src-main/ml/noise'
import { fitPatches } from '../src-main/ml/patch-training'
import { applyTiled, planTiles } from '../src-main/ml/tiling'
import { openStore } from '../src-main/store/index'
import { syntheticPhoto } from '../scripts/make-test-photos'

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? Number(process.argv[index + 1]) : fallback
}
const flag = (name: string) => process.argv.includes(`--${name}`)

function psnr(a: ImageData, b: ImageData): number {
  let sum = 0
  for (let i = 0; i < a.data.length; i++) {
    const clipped = Math.min(1, Math.max(0, a.data[i]!))
    sum += (clipped - b.data[i]!) ** 2
  }
  return 10 * Math.log10(1 / (sum / a.data.length))
}

const mean = (values: number[]) => values.reduce((x, y) => x + y, 0) / values.length

function numberList(name: string, fallback: number[]): number[] {
  const index = process.argv.indexOf(`--${name}`)
  if (index < 0) return fallback
  return process.argv[index + 1]!.split(',')
    .filter((text) => text.trim() !== '')
    .map(Number)
}

const PHOTOS = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'photos')
const TRAIN_PHOTOS = ['astronaut.webp']
const TEST_PHOTOS = ['chelsea.webp', 'coffee.webp', 'rocket.jpg']

interface TestImage {
  clean: ImageData
  noisy: ImageData
}

/** Overlap that makes tiled output equal to whole-image output for this U-Net: its receptive radius, rounded up. */
function unetOverlap(filters: number, depth: number): number {
  const config = createModelConfig('unet', [64, 64, 3], { filters, depth })
  const multiple = unetMultiple(config)
  return Math.ceil(unetReceptiveRadius(config) / multiple) * multiple
}

async function quality(): Promise<void> {
  const steps = option('steps', 1000)
  const filterList = numberList('filters', [8, 16])
  const n2vFilterList = numberList('n2v-filters', [8])
  const depth = option('depth', 2)
  const batchSize = option('batch-size', 8)
  const patch = option('patch', 64)
  const noise = parseNoiseSpec('gaussian255:25')
  const root = await mkdtemp(join(tmpdir(), 'bottleneck-photos-'))
  try {
    const cleanFolder = join(root, 'clean')
    const noisyFolder = join(root, 'noisy')
    await mkdir(cleanFolder)
    await mkdir(noisyFolder)
    // Training: 8 procedural scenes (seeds 1–8, 256×256) and one real photo (astronaut, 512×512).
    const training: Array<[string, ImageData]> = []
    for (let seed = 1; seed <= 8; seed++) training.push([`scene-${seed}.png`, syntheticPhoto(256, 256, seed)])
    for (const name of TRAIN_PHOTOS) {
      training.push([
        `${basename(name, extname(name))}.png`,
        await decodeImage(join(PHOTOS, name), { channels: 3 }),
      ])
    }
    for (const [index, [name, clean]] of training.entries()) {
      await writePng(join(cleanFolder, name), clean)
      // Noise2Void never sees clean images: it trains on noisy ones (stored as 8-bit PNG like a camera would).
      await writePng(join(noisyFolder, name), applyNoiseToImage(clean, noise, 500 + index))
    }
    const sets: Array<{ name: string; images: TestImage[] }> = [
      {
        name: 'real photos',
        images: await Promise.all(
          TEST_PHOTOS.map(async (name, index) => {
            const clean = await decodeImage(join(PHOTOS, name), { channels: 3 })
            return { clean, noisy: applyNoiseToImage(clean, noise, 201 + index) }
          }),
        ),
      },
      {
        name: 'procedural',
        images: [101, 102, 103].map((seed) => {
          const clean = syntheticPhoto(256, 256, seed)
          return { clean, noisy: applyNoiseToImage(clean, noise, seed) }
        }),
      },
    ]
    const rows: Array<{ label: string; psnr: number[]; secondsPerMegapixel: number }> = []
    const measure = async (label: string, denoise: (noisy: ImageData) => ImageData | Promise<ImageData>) => {
      let seconds = 0
      let megapixels = 0
      const values: number[] = []
      for (const set of sets) {
        const scores: number[] = []
        for (const test of set.images) {
          const started = performance.now()
          const output = await denoise(test.noisy)
          seconds += (performance.now() - started) / 1000
          megapixels += (test.clean.height * test.clean.width) / 1e6
          scores.push(psnr(output, test.clean))
        }
        values.push(mean(scores))
      }
      rows.push({ label, psnr: values, secondsPerMegapixel: seconds / megapixels })
      console.error(`  ${label}: ${values.map((v) => v.toFixed(2)).join(' / ')} dB`)
    }
    await measure('noisy input', (noisy) => noisy)
    if (!flag('skip-baselines')) {
      await measure('median 3×3', (noisy) => medianFilter(noisy, 3))
      await measure('Gaussian blur σ=1', (noisy) => gaussianBlur(noisy, 1))
      await measure('non-local means (σ known)', (noisy) => nonLocalMeans(noisy, { sigma: 25 / 255 }))
      await measure('non-local means (σ estimated)', (noisy) => nonLocalMeans(noisy))
    }

    const runs = [
      ...filterList.map((filters) => ({ filters, supervised: true })),
      ...n2vFilterList.map((filters) => ({ filters, supervised: false })),
    ]
    for (const { filters, supervised } of runs) {
      const label = `U-Net ${filters}f ${supervised ? 'supervised' : 'Noise2Void'}`
      const config = createModelConfig('unet', [patch, patch, 3], {
        seed: 1,
        learningRate: 0.002,
        filters,
        depth,
      })
      const folder = await openImageFolder(supervised ? cleanFolder : noisyFolder, {
        patchSize: patch,
        seed: 7,
        validationFraction: 0,
      })
      const model = buildUnet(config)
      const started = performance.now()
      const epochs = Math.max(1, Math.round(steps / 50))
      await fitPatches(model, folder, {
        epochs,
        stepsPerEpoch: Math.ceil(steps / epochs),
        batchSize,
        mode: supervised
          ? { kind: 'supervised', noise }
          : { kind: 'noise2void', blindSpot: { fraction: 0.015 } },
        validationPatches: 0,
        onEpochEnd: (logs) =>
          console.error(
            `  ${label}: epoch ${logs.epoch + 1}/${epochs} loss ${logs.loss.toFixed(5)} (${logs.seconds.toFixed(0)} s)`,
          ),
      })
      console.error(
        `  ${label}: trained ${steps} steps × ${batchSize} patches of ${patch}² in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      )
      const overlap = unetOverlap(filters, depth)
      await measure(label, (noisy) =>
        applyTiled(noisy, model.model, { tileSize: 512, overlap, multiple: 2 ** depth }),
      )
      model.dispose()
    }
    console.log(
      `\nPSNR (dB) at Gaussian σ = 25/255. Real photos: chelsea, coffee, rocket (resources/photos, public domain/CC0);`,
    )
    console.log(
      `procedural: 3 held-out 256×256 scenes. U-Nets: depth ${depth}, ${steps} steps of ${batchSize} patches ${patch}², trained on`,
    )
    console.log(
      `8 procedural scenes + astronaut.webp; backend ${tf.getBackend()}; load average ${loadText()}.\n`,
    )
    console.log('method                          real   procedural   s/MP')
    for (const row of rows) {
      console.log(
        `${row.label.padEnd(30)}${row.psnr[0]!.toFixed(2).padStart(7)}${row.psnr[1]!.toFixed(2).padStart(10)}   ${row.secondsPerMegapixel.toFixed(2).padStart(6)}`,
      )
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/**
 * Seconds of wall time for a fixed plain-JavaScript loop (10⁸ multiply-adds): a yardstick of how fast the machine
 * ran during a measurement, since the load average alone does not say how much CPU this process got.
 */
function yardstick(): number {
  const started = performance.now()
  const values = new Float64Array(1 << 16)
  let sum = 0
  for (let round = 0; round < 1526; round++) {
    for (let i = 0; i < values.length; i++) {
      values[i] = values[i]! * 0.5 + 1
      sum += values[i]!
    }
  }
  if (!Number.isFinite(sum)) throw new Error('unreachable: keeps the loop from being optimised away')
  return (performance.now() - started) / 1000
}

const loadText = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ')

/** Runs in a fresh child process so its peak RSS is the tiled run's alone. */
async function speedChild(path: string): Promise<void> {
  const filters = option('speed-filters', 8)
  const depth = option('depth', 2)
  const tileSize = option('tile', 512)
  const overlap = option('overlap', unetOverlap(filters, depth))
  const tileBatch = option('tile-batch', 1)
  const backend = await initBackend()
  const model = buildUnet(createModelConfig('unet', [64, 64, 3], { seed: 1, filters, depth }))
  const loadBefore = loadText()
  const yardstickBefore = yardstick()
  const decodeStarted = performance.now()
  const image = await decodeImage(path, { maxPixels: 100_000_000 })
  const decodeSeconds = (performance.now() - decodeStarted) / 1000
  // The model's share of the time, measured around each call (native TensorFlow computes eagerly inside predict).
  let modelSeconds = 0
  const timedModel = (batch: tf.Tensor4D) => {
    const modelStarted = performance.now()
    const result = model.model.predict(batch) as tf.Tensor
    modelSeconds += (performance.now() - modelStarted) / 1000
    return result
  }
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  let lastPrint = started
  const output = await applyTiled(image, timedModel, {
    tileSize,
    overlap,
    multiple: 2 ** depth,
    batchSize: tileBatch,
    onProgress: ({ done, total }) => {
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now()
        console.error(`  tiles ${done}/${total}`)
      }
    },
  })
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const encodeStarted = performance.now()
  const png = await encodePng(output)
  const encodeSeconds = (performance.now() - encodeStarted) / 1000
  const megapixels = (image.height * image.width) / 1e6
  const peakMiB = process.resourceUsage().maxRSS / 1024
  console.log(
    JSON.stringify({
      backend: backend.name,
      size: `${image.width}×${image.height}×${image.channels}`,
      megapixels,
      filters,
      depth,
      tileSize,
      overlap,
      tileBatch,
      tiles: planTiles(image.height, image.width, { tileSize, overlap, multiple: 2 ** depth }).origins.length,
      decodeSeconds,
      inferenceSeconds: seconds,
      modelSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      megapixelsPerSecond: megapixels / seconds,
      encodeSeconds,
      pngBytes: png.length,
      peakRssMiB: Math.round(peakMiB),
      loadBefore,
      loadAfter: loadText(),
      yardstickBefore,
      yardstickAfter: yardstick(),
    }),
  )
  model.dispose()
}

async function speed(): Promise<void> {
  const megapixels = option('megapixels', 24)
  const width = Math.round(Math.sqrt((megapixels * 1e6 * 3) / 2))
  const height = Math.round((width * 2) / 3)
  const root = await mkdtemp(join(tmpdir(), 'bottleneck-24mp-'))
  try {
    // A 1500×1000 procedural scene enlarged to the target size (the content does not change the speed).
    const small = syntheticPhoto(1500, 1000, 42)
    const path = join(root, 'large.jpg')
    const large = await sharp(await encodePng(small))
      .resize(width, height)
      .jpeg({ quality: 92 })
      .toBuffer()
    await writeFile(path, large)
    const args = [...process.execArgv, process.argv[1]!, '--speed-child', path, ...process.argv.slice(2)]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    if (code !== 0) throw new Error(`the speed run exited with ${code}`)
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number | string>
    const n = (key: string) => Number(result[key])
    console.log(
      `\nTiled U-Net inference on a ${result.size} image (${n('megapixels').toFixed(1)} MP), backend ${result.backend}:`,
    )
    console.log(
      `  U-Net ${result.filters} filters depth ${result.depth} (untrained weights: speed does not depend on them); ` +
        `${result.tiles} tiles of ${result.tileSize} px, ${result.overlap} px overlap, ${result.tileBatch} per call`,
    )
    console.log(
      `  decode ${n('decodeSeconds').toFixed(1)} s; tiled inference ${n('inferenceSeconds').toFixed(1)} s, of which model ` +
        `${n('modelSeconds').toFixed(1)} s and tiling (copy, read-back, reassembly) ` +
        `${(n('inferenceSeconds') - n('modelSeconds')).toFixed(1)} s; PNG encode ${n('encodeSeconds').toFixed(1)} s`,
    )
    console.log(
      `  → ${n('megapixelsPerSecond').toFixed(2)} MP/s (inference alone); ${n('cpuSeconds').toFixed(1)} CPU-seconds, ` +
        `${(n('megapixels') / n('cpuSeconds')).toFixed(2)} MP per CPU-second`,
    )
    console.log(`  peak RSS of the whole process (decode + tiling + encode): ${result.peakRssMiB} MiB`)
    console.log(
      `  load average before ${result.loadBefore}, after ${result.loadAfter}; a fixed JS loop of 10⁸ multiply-adds took ` +
        `${n('yardstickBefore').toFixed(2)} s before and ${n('yardstickAfter').toFixed(2)} s after (compare across machines)`,
    )
    if (!flag('skip-cli')) await commandLine(root, path)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/**
 * `bottleneck denoise MODEL big.jpg -o OUT` end to end (store load, decode, tiles, PNG write) on the same image, with
 * an untrained U-Net of the speed run's width saved to a scratch store. Peak RSS comes from GNU time when present.
 */
async function commandLine(root: string, path: string): Promise<void> {
  const filters = option('speed-filters', 8)
  const store = openStore(join(root, 'store'))
  const autoencoder = buildUnet(
    createModelConfig('unet', [64, 64, 3], { seed: 1, filters, depth: option('depth', 2) }),
  )
  const record = await store.save({
    metadata: {
      name: 'bench photo unet',
      config: autoencoder.config,
      dataset: { spec: 'folder:bench', name: 'bench', trainCount: 0, testCount: 0 },
      backend: { name: tf.getBackend(), tfjsVersion: tf.version.tfjs },
      epochs: 0,
      targetEpochs: 0,
      batchSize: 1,
      history: [],
    },
    model: autoencoder.model,
  })
  autoencoder.dispose()
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'bottleneck.js')
  const args = ['denoise', record.id, path, '-o', join(root, 'out'), '--store', join(root, 'store'), '--json']
  const gnuTime = existsSync('/usr/bin/time')
  const loadBefore = loadText()
  const started = performance.now()
  const child = gnuTime
    ? spawn('/usr/bin/time', ['-v', process.execPath, bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`bottleneck denoise exited with ${code}: ${stderr.slice(-500)}`)
  const { height, width } = await readImageHeader(path)
  const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)
  console.log(`\n${['bottleneck', ...args.slice(0, 1), 'MODEL', 'IMAGE', '-o', 'OUT'].join(' ')} end to end:`)
  console.log(
    `  ${((height * width) / 1e6).toFixed(1)} MP in ${seconds.toFixed(1)} s (start-up, decode, tiles, PNG write) → ` +
      `${((height * width) / 1e6 / seconds).toFixed(2)} MP/s; peak RSS ` +
      `${peak ? `${Math.round(Number(peak[1]) / 1024)} MiB` : 'not measured (no /usr/bin/time)'}`,
  )
  console.log(`  load average before ${loadBefore}, after ${loadText()}`)
}

const childIndex = process.argv.indexOf('--speed-child')
if (childIndex >= 0) {
  await speedChild(process.argv[childIndex + 1]!)
} else {
  const info = await initBackend()
  console.error(`backend: ${info.name}${info.fallbackReason ? ` (fallback: ${info.fallbackReason})` : ''}`)
  if (!flag('skip-quality')) await quality()
  if (!flag('skip-speed')) await speed()
}
