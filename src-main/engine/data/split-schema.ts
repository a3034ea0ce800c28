/**
 * How a split is asked for (spec) and what it holds (content): the data layer computes and
 * validates splits (splits.ts), the store keeps them as JSON, the API contract re-exports
 * these schemas. Only zod, so the renderer can import it through the contract.
 */
import { z } from 'zod';

export const SplitSpecSchema = z
  .object({
    kind: z.enum(['temporal', 'patient_holdout', 'hybrid']),
    /** Last fraction of each (non-holdout) patient's time used for testing (temporal, hybrid). */
    testFraction: z.number().min(0).max(0.9).default(0.2),
    /** Fraction before the test part used for validation. */
    valFraction: z.number().min(0).max(0.9).default(0.1),
    /** Time left out between consecutive parts, so targets near a boundary don't leak. */
    gapMin: z.number().min(0).max(525_600).default(0),
    /** Explicit holdout patients (external ids); otherwise a seeded choice of holdoutFraction. */
    holdoutPatients: z.array(z.string().min(1)).optional(),
    holdoutFraction: z.number().min(0).max(0.9).default(0.1),
    seed: z.number().int().min(0).default(1),
  })
  .strict();
export type SplitSpec = z.output<typeof SplitSpecSchema>;

const RangeSchema = z.object({ from: z.number(), to: z.number() });
export const SplitPatientSchema = z.object({
  patientId: z.number().int(),
  role: z.enum(['train', 'holdout']),
  train: RangeSchema.nullable(),
  val: RangeSchema.nullable(),
  test: RangeSchema.nullable(),
});
export const SplitContentSchema = z.object({
  trainPatients: z.array(z.string()),
  holdoutPatients: z.array(z.string()),
  /** Patients left out because they have no usable readings. */
  excludedPatients: z.array(z.string()),
  /** external id → time boundaries, [from, to) in epoch ms. */
  patients: z.record(z.string(), SplitPatientSchema),
});
export type SplitContent = z.infer<typeof SplitContentSchema>;
