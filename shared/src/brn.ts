/**
 * 사업자등록번호 (business registration number), R-F1: 10 digits, the last a
 * check digit. Weights 1,3,7,1,3,7,1,3,5 over the first nine digits, plus
 * floor(d9 × 5 / 10); check = (10 − sum mod 10) mod 10.
 */
const WEIGHTS = [1, 3, 7, 1, 3, 7, 1, 3, 5] as const;

/** Accepts "1248100998" or "124-81-00998"; returns the 10 digits, or null. */
export function normalizeBusinessNumber(input: string): string | null {
  const m = /^(\d{3})-?(\d{2})-?(\d{5})$/.exec(input.trim());
  return m ? m[1]! + m[2]! + m[3]! : null;
}

export function isValidBusinessNumber(input: string): boolean {
  const digits = normalizeBusinessNumber(input);
  if (!digits) return false;
  const d = [...digits].map(Number);
  let sum = WEIGHTS.reduce((acc, w, i) => acc + w * d[i]!, 0);
  sum += Math.floor((d[8]! * 5) / 10);
  return (10 - (sum % 10)) % 10 === d[9];
}

/** "1248100998" → "124-81-00998" */
export function formatBusinessNumber(digits: string): string {
  return `${digits.slice(0, 3)}-${digits.slice(3, 5)}-${digits.slice(5)}`;
}
