/**
 * Canonical grid channels (also the combined CSV layout's column names) and what each one means
 * on the grid. One list, so the grid builder, the store, the API and the CLI agree.
 */
import { z } from 'zod';

export const CHANNELS = [
  'bg_mM',
  'dose_units',
  'bolus',
  'rate',
  'food_g',
  'iob',
  'cob',
  'insulin_availability',
  'carb_availability',
  'hr_bpm',
  'steps',
  'cals',
] as const;

export type Channel = (typeof CHANNELS)[number];

/** The channel list as a schema, for requests and stored reports that name a channel. */
export const ChannelName = z.enum(CHANNELS);

export function isChannel(name: string): name is Channel {
  return (CHANNELS as readonly string[]).includes(name);
}

/** Channels built from insulin and carb events; present when the patient has any such event. */
export const TREATMENT_CHANNELS: readonly Channel[] = ['dose_units', 'bolus', 'rate', 'food_g', 'iob', 'cob', 'insulin_availability', 'carb_availability'];
