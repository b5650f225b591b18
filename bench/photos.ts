// Denoising "photos" at Gaussian σ = 25 (0–255 scale): PSNR of the noisy input, median 3×3, Gaussian blur, non-local
// means, a briefly trained supervised U-Net and a self-supervised Noise2Void U-Net; then tiled inference speed and
// peak memory on a 24-megapixel RGB image. The images are PROCEDURAL stand-ins (scripts/make-test-photos.ts), not
// real photographs: we have none with a clear licence. Never run as a test.
//   npx tsx bench/photos.ts [--steps N] [--filters N] [--batch-size N] [--patch N] [--skip-quality] [--skip-speed]
//                           [--megapixels 24] [--tile 512] [--overlap 32] [--tile-batch 1]
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import * as tf from '@tensorflow/tfjs'
import { buildUnet } from '../src-main/ml/architectures/unet'
import { createModelConfig } from '../src-main/ml/architectures/index'
import { initBackend } from '../src-main/ml/backend'
import { gaussianBlur, medianFilter, nonLocalMeans } from '../src-main/ml/baselines'
import { openImageFolder } from '../src-main/ml/folder-dataset'
import { decodeImage, encodePng, writePng, type ImageData } from '../src-main/ml/image-io'
import { applyNoiseToImage, parseNoiseSpec } from '../src-main/ml/noise'
import { fitPatches } from '../src-main/ml/patch-training'
import { applyTiled } from '../src-main/ml/tiling'
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

