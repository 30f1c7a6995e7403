/**
 * The promotion gate: a candidate replaces production only if its holdout ROC-AUC is not worse
 * than production's ON THE SAME HOLDOUT by more than the tolerance. The first model passes.
 */
export interface GateDecision {
  readonly promote: boolean;
  readonly reason: string;
}

export function promotionDecision(candidateAuc: number, productionAucOnSameHoldout: number | undefined, tolerance: number): GateDecision {
  if (productionAucOnSameHoldout === undefined) return { promote: true, reason: 'first model: no production model to compare with' };
  const drop = productionAucOnSameHoldout - candidateAuc;
  const figures = `candidate ROC-AUC ${candidateAuc.toFixed(4)} vs production ${productionAucOnSameHoldout.toFixed(4)} on the same holdout`;
  if (drop > tolerance) return { promote: false, reason: `refused: ${figures}, worse by ${drop.toFixed(4)} > tolerance ${tolerance}` };
  return { promote: true, reason: `accepted: ${figures} (tolerance ${tolerance})` };
}
