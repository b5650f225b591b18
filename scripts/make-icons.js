#!/usr/bin/env node
// Draws the Bottleneck mark (an hourglass: two triangles meeting at a narrow waist, in a rounded square) as SVG and
// rasterises it with sharp into everything the installers need: PNGs 16…1024 px, icon.png, Windows .ico, macOS .icns.
// Outputs are committed; rerun with `node scripts/make-icons.js` after changing the drawing.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'resources')
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024]

// 1024-unit canvas. The waist is deliberately narrow but not closed: the "bottleneck" an autoencoder squeezes through.
// Corner radius ≈ 22 % like the platform app-icon grids; the mark stays inside the central 70 % so it survives the
// macOS and Windows masks.
export const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024" viewBox="0 0 1024 1024">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#3b4cca"/>
      <stop offset="1" stop-color="#1d2673"/>
    </linearGradient>
    <linearGradient id="top" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#ffffff"/>
      <stop offset="1" stop-color="#cfd8ff"/>
    </linearGradient>
    <linearGradient id="bottom" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#ffd36b"/>
      <stop offset="1" stop-color="#ff9e3d"/>
    </linearGradient>
  </defs>
  <rect x="32" y="32" width="960" height="960" rx="216" ry="216" fill="url(#bg)"/>
  <path d="M232 212 H792 Q812 212 800 230 L540 492 Q512 518 484 492 L224 230 Q212 212 232 212 Z" fill="url(#top)"/>
  <path d="M232 812 H792 Q812 812 800 794 L540 532 Q512 506 484 532 L224 794 Q212 812 232 812 Z" fill="url(#bottom)"/>
</svg>
`

async function png(size) {
  // Every size is rendered at 1024 px and area-downscaled: cleaner anti-aliasing at 16–32 px than rasterising small.
  return sharp(Buffer.from(SVG)).resize(size, size).png({ compressionLevel: 9 }).toBuffer()
}

/** ICO with PNG-compressed entries (supported since Windows Vista; electron-builder accepts them). */
function ico(entries) {
  const header = Buffer.alloc(6)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2) // 1 = icon
  header.writeUInt16LE(entries.length, 4)
  const directory = Buffer.alloc(16 * entries.length)
  let offset = 6 + directory.length
  entries.forEach(({ size, data }, i) => {
    const at = 16 * i
    directory.writeUInt8(size >= 256 ? 0 : size, at) // 0 means 256
    directory.writeUInt8(size >= 256 ? 0 : size, at + 1)
    directory.writeUInt8(0, at + 2) // no palette
    directory.writeUInt8(0, at + 3)
    directory.writeUInt16LE(1, at + 4) // colour planes
    directory.writeUInt16LE(32, at + 6) // bits per pixel
    directory.writeUInt32LE(data.length, at + 8)
    directory.writeUInt32LE(offset, at + 12)
    offset += data.length
  })
  return Buffer.concat([header, directory, ...entries.map((entry) => entry.data)])
}

/** ICNS with PNG entries: the OSType codes Apple defines for PNG-encoded icons of each size. */
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32], // 16@2x
  ['ic12', 64], // 32@2x
  ['ic13', 256], // 128@2x
  ['ic14', 512], // 256@2x
]
function icns(pngBySize) {
  const chunks = ICNS_TYPES.map(([type, size]) => {
    const data = pngBySize.get(size)
    const head = Buffer.alloc(8)
    head.write(type, 0, 'ascii')
    head.writeUInt32BE(8 + data.length, 4)
    return Buffer.concat([head, data])
  })
  const body = Buffer.concat(chunks)
  const head = Buffer.alloc(8)
  head.write('icns', 0, 'ascii')
  head.writeUInt32BE(8 + body.length, 4)
  return Buffer.concat([head, body])
}

async function main() {
  await mkdir(join(out, 'icons'), { recursive: true })
  await writeFile(join(out, 'icon.svg'), SVG)
  const pngBySize = new Map()
  for (const size of SIZES) {
    const data = await png(size)
    pngBySize.set(size, data)
    // electron-builder's Linux target reads a folder of <size>x<size>.png files.
    await writeFile(join(out, 'icons', `${size}x${size}.png`), data)
  }
  await writeFile(join(out, 'icon.png'), pngBySize.get(1024))
  await writeFile(
    join(out, 'icon.ico'),
    ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, data: pngBySize.get(size) }))),
  )
  await writeFile(join(out, 'icon.icns'), icns(pngBySize))
  console.log(`icons written to ${out}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