async function quality(): Promise<void> {
  const steps = option('steps', 200)
  const filters = option('filters', 16)
  const batchSize = option('batch-size', 8)
  const patch = option('patch', 64)
  const noise = parseNoiseSpec('gaussian255:25')
  const root = await mkdtemp(join(tmpdir(), 'bottleneck-photos-'))
  try {
    const cleanFolder = join(root, 'clean')
    const noisyFolder = join(root, 'noisy')
    await mkdir(cleanFolder)
    await mkdir(noisyFolder)
    // 8 training scenes (seeds 1–8), 3 held-out test scenes (seeds 101–103), all 256×256 RGB.
    for (let seed = 1; seed <= 8; seed++) {
      const clean = syntheticPhoto(256, 256, seed)
      await writePng(join(cleanFolder, `scene-${seed}.png`), clean)
      // Noise2Void never sees clean images: it trains on noisy ones (stored as 8-bit PNG like a camera would).
      await writePng(join(noisyFolder, `scene-${seed}.png`), applyNoiseToImage(clean, noise, 500 + seed))
    }
    const tests = [101, 102, 103].map((seed) => {
      const clean = syntheticPhoto(256, 256, seed)
      return { clean, noisy: applyNoiseToImage(clean, noise, seed) }
    })
    const rows: Array<[string, number, number]> = []
    const measure = (label: string, denoise: (noisy: ImageData) => ImageData) => {
      const started = performance.now()
      const outputs = tests.map((test) => denoise(test.noisy))
      const seconds = (performance.now() - started) / 1000 / tests.length
      rows.push([label, mean(outputs.map((output, i) => psnr(output, tests[i]!.clean))), seconds])
    }
    measure('noisy input', (noisy) => noisy)
    measure('median 3×3', (noisy) => medianFilter(noisy, 3))
    measure('Gaussian blur σ=1', (noisy) => gaussianBlur(noisy, 1))
    measure('non-local means (σ known)', (noisy) => nonLocalMeans(noisy, { sigma: 25 / 255 }))
    measure('non-local means (σ estimated)', (noisy) => nonLocalMeans(noisy))

    const config = createModelConfig('unet', [patch, patch, 3], { seed: 1, learningRate: 0.002, filters })
    for (const [label, folderPath, mode] of [
      ['U-Net supervised', cleanFolder, { kind: 'supervised', noise }],
      ['U-Net Noise2Void', noisyFolder, { kind: 'noise2void', blindSpot: { fraction: 0.015 } }],
    ] as const) {
      const folder = await openImageFolder(folderPath, { patchSize: patch, seed: 7, validationFraction: 0 })
      const model = buildUnet(config)
      const started = performance.now()
      const epochs = Math.max(1, Math.round(steps / 50))
      await fitPatches(model, folder, {
        epochs,
        stepsPerEpoch: Math.ceil(steps / epochs),
        batchSize,
        mode,
        validationPatches: 0,
        onEpochEnd: (logs) =>
          console.error(
            `  ${label}: epoch ${logs.epoch + 1}/${epochs} loss ${logs.loss.toFixed(5)} (${logs.seconds.toFixed(0)} s)`,
          ),
      })
      const trainSeconds = (performance.now() - started) / 1000
      const inferenceStarted = performance.now()
      const outputs: ImageData[] = []
      for (const test of tests)
        outputs.push(await applyTiled(test.noisy, model.model, { tileSize: 256, overlap: 32 }))
      rows.push([
        label,
        mean(outputs.map((o, i) => psnr(o, tests[i]!.clean))),
        (performance.now() - inferenceStarted) / 1000 / 3,
      ])
      console.error(
        `  ${label}: trained ${steps} steps × ${batchSize} patches of ${patch}² in ${trainSeconds.toFixed(0)} s`,
      )
      model.dispose()
    }
    console.log(
      `\nPSNR at Gaussian σ = 25/255 on 3 procedural 256×256 RGB scenes (not real photos); U-Nets: filters ${filters},`,
    )
    console.log(
      `${steps} steps of ${batchSize} patches ${patch}², trained on 8 other procedural scenes; backend ${tf.getBackend()}.\n`,
    )
    console.log('method                        PSNR dB   seconds/image')
    for (const [label, value, seconds] of rows) {
      console.log(`${label.padEnd(30)}${value.toFixed(2).padStart(7)}   ${seconds.toFixed(2).padStart(8)}`)
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/** Runs in a fresh child process so its peak RSS is the tiled run's alone. */
async function speedChild(path: string): Promise<void> {
  const filters = option('filters', 16)
  const tileSize = option('tile', 512)
  const overlap = option('overlap', 32)
  const tileBatch = option('tile-batch', 1)
  const backend = await initBackend()
  const model = buildUnet(createModelConfig('unet', [64, 64, 3], { seed: 1, filters }))
  const decodeStarted = performance.now()
  const image = await decodeImage(path, { maxPixels: 100_000_000 })
  const decodeSeconds = (performance.now() - decodeStarted) / 1000
  const started = performance.now()
  let lastPrint = started
  const output = await applyTiled(image, model.model, {
    tileSize,
    overlap,
    batchSize: tileBatch,
    onProgress: ({ done, total }) => {
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now()
        console.error(`  tiles ${done}/${total}`)
      }
    },
  })
  const seconds = (performance.now() - started) / 1000
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
      tileSize,
      overlap,
      tileBatch,
      decodeSeconds,
      inferenceSeconds: seconds,
      megapixelsPerSecond: megapixels / seconds,
      encodeSeconds,
      pngBytes: png.length,
      peakRssMiB: Math.round(peakMiB),
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
    console.log(
      `\nTiled U-Net inference on a ${result.size} image (${Number(result.megapixels).toFixed(1)} MP), backend ${result.backend}:`,
    )
    console.log(
      `  filters ${result.filters}, tiles ${result.tileSize} px with ${result.overlap} px overlap, ${result.tileBatch} tile(s) per call`,
    )
    console.log(
      `  decode ${Number(result.decodeSeconds).toFixed(1)} s, inference ${Number(result.inferenceSeconds).toFixed(1)} s`,
    )
    console.log(
      `  → ${Number(result.megapixelsPerSecond).toFixed(2)} MP/s; PNG encode ${Number(result.encodeSeconds).toFixed(1)} s`,
    )
    console.log(`  peak RSS of the whole process (decode + tiling + encode): ${result.peakRssMiB} MiB`)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
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
