/**
 * What every handler receives and the shape of the handler table. Kept apart from service.ts
 * so handlers never import the service that imports them.
 */
import type { z } from 'zod';
import type { DataDirLayout } from '../../paths.js';
import type { Logger } from '../../logger.js';
import type { TrainingHost } from '../../jobs/host.js';
import type { Store } from '../../store/index.js';
import type { ApiEvent, ApiResponse, MethodName, METHODS } from '../contract.js';
import type { OperationRegistry } from '../operations.js';

export interface CallContext {
  readonly store: Store;
  readonly layout: DataDirLayout;
  readonly operations: OperationRegistry;
  readonly logger: Logger;
  readonly electronVersion: string | null;
  /** Spawns training / prediction / evaluation workers (onnxruntime never runs on this thread). */
  readonly training: TrainingHost;
  emit(event: ApiEvent): void;
}

export type Handler<M extends MethodName> = (request: z.output<(typeof METHODS)[M]['request']>, ctx: CallContext) => Promise<ApiResponse<M>> | ApiResponse<M>;

export type Handlers = { [M in MethodName]: Handler<M> };
