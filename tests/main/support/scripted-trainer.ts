// A trainer process played by the test itself: the service talks to it through the same transport as to the real
// one, and the test's script decides what each request answers and which events follow, in an exact order.
import type { ChildMessage, ParentMessage } from '../../../src-main/trainer/protocol'
import type { TrainerTransport } from '../../../src-main/trainer/transport'

/** Sends a message to the service on the next turn of the event loop, as a real process would. */
export type Reply = (message: ChildMessage) => void

/**
 * `script` gets every request (shutdown, the process ending and its 'ready' are handled here); a request it does not
 * answer stays unanswered. `refuse` answers one as not supported.
 */
export function scriptedTrainer(
  script: (request: Extract<ParentMessage, { type: 'request' }>, reply: Reply, refuse: () => void) => void,
): TrainerTransport {
  let listener: (message: unknown) => void = () => undefined
  let exited: (code: number | null, signal: string | null) => void = () => undefined
  const reply: Reply = (message) => setImmediate(() => listener(message))
  return {
    pid: 1,
    send(message: ParentMessage) {
      if (message.type === 'shutdown') return setImmediate(() => exited(0, null))
      script(message, reply, () =>
        reply({
          type: 'response',
          id: message.id,
          ok: false,
          error: { code: 'NOT_SUPPORTED', message: 'scripted' },
        }),
      )
    },
    onMessage(next) {
      listener = next
      reply({ type: 'ready', pid: 1, backend: { name: 'cpu', requested: 'cpu', tfjsVersion: 'test' } })
    },
    onExit(next) {
      exited = next
    },
    kill() {
      setImmediate(() => exited(null, 'SIGKILL'))
    },
  }
}
