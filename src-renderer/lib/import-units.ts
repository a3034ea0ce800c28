/**
 * Files whose declared glucose unit contradicts their values (a Clarity export whose header
 * says mmol/L over mg/dL numbers): the import wizard stops and asks before importing them.
 * The engine's detection names them with this reason (a unit test keeps the two in step).
 */
export const MISLABELLED_UNIT_REASON = 'the glucose values are mg/dL although the header says mmol/L';

export function mislabelledFiles(detections: readonly { file: string; reasons: readonly string[] }[]): string[] {
  return detections.filter((d) => d.reasons.includes(MISLABELLED_UNIT_REASON)).map((d) => d.file);
}
