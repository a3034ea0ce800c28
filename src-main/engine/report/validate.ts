/**
 * A structural check of a generated report, small enough to trust: balanced tags, one
 * <html>/<head>/<body>, no <script> and no inline event handlers, no external URL in src,
 * href or CSS url(), unique ids, and the expected section ids. Tests and the bench use it;
 * it is not a full HTML5 parser (the reports are generated, so their syntax is regular).
 */

export interface HtmlCheck {
  ok: boolean;
  errors: string[];
  /** ids of <section> elements, in document order. */
  sectionIds: string[];
  tagCount: number;
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Elements whose content is raw text (no tags inside). */
const RAW_TEXT = new Set(['style', 'script', 'textarea', 'title']);

const TAG = /<!--[\s\S]*?-->|<!DOCTYPE[^>]*>|<\/?([A-Za-z][A-Za-z0-9:-]*)((?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*(\/?)>/gi;
const ATTR = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

function isLocalRef(v: string): boolean {
  const s = v.trim().toLowerCase();
  return s.startsWith('#') || s.startsWith('data:');
}

export function checkReportHtml(source: string, expectedSections: readonly string[] = []): HtmlCheck {
  const errors: string[] = [];
  const stack: string[] = [];
  const counts = new Map<string, number>();
  const ids = new Set<string>();
  const sectionIds: string[] = [];
  let tagCount = 0;
  let pos = 0;
  TAG.lastIndex = 0;
  for (let m = TAG.exec(source); m !== null; m = TAG.exec(source)) {
    const between = source.slice(pos, m.index);
    if (/<[A-Za-z/!]/.test(between)) errors.push(`Unparsed markup near offset ${pos}: ${JSON.stringify(between.slice(between.search(/<[A-Za-z/!]/), 60))}`);
    pos = TAG.lastIndex;
    const full = m[0];
    if (full.startsWith('<!')) continue;
    tagCount++;
    const name = m[1]!.toLowerCase();
    const closing = full.startsWith('</');
    const selfClosing = m[3] === '/';
    if (name === 'script') errors.push('The report contains a <script> element.');
    if (closing) {
      const at = stack.lastIndexOf(name);
      if (at < 0) {
        errors.push(`</${name}> at offset ${m.index} closes nothing (open: <${stack[stack.length - 1] ?? 'none'}>).`);
        continue;
      }
      // Recover like a browser: elements opened after the matching one are reported and closed.
      for (const open of stack.splice(at).slice(1).reverse()) errors.push(`<${open}> is not closed before </${name}> at offset ${m.index}.`);
      continue;
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
    ATTR.lastIndex = 0;
    const attrs = m[2] ?? '';
    for (let a = ATTR.exec(attrs); a !== null; a = ATTR.exec(attrs)) {
      const key = a[1]!.toLowerCase();
      const value = a[2] ?? a[3] ?? a[4] ?? '';
      if (key.startsWith('on')) errors.push(`<${name}> has an event handler attribute ${key}.`);
      if ((key === 'src' || key === 'href' || key === 'xlink:href' || key === 'action' || key === 'poster') && !isLocalRef(value))
        errors.push(`<${name} ${key}="${value}"> points outside the file.`);
      if (/javascript:/i.test(value)) errors.push(`<${name} ${key}> holds a javascript: URL.`);
      if (key === 'id') {
        if (ids.has(value)) errors.push(`Duplicate id "${value}".`);
        ids.add(value);
        if (name === 'section') sectionIds.push(value);
      }
    }
    if (VOID.has(name) || selfClosing) continue;
    if (RAW_TEXT.has(name)) {
      const end = source.toLowerCase().indexOf(`</${name}`, pos);
      if (end < 0) {
        errors.push(`<${name}> is never closed.`);
        break;
      }
      const body = source.slice(pos, end);
      if (name === 'style' && /url\(\s*['"]?(?!data:|#)/i.test(body)) errors.push('The stylesheet loads an external url().');
      if (name === 'style' && /@import/i.test(body)) errors.push('The stylesheet uses @import.');
      pos = end;
      TAG.lastIndex = end;
    }
    stack.push(name);
  }
  if (/<[A-Za-z/!]/.test(source.slice(pos))) errors.push('Unparsed markup at the end of the document.');
  if (stack.length > 0) errors.push(`Unclosed elements: ${stack.map((s) => `<${s}>`).join(' ')}.`);
  for (const el of ['html', 'head', 'body']) if ((counts.get(el) ?? 0) !== 1) errors.push(`Expected exactly one <${el}>, found ${counts.get(el) ?? 0}.`);
  if (!/^\s*<!DOCTYPE html>/i.test(source)) errors.push('Missing <!DOCTYPE html>.');
  for (const id of expectedSections) if (!sectionIds.includes(id)) errors.push(`Missing section #${id}.`);
  return { ok: errors.length === 0, errors, sectionIds, tagCount };
}
