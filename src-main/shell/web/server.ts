// The web shell: serves the built renderer and the contract over a WebSocket, on loopback only, to whoever holds
// the random token printed at start. Host and Origin are checked on every request (DNS rebinding, cross-site
// WebSockets); the token is compared in constant time and then kept in an HttpOnly, SameSite=Strict cookie.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { isCallName, type WsEvent, type WsResponse } from '../../contract/index'
import type { Service } from '../../service/types'

export interface WebServerOptions {
  service: Service
  /** Folder with the built renderer (index.html + assets). */
  rendererDir: string
  /** 0 picks any free port. */
  port?: number
  /** Defaults to a fresh 256-bit random token. */
  token?: string
  log?: (message: string) => void
}

export interface WebServer {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

/** Cookies are shared across ports of one host, so the name carries the port: two servers never clash. */
export function cookieName(port: number): string {
  return `bottleneck_token_${port}`
}
/** Large enough for a batch at the contract's value cap written as JSON bytes ("255," is four characters). */
const MAX_WS_PAYLOAD = 96 * 1024 * 1024
/** Progress events are dropped for a client that is this far behind; results and other events are never dropped. */
const SLOW_CLIENT_BYTES = 8 * 1024 * 1024

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
}

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Vue's transitions and chart.js set inline style attributes; no inline scripts are allowed.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    // The server listens on 127.0.0.1 only, so no IPv6 source is needed (Chromium rejects IPv6 literals here anyway).
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** Compares two secrets in constant time: hashing first gives equal lengths whatever was sent. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** The Host header must name this server on a loopback name: defeats DNS rebinding. */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  if (!host) return false
  return [`127.0.0.1:${port}`, `localhost:${port}`].includes(host.toLowerCase())
}

/** An Origin, when sent, must be this server's own origin (same loopback name as the Host). */
export function isAllowedOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true
  return host !== undefined && origin.toLowerCase() === `http://${host.toLowerCase()}`
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const index = part.indexOf('=')
    if (index > 0 && part.slice(0, index).trim() === name)
      return decodeURIComponent(part.slice(index + 1).trim())
  }
  return undefined
}

