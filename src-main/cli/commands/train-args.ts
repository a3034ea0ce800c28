/** Argument parsers shared by the train / predict / evaluate / runs commands. */
import { InvalidArgumentError } from 'commander';

export function intArg(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number.`);
    return Number(v);
  };
}

export function numArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number.`);
    return n;
  };
}

export function listArg(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** ISO date-time → epoch ms. */
export function timeArg(name: string) {
  return (v: string): number => {
    const t = Date.parse(v);
    if (!Number.isFinite(t)) throw new InvalidArgumentError(`${name} must be an ISO date-time (e.g. 2024-01-20T00:00:00Z).`);
    return t;
  };
}

export function fmt(v: number | null | undefined, digits = 1): string | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v.toFixed(digits);
}
