// The trainer as an Electron utilityProcess: a Node-only child the app owns (Chromium's process model, crash
// reporting), talking to the service with structured-clone messages like the forked trainer does in tests.
import { utilityProcess } from 'electron'
import { deprioritize, type SpawnTrainer } from '../../trainer/transport'

export function utilityTrainer(entry: string, log: (line: string) => void): SpawnTrainer {
  return (role) => {
    const child = utilityProcess.fork(entry, [], {
      serviceName: `Bottleneck ${role}`,
      env: { ...process.env, BOTTLENECK_TRAINER_ROLE: role },
      stdio: 'pipe',
    })
    const exitListeners: ((code: number | null, signal: string | null) => void)[] = []
    let pid: number | undefined = child.pid
    child.on('spawn', () => {
      pid = child.pid
      if (role === 'training') deprioritize(pid, log)
    })
    const pipe = (stream: NodeJS.ReadableStream | null) => {
      let buffered = ''
      stream?.setEncoding('utf8')
      stream?.on('data', (chunk: string) => {
        buffered += chunk
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) if (line.trim()) log(`[trainer:${role} pid=${pid ?? '?'}] ${line}`)
      })
    }
    pipe(child.stdout)
    pipe(child.stderr)
    child.on('exit', (code) => {
      for (const listener of exitListeners) listener(code, null)
    })
    return {
      get pid() {
        return pid
      },
      send(message) {
        try {
          child.postMessage(message)
        } catch (error) {
          // A child that already exited cannot take messages; its exit handler reports the death.
          log(`[trainer:${role} pid=${pid ?? '?'}] message not delivered: ${(error as Error).message}`)
        }
      },
      onMessage(listener) {
        child.on('message', listener)
      },
      onExit(listener) {
        exitListeners.push(listener)
      },
      kill() {
        child.kill()
      },
    }
  }
}