type Verdict = { ok: true; viaQuery: boolean } | { ok: false; status: 401 | 403; reason: string }

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? randomBytes(32).toString('base64url')
  const log = options.log ?? ((message: string) => console.log(message))
  const rendererDir = resolve(options.rendererDir)
  let port = options.port ?? 0

  function check(request: IncomingMessage, url: URL, requireOrigin: boolean): Verdict {
    const host = request.headers.host
    if (!isAllowedHost(host, port)) return { ok: false, status: 403, reason: 'host not allowed' }
    const origin = request.headers.origin
    if (requireOrigin && origin === undefined) return { ok: false, status: 403, reason: 'origin missing' }
    if (!isAllowedOrigin(origin, host)) return { ok: false, status: 403, reason: 'origin not allowed' }
    const fromQuery = url.searchParams.get('token')
    if (fromQuery !== null && tokensEqual(fromQuery, token)) return { ok: true, viaQuery: true }
    const fromCookie = readCookie(request.headers.cookie, cookieName(port))
    if (fromCookie !== undefined && tokensEqual(fromCookie, token)) return { ok: true, viaQuery: false }
    return { ok: false, status: 401, reason: 'token missing or wrong' }
  }

  function refuse(response: ServerResponse, status: number, text: string): void {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    response.end(text)
  }

  async function serveFile(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    let relative: string
    try {
      relative = decodeURIComponent(url.pathname)
    } catch {
      return refuse(response, 400, 'Bad path')
    }
    let file = normalize(join(rendererDir, relative))
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return refuse(response, 404, 'Not found')
    let info = await stat(file).catch(() => undefined)
    if (info?.isDirectory()) {
      file = join(file, 'index.html')
      info = await stat(file).catch(() => undefined)
    }
    // Client-side routes (no extension) fall back to the app's page.
    if (!info && extname(file) === '') {
      file = join(rendererDir, 'index.html')
      info = await stat(file).catch(() => undefined)
    }
    if (!info || !info.isFile()) return refuse(response, 404, 'Not found')
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
    response.writeHead(200, {
      'content-type': type,
      'content-length': info.size,
      'cache-control': type.startsWith('text/html') ? 'no-store' : 'private, max-age=3600',
    })
    if (request.method === 'HEAD') return void response.end()
    createReadStream(file).pipe(response)
  }

  const server = createServer((request, response) => {
    // Headers every answer carries, refusals included.
    response.setHeader('content-security-policy', contentSecurityPolicy(port))
    response.setHeader('x-content-type-options', 'nosniff')
    response.setHeader('referrer-policy', 'no-referrer')
    response.setHeader('x-frame-options', 'DENY')
    response.setHeader('cross-origin-opener-policy', 'same-origin')
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const verdict = check(request, url, false)
    if (!verdict.ok) {
      log(`[web] refused ${request.method} ${url.pathname}: ${verdict.reason}`)
      return refuse(
        response,
        verdict.status,
        verdict.status === 401 ? 'Unauthorized: open the URL printed by `npm run serve`.' : 'Forbidden',
      )
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return refuse(response, 405, 'Method not allowed')
    if (verdict.viaQuery) {
      // Trade the token in the URL for a cookie, and drop it from the address bar (and so from history).
      url.searchParams.delete('token')
      response.writeHead(303, {
        'set-cookie': `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        location: `${url.pathname}${url.search}`,
        'cache-control': 'no-store',
      })
      return void response.end()
    }
    serveFile(request, response, url).catch((error: unknown) => {
      log(`[web] failed to serve ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`)
      if (!response.headersSent) refuse(response, 500, 'Internal error')
      else response.destroy()
    })
  })

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD })
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const verdict =
      url.pathname === '/ws'
        ? check(request, url, true)
        : ({ ok: false, status: 403, reason: 'not the socket path' } as const)
    if (!verdict.ok) {
      log(`[web] refused socket: ${verdict.reason}`)
      socket.end(
        `HTTP/1.1 ${verdict.status} ${verdict.status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      )
      return
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request))
  })

  sockets.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'Text frames only')
      let message: unknown
      try {
        message = JSON.parse(data.toString())
      } catch {
        return ws.close(1007, 'Invalid JSON')
      }
      const { type, id, name, payload } = (message ?? {}) as Record<string, unknown>
      if (type !== 'call' || typeof id !== 'number' || !Number.isSafeInteger(id))
        return ws.close(1008, 'Not a call')
      const answer = (envelope: WsResponse['envelope']) => {
        if (ws.readyState === ws.OPEN)
          ws.send(JSON.stringify({ type: 'result', id, envelope } satisfies WsResponse))
      }
      if (!isCallName(name)) {
        return answer({
          ok: false,
          error: { code: 'UNKNOWN_CALL', message: `There is no call named "${String(name).slice(0, 80)}".` },
        })
      }
      options.service.handle(name, payload).then(answer, (error: unknown) => {
        // service.handle never rejects; if it does, the client still gets an answer.
        log(`[web] call ${name} failed: ${error instanceof Error ? error.message : String(error)}`)
        answer({
          ok: false,
          error: { code: 'INTERNAL', message: 'Something went wrong in Bottleneck; see its log.' },
        })
      })
    })
  })

  const unsubscribe = options.service.onEvent((event) => {
    const frame = JSON.stringify({
      type: 'event',
      name: event.name,
      payload: event.payload,
    } satisfies WsEvent)
    for (const client of sockets.clients) {
      if (client.readyState !== client.OPEN) continue
      if (event.name === 'training.onBatchProgress' && client.bufferedAmount > SLOW_CLIENT_BYTES) continue
      client.send(frame)
    }
  })

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    // Loopback only, never 0.0.0.0: the server is for the user at this machine.
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolvePromise()
    })
  })
  port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe()
      for (const client of sockets.clients) client.terminate()
      sockets.close()
      server.closeAllConnections()
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()))
    },
  }
}
