/**
 * Virtual type-1 patients living simulated days: meals and snacks with day-to-day
 * variation, meal boluses from a carb ratio with mis-estimation and missed boluses,
 * corrections, hypo treatment, a basal profile, exercise, and a CGM with lag, noise,
 * clamping, sensor changes and dropouts. Deterministic for a seed: patient i draws from
 * its own stream, so the first patients of a larger cohort equal a smaller one.
 */
import { READING_FLAGS } from '../store/readings.js';
import type { EventKind } from '../store/events.js';
import { drawPatient, egpScaleFor, glucoseOf, MMOL_PER_G, step, stepConstants, steadyState, type HovorkaParams } from './hovorka.js';
import { Sfc32 } from '../util/rng.js';
import type { SimulationSettings } from './settings.js';
import { MGDL_PER_MMOL } from '../units.js';

export interface SimReading {
  ts: number;
  bgMm: number;
  flags: number;
}

export interface SimEvent {
  ts: number;
  kind: EventKind;
  value: number;
  durationMin: number | null;
  meta: Record<string, unknown> | null;
}

export interface SimPatient {
  index: number;
  externalId: string;
  params: HovorkaParams;
  targetMmol: number;
  basalUPerHour: number;
  /** g of carbs per U. */
  carbRatio: number;
  /** mmol/L drop per U. */
  isf: number;
  readings: SimReading[];
  events: SimEvent[];
  /** True plasma glucose, one value per minute (mmol/L); kept only when asked. */
  plasma?: Float32Array;
}

const MIN_MS = 60_000;
const CGM_LOW = 40 / MGDL_PER_MMOL;
const CGM_HIGH = 400 / MGDL_PER_MMOL;
const CGM_TAU_MIN = 10;

/** Basal profile over the day (hour → multiplier of the steady-state basal). */
function profileMultiplier(hour: number): number {
  if (hour < 3) return 0.9;
  if (hour < 8) return 1.15;
  if (hour < 20) return 1;
  return 0.95;
}
const PROFILE_HOURS = [0, 3, 8, 20];

/** Plasma glucose trajectory from steady state with one bolus and one meal at t = 0, no noise. */
function probe(p: HovorkaParams, basal: number, target: number, bolusU: number, carbsG: number, minutes: number): Float64Array {
  const k = stepConstants(p);
  const s = steadyState(p, target, basal);
  const out = new Float64Array(minutes);
  for (let t = 0; t < minutes; t++) {
    out[t] = glucoseOf(p, s);
    step(p, k, s, basal + (t === 0 ? bolusU * 1000 : 0), t === 0 ? carbsG * MMOL_PER_G : 0);
  }
  return out;
}

/** The patient's own therapy settings, found the way a clinician titrates: by trying. */
function titrate(p: HovorkaParams, basal: number, target: number): { carbRatio: number; isf: number } {
  const drop = target - Math.min(...probe(p, basal, target, 1, 0, 360));
  const isf = Math.max(0.3, drop);
  // the meal bolus that brings glucose back to target 5 h after a 50 g meal
  let lo = 0;
  let hi = 60;
  for (let k = 0; k < 30; k++) {
    const mid = (lo + hi) / 2;
    const g = probe(p, basal, target, mid, 50, 301)[300]!;
    if (g > target) lo = mid;
    else hi = mid;
  }
  const bolus = Math.max(0.5, (lo + hi) / 2);
  return { carbRatio: 50 / bolus, isf };
}

interface Scheduled {
  minute: number;
  carbs: number;
  kind: 'meal' | 'snack';
}

function roundTo(x: number, q: number): number {
  return Math.round(x / q) * q;
}

