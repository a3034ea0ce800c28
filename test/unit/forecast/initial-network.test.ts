/**
 * A base model whose channels differ from the data. Zero-shot (and so
 * predict/evaluate of a bare HF model) refuses a checkpoint that would need re-initialised
 * tensors, naming both channel counts; training adapts it and lists what was re-initialised.
 */
import { describe, expect, it } from 'vitest';
import { initialNetwork } from '../../../src-main/engine/ttm/study-model.js';
import { randomTtmConfig } from '../../../src-main/engine/ttm/adapt.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { initializeTtmWeights } from '../../../src-main/engine/ttm/init.js';
import { parseTtmConfig } from '../../../src-main/engine/ttm/ttm-config.js';
import { fixturePath } from '../ttm/fixtures.js';

function mixChannelBase(channels: number) {
  const config = randomTtmConfig(64, 16, 'small', { num_input_channels: channels, decoder_mode: 'mix_channel' });
  return { config, weights: initializeTtmWeights(config, 3) };
}

const zeroShot = parseTtmConfig({ trainingMode: 'zero_shot', numEpochs: 0, modelPath: '/base', contextLength: 64, forecastLength: 16 });
const fineTune = parseTtmConfig({ trainingMode: 'fine_tune', numEpochs: 1, modelPath: '/base', contextLength: 64, forecastLength: 16 });

describe('initialNetwork with a base model made for other channels', () => {
  it('zero-shot refuses a mix-channel checkpoint for 31 channels on 1-channel data, naming both counts', () => {
    const base = mixChannelBase(31);
    let error: unknown;
    try {
      initialNetwork(zeroShot, base);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect((error as { code?: string }).code).toBe('INVALID_INPUT');
    expect(message).toMatch(/31 input channels with a mix_channel decoder/);
    expect(message).toMatch(/gives it 1 channel \(bg_mM\)/);
    expect(message).toMatch(/re-initialise \d+ tensors/);
  });

  it('zero-shot refuses an exogenous checkpoint the same way', async () => {
    const ck = await loadCheckpoint(fixturePath('r2_mixchannel_exog', ''));
    const cfg = parseTtmConfig({ trainingMode: 'zero_shot', numEpochs: 0, modelPath: '/base', contextLength: 512, forecastLength: 96 });
    expect(() => initialNetwork(cfg, { config: ck.config, weights: ck.weights })).toThrow(
      /4 input channels with a mix_channel decoder and exogenous channels; this data gives it 1 channel/,
    );
  });

  it('zero-shot keeps a common-channel checkpoint as it is, whatever its channel count', async () => {
    const ck = await loadCheckpoint(fixturePath('tiny', ''));
    const net = initialNetwork(zeroShot, { config: ck.config, weights: ck.weights });
    expect(net.reinitialized).toEqual([]);
    for (const [name, t] of net.weights) expect(t).toBe(ck.weights.get(name));
  });

  it('training adapts the mix-channel checkpoint and lists the re-initialised tensors with their shapes', () => {
    const base = mixChannelBase(31);
    const net = initialNetwork(fineTune, base);
    expect(net.config.num_input_channels).toBe(1);
    expect(net.reinitialized.length).toBeGreaterThan(0);
    for (const t of net.reinitialized) {
      expect(t.name).toMatch(/decoder|head/);
      expect(t.from === null || t.from.join('x') !== t.to.join('x')).toBe(true);
    }
  });
});
