/**
 * The Hovorka 2004 glucose–insulin model (Hovorka et al., Physiol Meas 25:905) with the
 * equations and mean parameters published with it. Units: time min, insulin input u mU/min,
 * meal input d mmol/min, Q1/Q2 mmol, I mU/L, G = Q1/(V_G·BW) mmol/L.
 *
 * Integration: fixed 1-minute steps of exponential Euler — each state's own first-order
 * loss is integrated exactly with the other terms held over the step. This is
 * unconditionally stable for the fast compartments (ke, ka2 up to ~0.3/min after log-normal
 * draws) and needs only two Math.exp per step.
 */
import { StudioError } from '../errors.js';
import type { Sfc32 } from '../util/rng.js';

export interface HovorkaParams {
  bw: number;
  k12: number;
  ka1: number;
  ka2: number;
  ka3: number;
  sit: number;
  sid: number;
  sie: number;
  ke: number;
  vi: number;
  vg: number;
  f01: number;
  egp0: number;
  tmaxI: number;
  tmaxG: number;
  ag: number;
}

export const MEAN_PARAMS: HovorkaParams = {
  bw: 70,
  k12: 0.066,
  ka1: 0.006,
  ka2: 0.06,
  ka3: 0.03,
  sit: 51.2e-4,
  sid: 8.2e-4,
  sie: 520e-4,
  ke: 0.138,
  vi: 0.12,
  vg: 0.16,
  f01: 0.0097,
  egp0: 0.0161,
  tmaxI: 55,
  tmaxG: 40,
  ag: 0.8,
};

/** mmol of glucose per gram of carbohydrate. */
export const MMOL_PER_G = 1000 / 180.16;

/** σ of ln for each parameter in the population: inter-patient variability, so a cohort is not one person repeated. */
const SIGMA: Partial<Record<keyof HovorkaParams, number>> = {
  k12: 0.4,
  ka1: 0.4,
  ka2: 0.4,
  ka3: 0.4,
  sit: 0.4,
  sid: 0.4,
  sie: 0.4,
  egp0: 0.2,
  ke: 0.2,
  tmaxI: 0.2,
  tmaxG: 0.2,
  f01: 0.1,
  vi: 0.05,
  vg: 0.05,
};

export function drawParams(rng: Sfc32): HovorkaParams {
  const p = { ...MEAN_PARAMS };
  for (const key of Object.keys(SIGMA) as (keyof HovorkaParams)[]) p[key] = rng.logNormal(MEAN_PARAMS[key], SIGMA[key]!);
  p.bw = rng.uniform(45, 95);
  return p;
}

/** Model state; a plain object of numbers so the hot loop keeps them in registers. */
export interface HovorkaState {
  q1: number;
  q2: number;
  s1: number;
  s2: number;
  i: number;
  x1: number;
  x2: number;
  x3: number;
  d1: number;
  d2: number;
}

export function glucoseOf(p: HovorkaParams, s: HovorkaState): number {
  return s.q1 / (p.vg * p.bw);
}

/** dQ1/dt at a steady state with glucose G, constant insulin input u and EGP scaled by `egpScale` (no meals). */
function steadyQ1Rate(p: HovorkaParams, g: number, u: number, egpScale = 1): number {
  const i = u / (p.ke * p.vi * p.bw);
  const x1 = p.sit * i;
  const x2 = p.sid * i;
  const x3 = p.sie * i;
  const q1 = g * p.vg * p.bw;
  const q2 = (x1 * q1) / (p.k12 + x2);
  const f01c = p.f01 * p.bw * Math.min(g / 4.5, 1);
  const fr = g >= 9 ? 0.003 * (g - 9) * p.vg * p.bw : 0;
  return -f01c - x1 * q1 + p.k12 * q2 - fr + Math.max(0, egpScale * p.egp0 * p.bw * (1 - x3));
}

/**
 * The EGP scale that makes insulin input u hold glucose at the target: the simulator's
 * circadian EGP (dawn phenomenon), so that a basal profile tuned to it keeps glucose flat.
 */
export function egpScaleFor(p: HovorkaParams, targetMmol: number, u: number): number {
  const without = steadyQ1Rate(p, targetMmol, u, 0);
  const x3 = (p.sie * u) / (p.ke * p.vi * p.bw);
  const egp = p.egp0 * p.bw * (1 - x3);
  return egp > 0 ? -without / egp : 1;
}

