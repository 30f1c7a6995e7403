import { describe, expect, test } from 'vitest';
import { riskOf, riskScore } from './card.js';

describe('risk score anchored at the model\'s thresholds', () => {
  const thresholds = { medium: 0.05, high: 0.2 };

  test('maps 0, MEDIUM, HIGH and 1 to 0, 50, 80 and 100, linearly in between', () => {
    expect(riskScore(0, thresholds)).toBe(0);
    expect(riskScore(0.05, thresholds)).toBeCloseTo(50, 12);
    expect(riskScore(0.2, thresholds)).toBeCloseTo(80, 12);
    expect(riskScore(1, thresholds)).toBe(100);
    expect(riskScore(0.025, thresholds)).toBeCloseTo(25, 12);
    expect(riskScore(0.125, thresholds)).toBeCloseTo(65, 12);
    expect(riskScore(0.6, thresholds)).toBeCloseTo(90, 12);
  });

  test('is monotone, and the integer score is above 80 exactly when the level is HIGH', () => {
    let previous = -1;
    for (let i = 0; i <= 10_000; i++) {
      const p = i / 10_000;
      const { risk_score, risk_level } = riskOf(p, thresholds);
      expect(risk_score).toBeGreaterThanOrEqual(previous);
      previous = risk_score;
      expect(risk_level === 'HIGH').toBe(risk_score > 80);
      expect(risk_level !== 'LOW').toBe(risk_score > 50);
    }
  });

  test('rounding never carries a score across a level boundary', () => {
    expect(riskOf(0.2, thresholds)).toEqual({ risk_score: 80, risk_level: 'MEDIUM' });
    expect(riskOf(0.2 + 1e-9, thresholds)).toEqual({ risk_score: 81, risk_level: 'HIGH' });
    expect(riskOf(0.05, thresholds)).toEqual({ risk_score: 50, risk_level: 'LOW' });
    expect(riskOf(0.05 + 1e-9, thresholds)).toEqual({ risk_score: 51, risk_level: 'MEDIUM' });
  });

  test('cards with the former fixed thresholds (0.5, 0.8) keep score = round(probability x 100)', () => {
    for (const p of [0.03, 0.42, 0.5, 0.51, 0.79, 0.8, 0.87, 1]) expect(riskOf(p, { medium: 0.5, high: 0.8 }).risk_score).toBe(Math.round(p * 100));
  });
});
