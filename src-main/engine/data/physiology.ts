/**
 * Insulin- and carbs-on-board from per-bin doses and carbs, with two-compartment absorption:
 * the same structure as the Hovorka model's subcutaneous insulin and gut
 * submodels, so features and the simulator agree.
 *
 * Insulin (doses in U, given at the start of their bin):
 *   dS1 = u − S1/tmax,  dS2 = (S1 − S2)/tmax,  dI = S2/tmax − ke·I
 *   iob = S1 + S2 + I (insulin given and not yet eliminated), insulin_availability = I (U in plasma).
 * Carbs (g, eaten at the start of their bin), over a fixed action time:
 *   cob = C·(1 + t/tmax)·e^(−t/tmax) (carbs not yet digested),
 *   carb_availability = AG·C·t/tmax²·e^(−t/tmax) (g/min of glucose appearing in plasma).
 * A value at bin i is the state at the start of bin i, after that bin's doses and carbs.
 *
 * Both run in linear time: insulin by an exact discrete-time recursion (the 3×3 transition
 * matrix of the linear ODE over one bin), carbs by a short kernel (action time / step taps).
 */
export interface InsulinModel {
  tmaxMin: number;
  kePerMin: number;
}
export interface CarbModel {
  tmaxMin: number;
  /** Fraction of carbs that reaches plasma. */
  bioavailability: number;
  actionMin: number;
}

export const DEFAULT_INSULIN_MODEL: InsulinModel = { tmaxMin: 55, kePerMin: 0.138 };
export const DEFAULT_CARB_MODEL: CarbModel = { tmaxMin: 40, bioavailability: 0.8, actionMin: 180 };

/** exp(A·h) of a 3×3 lower-triangular matrix by scaling and squaring a Taylor series. */
function expm3(a: readonly number[], h: number): number[] {
  let squarings = 0;
  let norm = 0;
  for (const v of a) norm = Math.max(norm, Math.abs(v * h));
  while (norm > 0.5) {
    norm /= 2;
    squarings++;
  }
  const s = h / 2 ** squarings;
  const m = a.map((v) => v * s);
  const mul = (x: readonly number[], y: readonly number[]): number[] => {
    const out = new Array<number>(9).fill(0);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j]! += x[i * 3 + k]! * y[k * 3 + j]!;
    return out;
  };
  let result = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  let term = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let n = 1; n <= 18; n++) {
    term = mul(term, m).map((v) => v / n);
    result = result.map((v, i) => v + term[i]!);
  }
  for (let i = 0; i < squarings; i++) result = mul(result, result);
  return result;
}

export interface InsulinFeatures {
  iob: Float32Array;
  availability: Float32Array;
}

/** IOB and plasma insulin per bin from insulin delivered per bin (U). */
export function insulinOnBoard(doses: ArrayLike<number>, stepMin: number, model: InsulinModel = DEFAULT_INSULIN_MODEL): InsulinFeatures {
  const k = 1 / model.tmaxMin;
  // state order (S1, S2, I); row-major A
  const phi = expm3([-k, 0, 0, k, -k, 0, 0, k, -model.kePerMin], stepMin);
  const n = doses.length;
  const iob = new Float32Array(n);
  const availability = new Float32Array(n);
  let s1 = 0;
  let s2 = 0;
  let p = 0;
  for (let i = 0; i < n; i++) {
    const d = doses[i]!;
    if (d > 0) s1 += d;
    iob[i] = s1 + s2 + p;
    availability[i] = p;
    const n1 = phi[0]! * s1 + phi[1]! * s2 + phi[2]! * p;
    const n2 = phi[3]! * s1 + phi[4]! * s2 + phi[5]! * p;
    const n3 = phi[6]! * s1 + phi[7]! * s2 + phi[8]! * p;
    s1 = n1;
    s2 = n2;
    p = n3;
  }
  return { iob, availability };
}

export interface CarbFeatures {
  cob: Float32Array;
  availability: Float32Array;
}

/** COB and carb appearance rate per bin from carbs eaten per bin (g). */
export function carbsOnBoard(carbs: ArrayLike<number>, stepMin: number, model: CarbModel = DEFAULT_CARB_MODEL): CarbFeatures {
  const taps = Math.max(1, Math.ceil(model.actionMin / stepMin));
  const cobKernel = new Float64Array(taps);
  const raKernel = new Float64Array(taps);
  for (let j = 0; j < taps; j++) {
    const t = j * stepMin;
    const e = Math.exp(-t / model.tmaxMin);
    cobKernel[j] = (1 + t / model.tmaxMin) * e;
    raKernel[j] = (model.bioavailability * t * e) / (model.tmaxMin * model.tmaxMin);
  }
  const n = carbs.length;
  const cob = new Float32Array(n);
  const availability = new Float32Array(n);
  // Scatter each meal over its action window: meals are sparse, so this beats a dense convolution.
  for (let i = 0; i < n; i++) {
    const c = carbs[i]!;
    if (!(c > 0)) continue;
    const end = Math.min(n, i + taps);
    for (let j = i; j < end; j++) {
      cob[j]! += c * cobKernel[j - i]!;
      availability[j]! += c * raKernel[j - i]!;
    }
  }
  return { cob, availability };
}
