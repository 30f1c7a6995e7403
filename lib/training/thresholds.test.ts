import { describe, expect, test } from 'vitest';
import { syntheticDeviceDays } from '../ml/synthetic.js';
import { riskOf } from '../registry/card.js';
import { fitFailureModel } from './fit.js';
import { MEDIUM_TARGET_RECALL } from './thresholds.js';

describe('risk thresholds chosen on validation', () => {
  // A wear-driven failure signal at a few percent of device-days: calibrated probabilities stay
  // well below 0.8, which is why the thresholds are operating points and not fixed numbers.
  const data = syntheticDeviceDays({ devices: 300, days: 70, seed: 3 });
  const fit = fitFailureModel(
    { data: data.dataset, featureDays: data.featureDay, devices: Array.from(data.device, String), labelObserved: data.labelObserved },
    undefined,
    { holdoutDays: 14, validationDays: 14 },
  );
  const { thresholds, validation } = fit.thresholds;

  test('HIGH maximises F1 and MEDIUM reaches the stated recall on validation, below HIGH', () => {
    expect(0).toBeLessThan(thresholds.medium);
    expect(thresholds.medium).toBeLessThan(thresholds.high);
    expect(thresholds.high).toBeLessThan(0.8);
    expect(validation.high.f1).toBeGreaterThan(0);
    expect(validation.medium.recall).toBeGreaterThanOrEqual(MEDIUM_TARGET_RECALL);
    expect(thresholds.rule?.high).toContain('F1');
  });

  test('the holdout sees HIGH: failures flagged with a lead time, and HIGH means a score above 80', () => {
    expect(fit.metrics.threshold).toBe(thresholds.high);
    expect(fit.metrics.recall).toBeGreaterThan(0);
    expect(fit.metrics.precision).toBeGreaterThan(0);
    expect(fit.leadTime.detected).toBeGreaterThan(0);
    expect(fit.leadTime.medianDays).toBeGreaterThanOrEqual(1);
    expect(fit.atMedium.metrics.recall).toBeGreaterThanOrEqual(fit.metrics.recall);
    expect(riskOf(thresholds.high, thresholds).risk_score).toBe(80);
    expect(riskOf(thresholds.medium, thresholds).risk_score).toBe(50);
    for (const p of fit.holdoutProbabilities) {
      const { risk_score, risk_level } = riskOf(p, thresholds);
      expect(risk_level === 'HIGH').toBe(risk_score > 80);
    }
  });
});
