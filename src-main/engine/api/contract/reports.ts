/**
 * Contract of HTML reports (data reports of a dataset or patient, model reports of a run).
 */
import { z } from 'zod';
import { EntityRef, GlucoseUnit, OperationId } from './common.js';

export const ReportRequestSchema = z
  .object({
    /** Data report of this dataset… */
    dataset: EntityRef.optional(),
    /** …restricted to one patient (external id), or */
    patient: z.string().min(1).max(200).optional(),
    /** model report of this run (`dataset` then names the data when the run does not). */
    run: z.number().int().positive().optional(),
    /** Output .html path on the service's machine; default <dataDir>/reports/<name>.html. */
    out: z.string().min(1).max(4096).optional(),
    /** Display unit; default: the glucoseUnit setting. */
    unit: GlucoseUnit.optional(),
    overwrite: z.boolean().default(true),
    operationId: OperationId.optional(),
  })
  .strict()
  .refine((r) => r.dataset !== undefined || r.run !== undefined, { message: 'give a dataset (data report) or a run (model report)' })
  .refine((r) => r.patient === undefined || r.run === undefined, { message: 'patient applies to data reports only' });

export const ReportResultSchema = z.object({
  kind: z.enum(['data', 'model']),
  path: z.string(),
  bytes: z.number().int(),
  title: z.string(),
  unit: GlucoseUnit,
  sections: z.array(z.string()),
});
export type ReportResult = z.infer<typeof ReportResultSchema>;
