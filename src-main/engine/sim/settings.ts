import { z } from 'zod';

/**
 * Everything that determines a simulated cohort. Same settings → identical output, so a
 * cohort (the bundled demo too) is shipped as these few numbers rather than as data.
 */
export const SimulationSettingsSchema = z
  .object({
    patients: z.number().int().min(1).max(1000).default(12),
    days: z.number().int().min(1).max(3650).default(30),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
    /** First simulated instant (UTC, midnight recommended). */
    start: z.iso.datetime().default('2024-01-01T00:00:00Z'),
    /** Glucose each patient's basal holds without meals, mmol/L. */
    targetMmol: z.number().min(4.5).max(9).default(6.5),
    cgmIntervalMin: z.number().int().min(1).max(60).default(5),
    meals: z.boolean().default(true),
    snacks: z.boolean().default(true),
    corrections: z.boolean().default(true),
    hypoTreatment: z.boolean().default(true),
    exercise: z.boolean().default(true),
    /** Daily basal profile (with a matching circadian EGP); false = one flat rate. */
    basalProfile: z.boolean().default(true),
    cgmNoise: z.boolean().default(true),
    dropouts: z.boolean().default(true),
    /** σ of ln(estimated / actual carbs) when bolusing. */
    carbEstimateSigma: z.number().min(0).max(1).default(0.2),
    missedBolusProbability: z.number().min(0).max(1).default(0.05),
    exerciseDaysFraction: z.number().min(0).max(1).default(0.25),
  })
  .strict();

export type SimulationSettings = z.output<typeof SimulationSettingsSchema>;

/** The bundled demo cohort's file (resources/demo-cohort.json). */
export const DemoRecipeSchema = z
  .object({
    name: z.string().min(1).max(100),
    description: z.string(),
    settings: SimulationSettingsSchema,
  })
  .strict();
export type DemoRecipe = z.output<typeof DemoRecipeSchema>;
