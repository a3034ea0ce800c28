/**
 * Static dimensions. A dim is a number or a symbolic product such as 'batch' or
 * 'batch*channels*8'. Products are kept canonical (sorted symbols, integer factor last)
 * so that reshapes that fold the batch into another axis and back infer exact shapes.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

interface Product {
  coef: number;
  syms: string[];
}

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function parse(d: Dim): Product {
  if (typeof d === 'number') return { coef: d, syms: [] };
  let coef = 1;
  const syms: string[] = [];
  for (const part of d.split('*')) {
    const t = part.trim();
    if (/^\d+$/.test(t)) coef *= Number(t);
    else if (SYMBOL.test(t)) syms.push(t);
    else throw new Error(`invalid symbolic dimension '${d}'`);
  }
  syms.sort();
  return { coef, syms };
}

function format(p: Product): Dim {
  if (p.syms.length === 0) return p.coef;
  if (p.coef === 0) return 0;
  return p.coef === 1 ? p.syms.join('*') : `${p.syms.join('*')}*${p.coef}`;
}

/** Checks a user-supplied dim; returns it canonicalised. */
export function normalizeDim(d: Dim): Dim {
  if (typeof d === 'number') {
    if (!Number.isInteger(d) || d < 0) throw new Error(`dimension ${d} is not a non-negative integer`);
    return d;
  }
  return format(parse(d));
}

export function isStatic(d: Dim): d is number {
  return typeof d === 'number';
}

export function isStaticShape(s: Shape): s is readonly number[] {
  return s.every(isStatic);
}

export function dimEq(a: Dim, b: Dim): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  return String(normalizeDim(a)) === String(normalizeDim(b));
}

export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]!));
}

export function dimMul(a: Dim, b: Dim): Dim {
  const pa = parse(a);
  const pb = parse(b);
  return format({ coef: pa.coef * pb.coef, syms: [...pa.syms, ...pb.syms].sort() });
}

/** a / b when it is an exact product, undefined otherwise. */
export function dimDiv(a: Dim, b: Dim): Dim | undefined {
  const pa = parse(a);
  const pb = parse(b);
  if (pb.coef === 0 || pa.coef % pb.coef !== 0) return undefined;
  const rest = [...pa.syms];
  for (const s of pb.syms) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  return format({ coef: pa.coef / pb.coef, syms: rest });
}

export function dimProduct(dims: Shape): Dim {
  let p: Dim = 1;
  for (const d of dims) p = dimMul(p, d);
  return p;
}

/** The symbols a dim is a product of, and its integer factor. */
export function dimFactors(d: Dim): { coef: number; syms: readonly string[] } {
  return parse(d);
}

export function formatShape(s: Shape): string {
  return `[${s.map((d) => (typeof d === 'number' ? String(d) : `'${d}'`)).join(', ')}]`;
}

export function normalizeAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/**
 * Numpy broadcasting of two shapes. A symbolic dim against 1 keeps the symbol; a symbol
 * against a number > 1 takes the number (the symbol must be 1 or equal at run time);
 * two different symbols cannot be decided statically and are rejected.
 */
export function broadcastShapes(a: Shape, b: Shape): Dim[] | string {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i - (n - a.length) >= 0 ? a[i - (n - a.length)]! : 1;
    const db = i - (n - b.length) >= 0 ? b[i - (n - b.length)]! : 1;
    if (dimEq(da, db)) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (typeof da === 'number' && typeof db === 'number') return `dims ${da} and ${db} at output axis ${i} differ and neither is 1`;
    else if (typeof da === 'number') out.push(da);
    else if (typeof db === 'number') out.push(db);
    else return `symbolic dims '${da}' and '${db}' at output axis ${i} cannot be broadcast statically`;
  }
  return out;
}
