import { describe, expect, it } from 'vitest';
import { escapeHtml, markup, render, SafeHtml, trusted } from '../../../src-main/engine/report/html.js';
import {
  band,
  frame,
  legend,
  linearScale,
  niceDomain,
  niceTicks,
  pathData,
  scatter,
  svg,
  text,
  tickFormatter,
} from '../../../src-main/engine/report/svg/index.js';

describe('HTML escaping', () => {
  it('escapes the five special characters and nothing else', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a> µ ≥`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; µ ≥');
  });

  it('the template escapes every interpolated value but keeps SafeHtml, arrays and empties', () => {
    const name = '<script>alert("x")</script>';
    const out = markup`<td title="${name}">${name}</td>${[markup`<b>${'a&b'}</b>`, 3]}${null}${undefined}${false}`;
    expect(out).toBeInstanceOf(SafeHtml);
    expect(out.value).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td><b>a&amp;b</b>3',
    );
    expect(render(trusted('<i>ok</i>'))).toBe('<i>ok</i>');
  });

  it('SVG text and titles are escaped too', () => {
    const s = svg({ width: 10, height: 10, title: 'a<b' }, text(1, 2, 'x & "y"')).value;
    expect(s).toContain('<title>a&lt;b</title>');
    expect(s).toContain('>x &amp; &quot;y&quot;</text>');
    expect(s).not.toContain('a<b');
  });
});

describe('SVG toolkit', () => {
  it('nice ticks and domains land on 1/2/2.5/5 steps', () => {
    expect(niceTicks(0, 400, 4)).toEqual([0, 100, 200, 300, 400]);
    expect(niceTicks(0, 22.2, 5)).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(0.1, 0.9, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceDomain(3.2, 17.9, 5)).toEqual([0, 20]);
    expect(niceDomain(5, 5)).toEqual([4, 6]);
  });

  it('tick labels carry the decimals the spacing needs', () => {
    expect([0, 0.0005, 0.001].map(tickFormatter([0, 0.0005, 0.001]))).toEqual(['0', '5e-4', '1e-3']);
    expect([0, 0.05, 0.1].map(tickFormatter([0, 0.05, 0.1]))).toEqual(['0.00', '0.05', '0.10']);
    expect([0, 2.5, 5].map(tickFormatter([0, 2.5, 5]))).toEqual(['0.0', '2.5', '5.0']);
    expect([0, 50, 100].map(tickFormatter([0, 50, 100]))).toEqual(['0', '50', '100']);
    expect([1e-6, 2e-6].map(tickFormatter([1e-6, 2e-6]))).toEqual(['1e-6', '2e-6']);
  });

  it('a linear scale maps the domain onto the range (y inverted) and survives a one-value domain', () => {
    const y = linearScale([0, 400], [300, 0]);
    expect(y(0)).toBe(300);
    expect(y(400)).toBe(0);
    expect(y(100)).toBe(225);
    expect(linearScale([5, 5], [0, 10])(5)).toBe(5);
  });

  it('lines break at missing values; bands are one polygon per unbroken run', () => {
    const f = frame(120, 120, [0, 10], [0, 10], { top: 10, right: 10, bottom: 10, left: 10 });
    expect(pathData(f, [0, 1, 2, 3, 4], [1, 2, null, 4, 5])).toBe('M10 100L20 90M40 70L50 60');
    const b = band(f, [0, 1, 2, 3, 4], [0, 0, null, 0, 0], [1, 1, 1, 1, 1], '#000').value;
    expect(b.match(/<polygon /g)).toHaveLength(2);
    expect(scatter(f, [1, Number.NaN, 3], [1, 2, 3], { color: '#000' }).value.match(/M/g)).toHaveLength(2);
  });

  it('a legend shows one swatch and one label per item, wrapping within the width', () => {
    const l = legend(
      [
        { label: 'Forecast', kind: 'line', color: '#000' },
        { label: 'Actual', kind: 'line', color: '#000', dash: '1 2' },
        { label: '95 % interval', kind: 'band', color: '#00f' },
      ],
      0,
      0,
      120,
    );
    expect(l.svg.value.match(/<text /g)).toHaveLength(3);
    expect(l.svg.value).toContain('stroke-dasharray="1 2"');
    expect(l.height).toBeGreaterThan(14); // wrapped onto a second row
  });
});
