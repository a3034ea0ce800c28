/** Reports: self-contained HTML with inline SVG (one file to mail or archive, no network), and PDF from the same file. */
export { generateReport, renderReport, type GeneratedReport, type ReportRequest } from './generate.js';
export { buildDataReportInput, type DataReportInput } from './data-input.js';
export { renderDataReport, DATA_REPORT_SECTIONS } from './data-report.js';
export { buildModelReportInput } from './model-input.js';
export { renderModelReport, MODEL_REPORT_SECTIONS } from './model-report.js';
export { ModelReportInputSchema, type ModelReportInput } from './model-schema.js';
export { checkReportHtml, type HtmlCheck } from './validate.js';
export { findChromium, renderPdf, renderPdfWith, chromiumPrintArgs, ELECTRON_PRINT_OPTIONS, type PdfPrinter } from './pdf.js';
export { escapeHtml, markup, SafeHtml } from './html.js';
