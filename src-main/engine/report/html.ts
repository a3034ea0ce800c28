/**
 * HTML building with escaping by construction: every value interpolated into the `markup`
 * template is escaped unless it is already `SafeHtml` (built by this module or the SVG
 * toolkit). A report embeds names that came from imported files (patient ids, dataset names,
 * finding messages), so a stray `<` or `"` must never become markup.
 */

/** A string that is already valid markup. Only this module and svg/ create them. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

/** Renders one interpolated value: SafeHtml as is, arrays concatenated, null/undefined/false as nothing. */
export function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: `markup\`<td>${name}</td>\`` escapes `name`. (Not named `html`: Prettier would reformat such templates as HTML and change the output.) */
export function markup(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks trusted, constant markup (CSS, fixed fragments) as safe. Never pass user data. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

export function join(parts: readonly SafeHtml[], separator = ''): SafeHtml {
  return new SafeHtml(parts.map((p) => p.value).join(separator));
}
