/**
 * A tensor of a graph and an op node: what the builder creates and shape inference reads.
 * Apart from builder.ts so infer.ts can use them without importing the builder that calls it.
 */
import type { DType } from './dtype.js';
import type { AttributeValue } from './proto.js';
import { formatShape, type Shape } from './shape.js';

/** A tensor in a graph: its name, element type and statically inferred shape. */
export class Value {
  /** @internal */
  readonly builderId: number;
  constructor(
    builderId: number,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {
    this.builderId = builderId;
  }
  get rank(): number {
    return this.shape.length;
  }
  toString(): string {
    return `'${this.name}' ${this.dtype}${formatShape(this.shape)}`;
  }
}

export interface GraphNode {
  readonly name: string;
  readonly opType: string;
  /** null for an omitted optional input. */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}
