import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWebRequestPaths, isInside } from '../../../src-main/server/path-policy.js';
import { callApi, useWebHost, type HttpReply } from './helpers.js';

const web = useWebHost();
const call = (method: string, body: unknown): Promise<HttpReply> => callApi(web.host, method, body);

describe('web host path policy', () => {
  it('refuses to read files outside the upload area, without echoing their content', async () => {
    process.env.TTM_POLICY_SECRET = 'do-not-leak-this';
    const preview = await call('datasets.preview', { path: '/proc/self/environ' });
    expect(preview.status).toBe(403);
    expect(preview.body).not.toContain('do-not-leak-this');
    expect(preview.body).toMatch(/reads uploaded files only/);
    const detect = await call('datasets.detect', { paths: ['/etc'] });
    expect(detect.status).toBe(403);
    expect(detect.body).not.toMatch(/passwd|hosts/);
    expect((await call('datasets.import', { paths: ['/etc/hosts'], dataset: 'x', create: true })).status).toBe(403);
    expect((await call('models.import', { path: '/tmp' })).status).toBe(403);
    expect((await call('datasets.preview', { path: join(web.service.layout.uploads, '..', 'studio.sqlite') })).status).toBe(403);
  });

  it('follows symlinks: a link inside the upload area to a file outside is refused', async () => {
    const dir = join(web.service.layout.uploads, 'linked');
    mkdirSync(dir, { recursive: true });
    symlinkSync('/etc/hosts', join(dir, 'hosts.csv'));
    expect((await call('datasets.preview', { path: join(dir, 'hosts.csv') })).status).toBe(403);
  });

  it('allows uploaded files; output paths only inside the reports folder', async () => {
    const dir = join(web.service.layout.uploads, 'abc');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'x.csv'), 'not,a,known\nformat,1,2\n');
    const res = await call('datasets.detect', { paths: [join(dir, 'x.csv')] });
    expect(res.status).toBe(200);
    const out = await call('reports.generate', { dataset: 'nope', out: '/tmp/evil.html' });
    expect(out.status).toBe(403);
    const exp = await call('models.exportOnnx', { model: 'm', path: join(web.dir, 'm.onnx') });
    expect(exp.status).toBe(403);
    const train = await call('train.start', { dataset: 'd', split: 's', config: { loggingDir: '/tmp/x' } });
    expect(train.status).toBe(403);
    const modelPath = await call('train.start', { dataset: 'd', split: 's', config: { modelPath: '/etc' } });
    expect(modelPath.status).toBe(403);
  });

  it('cluster jobs: written and imported only inside the cluster-jobs folder', async () => {
    const out = await call('jobs.export', { dataset: 'd', split: 's', out: join(web.dir, 'elsewhere') });
    expect(out.status).toBe(403);
    expect(out.body).toMatch(/cluster-jobs folder only/);
    expect((await call('jobs.export', { dataset: 'd', split: 's', config: { modelPath: '/etc' } })).status).toBe(403);
    expect((await call('jobs.import', { dir: '/etc' })).status).toBe(403);
    expect((await call('jobs.import', { dir: join(web.service.layout.clusterJobs, '..', 'runs') })).status).toBe(403);
    // Inside the folder the request reaches the service (which then says the job is missing).
    const inside = await call('jobs.import', { dir: join(web.service.layout.clusterJobs, 'job-1') });
    expect(inside.status).toBe(404);
    expect((await call('jobs.export', { dataset: 'nope', split: 's', out: join(web.service.layout.clusterJobs, 'j') })).status).toBe(404);
  });

  it('isInside compares resolved paths', () => {
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/b/../c')).toBe(false);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    const policy = { readRoots: ['/srv/up'], writeRoots: ['/srv/rep'], jobRoots: ['/srv/jobs'] };
    expect(() => checkWebRequestPaths('train.start', { config: { modelPath: 'ibm-granite/granite-timeseries-ttm-r2' } }, policy)).not.toThrow();
    expect(() => checkWebRequestPaths('reports.generate', { dataset: 'd' }, policy)).not.toThrow();
    expect(() => checkWebRequestPaths('reports.generate', { dataset: 'd', out: '/srv/rep/x.html' }, policy)).not.toThrow();
  });
});
