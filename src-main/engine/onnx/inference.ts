/**
 * Inference-only graphs from the same forward function a training graph uses: the
 * parameters become constants (initializers), so the exported .onnx needs only the data
 * inputs and runs in any ONNX runtime.
 */
import { GraphBuilder, type ModelOptions, type Value } from './builder.js';
import { ParameterLayout, type ParamSpec } from './params.js';

export interface InferenceGraphSpec {
  params: readonly ParamSpec[] | ParameterLayout;
  /** Flat parameter values in layout order (e.g. Trainer.params); used as is, not copied. */
  values: Float32Array | Float64Array;
  /** Declares the data inputs and returns the named outputs. */
  forward: (b: GraphBuilder, params: Readonly<Record<string, Value>>) => Record<string, Value>;
  name?: string;
  model?: ModelOptions;
}

export interface InferenceGraph {
  model: Uint8Array;
  builder: GraphBuilder;
  layout: ParameterLayout;
}

export function buildInferenceGraph(spec: InferenceGraphSpec): InferenceGraph {
  const layout = spec.params instanceof ParameterLayout ? spec.params : new ParameterLayout(spec.params);
  const b = new GraphBuilder(spec.name ?? 'inference');
  const params = layout.asConstants(b, spec.values);
  for (const [name, v] of Object.entries(spec.forward(b, params))) b.output(v, name);
  return { model: b.toModel(spec.model), builder: b, layout };
}