/** Insulin input (mU/min) that holds glucose at `targetMmol` without meals; null when none does. */
export function steadyStateBasal(p: HovorkaParams, targetMmol: number): number | null {
  let lo = 0;
  let hi = 1000;
  if (steadyQ1Rate(p, targetMmol, lo) <= 0 || steadyQ1Rate(p, targetMmol, hi) >= 0) return null;
  for (let k = 0; k < 80; k++) {
    const mid = (lo + hi) / 2;
    if (steadyQ1Rate(p, targetMmol, mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function steadyState(p: HovorkaParams, targetMmol: number, u: number): HovorkaState {
  const i = u / (p.ke * p.vi * p.bw);
  const x1 = p.sit * i;
  const x2 = p.sid * i;
  const q1 = targetMmol * p.vg * p.bw;
  return { q1, q2: (x1 * q1) / (p.k12 + x2), s1: u * p.tmaxI, s2: u * p.tmaxI, i, x1, x2, x3: p.sie * i, d1: 0, d2: 0 };
}

/** Per-patient constants of the integrator, computed once. */
export interface StepConstants {
  eI: number;
  eKe: number;
  eKa1: number;
  eKa2: number;
  eKa3: number;
  eG: number;
}

export function stepConstants(p: HovorkaParams, h = 1): StepConstants {
  return {
    eI: Math.exp(-h / p.tmaxI),
    eKe: Math.exp(-h * p.ke),
    eKa1: Math.exp(-h * p.ka1),
    eKa2: Math.exp(-h * p.ka2),
    eKa3: Math.exp(-h * p.ka3),
    eG: Math.exp(-h / p.tmaxG),
  };
}

/**
 * Advances the state by one minute in place. `u` insulin mU/min, `d` meal mmol/min,
 * `siScale` multiplies the three insulin sensitivities (exercise), `egpScale` the
 * endogenous glucose production (circadian).
 */
export function step(p: HovorkaParams, k: StepConstants, s: HovorkaState, u: number, d: number, siScale = 1, egpScale = 1): void {
  const h = 1;
  const { q1, q2, s1, s2, i, x1, x2, x3, d1, d2 } = s;
  const g = q1 / (p.vg * p.bw);
  // insulin absorption and plasma insulin
  s.s1 = s1 * k.eI + u * p.tmaxI * (1 - k.eI);
  s.s2 = s2 * k.eI + s1 * (1 - k.eI);
  s.i = i * k.eKe + (s2 / (p.tmaxI * p.vi * p.bw) / p.ke) * (1 - k.eKe);
  // insulin action: dx = −ka·x + SI·ka·I  ⇒  x → SI·I exponentially
  s.x1 = x1 * k.eKa1 + p.sit * siScale * i * (1 - k.eKa1);
  s.x2 = x2 * k.eKa2 + p.sid * siScale * i * (1 - k.eKa2);
  s.x3 = x3 * k.eKa3 + p.sie * siScale * i * (1 - k.eKa3);
  // gut absorption
  s.d1 = d1 * k.eG + p.ag * d * p.tmaxG * (1 - k.eG);
  s.d2 = d2 * k.eG + d1 * (1 - k.eG);
  // glucose kinetics
  const f01c = p.f01 * p.bw * Math.min(g / 4.5, 1);
  const fr = g >= 9 ? 0.003 * (g - 9) * p.vg * p.bw : 0;
  const ug = d2 / p.tmaxG;
  const egp = Math.max(0, egpScale * p.egp0 * p.bw * (1 - x3));
  const inflow = -f01c + p.k12 * q2 - fr + ug + egp;
  const e1 = Math.exp(-h * x1);
  s.q1 = x1 > 1e-9 ? q1 * e1 + (inflow * (1 - e1)) / x1 : q1 + inflow * h;
  if (s.q1 < 0) s.q1 = 0;
  const loss2 = p.k12 + x2;
  const e2 = Math.exp(-h * loss2);
  s.q2 = q2 * e2 + ((x1 * q1) / loss2) * (1 - e2);
}

/** Draws a patient whose steady-state basal at the target is 0.1–2.2 U/h (rejection sampling). */
export function drawPatient(rng: Sfc32, targetMmol: number): { params: HovorkaParams; basalMuPerMin: number } {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const params = drawParams(rng);
    const u = steadyStateBasal(params, targetMmol);
    if (u === null) continue;
    const uPerHour = (u * 60) / 1000;
    if (uPerHour >= 0.1 && uPerHour <= 2.2) return { params, basalMuPerMin: u };
  }
  throw new StudioError('INTERNAL', 'Could not draw a virtual patient with a plausible basal rate in 10,000 attempts.');
}
