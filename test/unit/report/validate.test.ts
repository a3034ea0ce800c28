import { describe, expect, it } from 'vitest';
import { checkReportHtml } from '../../../src-main/engine/report/validate.js';

const page = (body: string, head = '<title>t</title><style>p{color:red}</style>'): string =>
  `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">${head}</head><body>${body}</body></html>`;

describe('structural check of a report', () => {
  it('accepts a well-formed self-contained document and lists its sections', () => {
    const c = checkReportHtml(
      page('<section id="a"><h2>A</h2><p>1 &lt; 2<br></p><svg viewBox="0 0 1 1"><path d="M0 0"/></svg><a href="#b">b</a></section><section id="b"></section>'),
      ['a', 'b'],
    );
    expect(c.errors).toEqual([]);
    expect(c.ok).toBe(true);
    expect(c.sectionIds).toEqual(['a', 'b']);
  });

  it('rejects unbalanced tags, scripts, handlers, external URLs, duplicate ids and missing sections', () => {
    expect(checkReportHtml(page('<div><p>x</div>')).errors).toEqual(['<p> is not closed before </div> at offset 125.']);
    expect(checkReportHtml(page('<div>')).errors.join(' ')).toMatch(/<div> is not closed before <\/body>/);
    expect(checkReportHtml(page('</p>')).errors.join(' ')).toMatch(/<\/p> at offset \d+ closes nothing/);
    expect(checkReportHtml(page('<script>1</script>')).errors.join(' ')).toMatch(/<script>/);
    expect(checkReportHtml(page('<img src="https://example.org/x.png">')).errors.join(' ')).toMatch(/points outside the file/);
    expect(checkReportHtml(page('<a href="http://x">x</a>')).errors.join(' ')).toMatch(/points outside the file/);
    expect(checkReportHtml(page('<div onclick="x()"></div>')).errors.join(' ')).toMatch(/event handler/);
    expect(checkReportHtml(page('<p id="a"></p><p id="a"></p>')).errors.join(' ')).toMatch(/Duplicate id "a"/);
    expect(checkReportHtml(page('', '<style>body{background:url(http://x/y.png)}</style>')).errors.join(' ')).toMatch(/external url/);
    expect(checkReportHtml(page('<section id="a"></section>'), ['a', 'b']).errors).toEqual(['Missing section #b.']);
    const twoHtml = checkReportHtml('<!DOCTYPE html><html><head></head><body></body></html><html></html>');
    expect(twoHtml.errors.join(' ')).toMatch(/exactly one <html>, found 2/);
    expect(checkReportHtml('<html><head></head><body></body></html>').errors).toContain('Missing <!DOCTYPE html>.');
  });

  it('does not mistake markup inside <style> or <title> for tags', () => {
    const c = checkReportHtml(page('<p>x</p>', '<title>a &lt;b&gt;</title><style>p > b { color: red }</style>'));
    expect(c.errors).toEqual([]);
  });
});
