// tfjs' Adam update as graph nodes, shared by the compiled dense and conv chains: the same operations in the same
// order as tfjs' AdamOptimizer, so eager and compiled runs agree to float noise and can hand state to each other.
import type { GraphBuilder } from './graph'
import type { AdamSettings } from './session'

export interface AdamGraphInputs {
  /** Variable handles of the weights, their values as read for the forward pass, and their gradients. */
  params: string[]
  values: string[]
  gradients: string[]
  firstMoments: string[]
  secondMoments: string[]
  /** Per-step scalars fed with the batch: −learning rate, 1 − β1^t, 1 − β2^t. */
  hyper: { negLearningRate: string; firstBiasCorrection: string; secondBiasCorrection: string }
}

/** Adds the updates of every weight and both moments; returns the assign nodes the loss must wait for. */
export function adamUpdates(g: GraphBuilder, adam: AdamSettings, inputs: AdamGraphInputs): string[] {
  const { params, values, gradients, firstMoments, secondMoments, hyper } = inputs
  const beta1 = g.scalar('train/beta1', adam.beta1)
  const oneMinusBeta1 = g.scalar('train/one_minus_beta1', 1 - adam.beta1)
  const beta2 = g.scalar('train/beta2', adam.beta2)
  const oneMinusBeta2 = g.scalar('train/one_minus_beta2', 1 - adam.beta2)
  const epsilon = g.scalar('train/adam_epsilon', adam.epsilon)
  const assigns: string[] = []
  params.forEach((handle, j) => {
    const grad = gradients[j]!
    const m = g.read(`train/read_m${j}`, firstMoments[j]!)
    const v = g.read(`train/read_v${j}`, secondMoments[j]!)
    const mNew = g.binary(
      'AddV2',
      `train/m_new${j}`,
      g.binary('Mul', `train/m_decay${j}`, m, beta1),
      g.binary('Mul', `train/m_grad${j}`, grad, oneMinusBeta1),
    )
    const vNew = g.binary(
      'AddV2',
      `train/v_new${j}`,
      g.binary('Mul', `train/v_decay${j}`, v, beta2),
      g.binary('Mul', `train/v_grad${j}`, g.unary('Square', `train/grad_sq${j}`, grad), oneMinusBeta2),
    )
    const step = g.binary(
      'Div',
      `train/step_ratio${j}`,
      g.binary('Div', `train/m_hat${j}`, mNew, hyper.firstBiasCorrection),
      g.binary(
        'AddV2',
        `train/denominator${j}`,
        g.unary(
          'Sqrt',
          `train/sqrt_v_hat${j}`,
          g.binary('Div', `train/v_hat${j}`, vNew, hyper.secondBiasCorrection),
        ),
        epsilon,
      ),
    )
    const updated = g.binary(
      'AddV2',
      `train/param_new${j}`,
      g.binary('Mul', `train/step${j}`, step, hyper.negLearningRate),
      values[j]!,
    )
    assigns.push(g.assign(`train/assign_m${j}`, firstMoments[j]!, mNew))
    assigns.push(g.assign(`train/assign_v${j}`, secondMoments[j]!, vNew))
    // A graph has no program order: every weight write waits for every forward read, so no layer sees a new weight.
    assigns.push(g.assign(`train/assign_param${j}`, handle, updated, values))
  })
  return assigns
}