/** Simulates one patient of the cohort. */
export function simulatePatient(settings: SimulationSettings, index: number, options: { keepPlasma?: boolean } = {}): SimPatient {
  const rng = new Sfc32(settings.seed, index);
  const target = settings.targetMmol;
  const { params: p, basalMuPerMin: basalSS } = drawPatient(rng, target);
  const { carbRatio, isf } = titrate(p, basalSS, target);
  const startMs = Date.parse(settings.start);
  const minutes = settings.days * 1440;
  const events: SimEvent[] = [];
  const readings: SimReading[] = [];
  const at = (minute: number): number => startMs + minute * MIN_MS;

  // Basal (mU/min per minute of the day) and the circadian EGP that matches it.
  const basalOfHour = new Float64Array(24);
  const egpOfHour = new Float64Array(24);
  for (let h = 0; h < 24; h++) {
    const m = settings.basalProfile ? profileMultiplier(h) : 1;
    basalOfHour[h] = basalSS * m;
    egpOfHour[h] = settings.basalProfile ? egpScaleFor(p, target, basalSS * m) : 1;
  }

  // Per-patient habits, then each day's meals, snacks and exercise.
  // meal habits scale with body size: the model's glucose volume does too (V_G·BW)
  const size = p.bw / 75;
  const mealSizes = [rng.uniform(30, 60) * size, rng.uniform(40, 80) * size, rng.uniform(50, 90) * size];
  const mealTimes = [7.5 * 60 + rng.uniform(-45, 45), 12.5 * 60 + rng.uniform(-45, 45), 19 * 60 + rng.uniform(-45, 45)];
  const carbsAt = new Float64Array(minutes + 1);
  const bolusAt = new Float64Array(minutes + 1);
  const siScale = new Float32Array(minutes + 1).fill(1);
  const scheduled: Scheduled[] = [];
  for (let day = 0; day < settings.days; day++) {
    const base = day * 1440;
    // a flat basal is one record for the whole run; a profile is re-programmed at each change
    const changes = settings.basalProfile ? PROFILE_HOURS : day === 0 ? [0] : [];
    for (const h of changes) events.push({ ts: at(base + h * 60), kind: 'basal_rate', value: (basalOfHour[h]! * 60) / 1000, durationMin: null, meta: null });
    if (settings.meals) {
      for (let m = 0; m < 3; m++) {
        const minute = Math.round(base + mealTimes[m]! + rng.normal() * 25);
        const grams = Math.round(Math.min(1.5 * mealSizes[m]!, Math.max(10, rng.logNormal(mealSizes[m]!, 0.25))));
        scheduled.push({ minute, carbs: grams, kind: 'meal' });
      }
    }
    if (settings.snacks) {
      const u = rng.next();
      const n = u < 0.3 ? 0 : u < 0.75 ? 1 : 2;
      for (let k = 0; k < n; k++)
        scheduled.push({ minute: Math.round(base + rng.uniform(10 * 60, 22 * 60)), carbs: Math.round(rng.uniform(10, 30)), kind: 'snack' });
    }
    if (settings.exercise && rng.chance(settings.exerciseDaysFraction)) {
      const startMin = Math.round(base + 17 * 60 + rng.uniform(-90, 60));
      const duration = Math.round(rng.uniform(30, 75));
      const intensity = Math.round(rng.uniform(0.3, 0.8) * 100) / 100;
      events.push({ ts: at(startMin), kind: 'exercise', value: intensity, durationMin: duration, meta: { unit: 'intensity 0–1' } });
      // sensitivity up during exercise and decaying over ~2 h after it
      for (let t = startMin; t < Math.min(minutes, startMin + duration + 360); t++) {
        const after = t - (startMin + duration);
        const boost = after < 0 ? intensity : intensity * Math.exp(-after / 120);
        siScale[t] = Math.max(siScale[t]!, 1 + boost);
      }
    }
  }
  for (const s of scheduled) {
    if (s.minute < 0 || s.minute >= minutes) continue;
    carbsAt[s.minute]! += s.carbs;
    events.push({ ts: at(s.minute), kind: 'carbs', value: s.carbs, durationMin: null, meta: { type: s.kind } });
    const bolusProbability = s.kind === 'meal' ? 1 - settings.missedBolusProbability : 0.5;
    let offset = Math.round(rng.uniform(-15, 10));
    if (!rng.chance(bolusProbability)) {
      // half of the forgotten meal boluses are remembered 30–90 min later, half never given
      if (s.kind === 'snack' || rng.chance(0.5)) continue;
      offset = Math.round(rng.uniform(30, 90));
    }
    const estimate = s.carbs * Math.exp(settings.carbEstimateSigma * rng.normal());
    const dose = roundTo(estimate / carbRatio, 0.1);
    if (dose <= 0) continue;
    const bolusMinute = Math.min(minutes - 1, Math.max(0, s.minute + offset));
    bolusAt[bolusMinute]! += dose;
    events.push({ ts: at(bolusMinute), kind: 'bolus', value: dose, durationMin: null, meta: { type: s.kind } });
  }

  // CGM: sensor sessions of 10 days with a 2 h warm-up, AR(1) noise, per-sensor gain error.
  const phase = rng.int(0, settings.cgmIntervalMin - 1);
  const noisePhi = 0.7;
  let noise = 0;
  let gain = 1;
  let nextSensorChange = rng.int(0, 10 * 1440);
  let warmUpUntil = -1;
  let dropoutUntil = -1;
  let lastCorrection = -1e9;
  let lastRescue = -1e9;
  const plasma = options.keepPlasma === true ? new Float32Array(minutes) : undefined;

  const k = stepConstants(p);
  const s = steadyState(p, target, basalOfHour[0]!);
  let gi = glucoseOf(p, s);
  const giDecay = 1 - Math.exp(-1 / CGM_TAU_MIN);
  // The circadian EGP follows its hourly level through the same lags a basal change passes
  // through before it acts on EGP (two absorption compartments, then x3): a profile tuned
  // to it then holds glucose nearly flat, as a well-set pump does.
  let egp1 = egpOfHour[0]!;
  let egp2 = egp1;
  let egp3 = egp1;
  for (let t = 0; t < minutes; t++) {
    const hour = Math.floor((t % 1440) / 60);
    egp1 += (egpOfHour[hour]! - egp1) * (1 - k.eI);
    egp2 += (egp1 - egp2) * (1 - k.eI);
    egp3 += (egp2 - egp3) * (1 - k.eKa3);
    step(p, k, s, basalOfHour[hour]! + bolusAt[t]! * 1000, carbsAt[t]! * MMOL_PER_G, siScale[t]!, egp3);
    const g = glucoseOf(p, s);
    if (plasma !== undefined) plasma[t] = g;
    gi += (g - gi) * giDecay;

    if ((t - phase) % settings.cgmIntervalMin !== 0 || t < phase) continue;
    if (t >= nextSensorChange) {
      warmUpUntil = t + 120;
      nextSensorChange = t + 10 * 1440;
      gain = settings.cgmNoise ? 1 + 0.04 * rng.normal() : 1;
    }
    if (settings.dropouts && t > dropoutUntil) {
      if (rng.chance(0.0015)) dropoutUntil = t + rng.uniform(10, 60);
      else if (rng.chance(0.0001)) dropoutUntil = t + rng.uniform(120, 480);
    }
    if (settings.cgmNoise) noise = noisePhi * noise + Math.sqrt(1 - noisePhi * noisePhi) * (0.2 + 0.03 * gi) * rng.normal();
    if (t < warmUpUntil || t <= dropoutUntil) continue;
    let value = gi * gain + noise;
    let flags = 0;
    if (value < CGM_LOW) {
      value = CGM_LOW;
      flags = READING_FLAGS.clampedLow;
    } else if (value > CGM_HIGH) {
      value = CGM_HIGH;
      flags = READING_FLAGS.clampedHigh;
    }
    readings.push({ ts: at(t), bgMm: Math.round(value * 1000) / 1000, flags });

    // The patient reacts to what the CGM shows.
    // Corrections as a bolus calculator gives them: above 13 mmol/L, minus insulin on board
    // (insulin still in the depot beyond what the basal keeps there), at most every 90 min.
    if (settings.corrections && value > 13 && t - lastCorrection > 90 && t + 1 < minutes && rng.chance(0.8)) {
      // a CGM showing HIGH sends the patient to the meter, which reads the true value
      const seen = flags === READING_FLAGS.clampedHigh ? g : value;
      const iob = Math.max(0, (s.s1 + s.s2 - 2 * basalOfHour[hour]! * p.tmaxI) / 1000);
      const dose = roundTo((0.9 * (seen - target)) / isf - iob, 0.1);
      if (dose >= 0.5) {
        bolusAt[t + 1]! += dose;
        lastCorrection = t;
        events.push({ ts: at(t + 1), kind: 'bolus', value: dose, durationMin: null, meta: { type: 'correction' } });
      }
    }
    if (settings.hypoTreatment && value < 3.9 && t - lastRescue > 45 && t + 2 < minutes) {
      const grams = 15;
      carbsAt[t + 2]! += grams;
      lastRescue = t;
      // not every rescue snack gets logged
      if (rng.chance(0.85)) events.push({ ts: at(t + 2), kind: 'carbs', value: grams, durationMin: null, meta: { type: 'rescue' } });
    }
  }
  events.sort((a, b) => a.ts - b.ts);
  const out: SimPatient = {
    index,
    externalId: `sim-${String(index + 1).padStart(3, '0')}`,
    params: p,
    targetMmol: target,
    basalUPerHour: (basalSS * 60) / 1000,
    carbRatio,
    isf,
    readings,
    events,
  };
  if (plasma !== undefined) out.plasma = plasma;
  return out;
}
