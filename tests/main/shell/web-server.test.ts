// The web shell must answer only the person holding the printed token, only on loopback, only to its own origin:
// no token → 401, foreign Host (DNS rebinding) or Origin (cross-site socket) → 403. With the token, the same
// contract works over the WebSocket through the browser client the renderer uses.
import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { EventMessage } from '../../../src-main/contract/index'
import { createWsClient, type WebSocketLike } from '../../../src-main/contract/ws-client'
import type { Service } from '../../../src-main/service/types'
import {
  cookieName,
  isAllowedHost,
  isAllowedOrigin,
  startWebServer,
  tokensEqual,
  type WebServer,
} from '../../../src-main/shell/web/server'
import { scratchDir } from '../support/scratch'

/** A service that answers models.list and refuses the rest, and lets the test push events. */
function fakeService() {
  const listeners = new Set<(message: EventMessage) => void>()
  const calls: [string, unknown][] = []
  const service: Service = {
    async handle(name, payload) {
      calls.push([name, payload])
      if (name === 'models.list') return { ok: true, value: [] }
      return { ok: false, error: { code: 'MODEL_NOT_FOUND', message: 'No such model.' } }
    },
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {},
  }
  return {
    service,
    calls,
    emit: (message: EventMessage) => listeners.forEach((listener) => listener(message)),
  }
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Opens a socket and resolves with the HTTP status of a refused upgrade, or 101 when it opened. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers })
    socket.on('open', () => {
      socket.close()
      resolve(101)
    })
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    socket.on('error', () => resolve(-1))
  })
}

describe('web shell server', () => {
  let server: WebServer
  let fake: ReturnType<typeof fakeService>
  let origin: string

  beforeAll(async () => {
    const parent = scratchDir('web')
    const rendererDir = join(parent, 'renderer')
    mkdirSync(rendererDir)
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Bottleneck</title>')
    mkdirSync(join(rendererDir, 'assets'))
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(rendererDir, '..', 'secret.txt'), 'not for the browser')
    fake = fakeService()
    server = await startWebServer({ service: fake.service, rendererDir, port: 0, log: () => undefined })
    origin = `http://127.0.0.1:${server.port}`
  })

  afterAll(async () => {
    await server.close()
  })

  it('prints one URL on 127.0.0.1 with a long random token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('refuses requests without the token (401), with a wrong one too', async () => {
    expect((await get(server.port, '/')).status).toBe(401)
    expect((await get(server.port, '/assets/app.js')).status).toBe(401)
    expect((await get(server.port, '/?token=wrong')).status).toBe(401)
    expect((await get(server.port, '/', { cookie: `${cookieName(server.port)}=wrong` })).status).toBe(401)
  })

  it('trades a valid token for an HttpOnly SameSite=Strict cookie and strips it from the URL', async () => {
    const answer = await get(server.port, `/?token=${server.token}`)
    expect(answer.status).toBe(303)
    expect(answer.headers.location).toBe('/')
    const cookie = String(answer.headers['set-cookie'])
    expect(cookie).toContain(`${cookieName(server.port)}=`)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    const page = await get(server.port, '/', { cookie: cookie.split(';')[0]! })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>Bottleneck</title>')
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(page.headers['x-content-type-options']).toBe('nosniff')
  })

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    const answer = await get(server.port, `/?token=${server.token}`, { host: `evil.example:${server.port}` })
    expect(answer.status).toBe(403)
    expect((await get(server.port, `/?token=${server.token}`, { host: `127.0.0.1:1` })).status).toBe(403)
  })

  it('refuses a foreign Origin even with the token', async () => {
    const answer = await get(server.port, `/?token=${server.token}`, { origin: 'http://evil.example' })
    expect(answer.status).toBe(403)
  })

  it('does not serve files outside the renderer folder', async () => {
    const cookie = `${cookieName(server.port)}=${server.token}`
    expect((await get(server.port, '/../secret.txt', { cookie })).status).not.toBe(200)
    expect((await get(server.port, '/%2e%2e/secret.txt', { cookie })).status).toBe(404)
    expect((await get(server.port, '/assets/app.js', { cookie })).status).toBe(200)
  })

  it('refuses socket upgrades without token (401), from a foreign origin or without origin (403)', async () => {
    const url = `ws://127.0.0.1:${server.port}/ws`
    expect(await upgradeStatus(url, { origin })).toBe(401)
    expect(await upgradeStatus(`${url}?token=${server.token}`, { origin: 'http://evil.example' })).toBe(403)
    expect(await upgradeStatus(`${url}?token=${server.token}`, {})).toBe(403)
    expect(
      await upgradeStatus(`${url}?token=${server.token}`, { origin, host: `attacker.test:${server.port}` }),
    ).toBe(403)
    expect(await upgradeStatus(`${url}?token=${server.token}`, { origin })).toBe(101)
    expect(await upgradeStatus(url, { origin, cookie: `${cookieName(server.port)}=${server.token}` })).toBe(
      101,
    )
  })

  it('is bound to loopback only', async () => {
    const { networkInterfaces } = await import('node:os')
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal)
    if (!external) return // no non-loopback interface on this machine: nothing to reach
    const reached = await new Promise<boolean>((resolve) => {
      const req = request({ host: external.address, port: server.port, path: '/', timeout: 2000 }, () =>
        resolve(true),
      )
      req.on('error', () => resolve(false))
      req.on('timeout', () => {
        req.destroy()
        resolve(false)
      })
      req.end()
    })
    expect(reached).toBe(false)
  })

  it('carries the contract over the socket: calls, typed errors, events, unknown calls', async () => {
    const client = createWsClient({
      url: `ws://127.0.0.1:${server.port}/ws?token=${server.token}`,
      createSocket: (url) => new WebSocket(url, { headers: { origin } }) as unknown as WebSocketLike,
    })
    await client.ready
    await expect(client.api.models.list()).resolves.toEqual([])
    await expect(client.api.models.get({ id: 'a1b2c3d4e5f6' })).rejects.toMatchObject({
      name: 'ApiError',
      code: 'MODEL_NOT_FOUND',
    })
    const received = new Promise((resolve) => client.api.models.onChanged(resolve))
    fake.emit({ name: 'models.onChanged', payload: { reason: 'deleted', id: 'a1b2c3d4e5f6' } })
    await expect(received).resolves.toEqual({ reason: 'deleted', id: 'a1b2c3d4e5f6' })
    expect(fake.calls).toContainEqual(['models.get', { id: 'a1b2c3d4e5f6' }])
    client.close()

    const raw = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, {
      headers: { origin },
    })
    await new Promise((resolve) => raw.on('open', resolve))
    const answer = new Promise<string>((resolve) => raw.on('message', (data) => resolve(String(data))))
    raw.send(JSON.stringify({ type: 'call', id: 7, name: 'shell.exec', payload: { command: 'rm -rf /' } }))
    expect(JSON.parse(await answer)).toMatchObject({
      type: 'result',
      id: 7,
      envelope: { ok: false, error: { code: 'UNKNOWN_CALL' } },
    })
    raw.close()
  })
})

describe('web shell checks', () => {
  it('compares tokens in constant time and exactly', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true)
    expect(tokensEqual('abc', 'abd')).toBe(false)
    expect(tokensEqual('', 'abc')).toBe(false)
    expect(tokensEqual('abcabc', 'abc')).toBe(false)
  })

  it('accepts only loopback names with our port as Host, and only our own Origin', () => {
    expect(isAllowedHost('127.0.0.1:8080', 8080)).toBe(true)
    expect(isAllowedHost('localhost:8080', 8080)).toBe(true)
    // The server binds 127.0.0.1 only: an IPv6 Host never names it.
    expect(isAllowedHost('[::1]:8080', 8080)).toBe(false)
    expect(isAllowedHost('127.0.0.1', 8080)).toBe(false)
    expect(isAllowedHost('127.0.0.1.evil.test:8080', 8080)).toBe(false)
    expect(isAllowedHost('192.168.1.2:8080', 8080)).toBe(false)
    expect(isAllowedHost(undefined, 8080)).toBe(false)
    expect(isAllowedOrigin('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true)
    expect(isAllowedOrigin('http://localhost:8080', '127.0.0.1:8080')).toBe(false)
    expect(isAllowedOrigin('null', '127.0.0.1:8080')).toBe(false)
  })
})
