/**
 * The QR picture the wallet shows: SVG (crisp at any size), level M as the
 * protocol assumes (version 8, docs/protocol.md §1.5). The token is all QR
 * alphanumeric characters ("KP1:" + base45), so it is handed over as one
 * alphanumeric segment: the library's automatic segmentation would find the
 * same segment but costs about 3 ms of CPU per token (bench/issuer.bench.ts).
 *
 * The mask is the one the standard's penalty rules choose, exactly as
 * `qrcode` chooses it by itself, and the picture is the library's own SVG
 * (tests compare both with `QRCode.toString`). The symbol is encoded once,
 * under mask 0; all eight masks are scored in one pass (`bestMask`), the
 * chosen one is applied to that symbol, and the library's SVG renderer draws
 * it: 0.45 ms per picture instead of the library's 1.30 ms (Node, same
 * machine) — the QR is the token endpoint's largest CPU cost.
 */
import QRCode, { type QRCodeMaskPattern } from "qrcode";
import { render } from "qrcode/lib/renderer/svg-tag.js";

const LEVEL = "M";

export function qrSvg(token: string): string {
  const symbol = QRCode.create([{ data: token, mode: "alphanumeric" }], { errorCorrectionLevel: LEVEL, maskPattern: 0 });
  remask(symbol.modules, bestMask(symbol.modules));
  return render(symbol, { margin: 2 });
}

/** What `bestMask` reads of the library's BitMatrix: one byte per module, and which modules are function patterns. */
interface Matrix {
  size: number;
  data: Uint8Array;
  reservedBit: Uint8Array;
}

const MASKS: ((i: number, j: number) => boolean)[] = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i * j) % 3) + ((i + j) % 2)) % 2 === 0,
];

/** Format information for level M (bits 00) and `mask`: BCH(15,5), then XOR 101010000010010 (ISO/IEC 18004 §7.9). */
export function formatBits(mask: number): number {
  const data = mask; // level M is 00
  let rem = data << 10;
  for (let bit = 14; bit >= 10; bit--) if (rem & (1 << bit)) rem ^= 0b10100110111 << (bit - 10);
  return ((data << 10) | rem) ^ 0b101010000010010;
}

/** Where each of the 15 format bits goes (both copies), as `qrcode` places them. */
function formatCells(size: number): [number, number][] {
  const cells: [number, number][] = [];
  for (let i = 0; i < 15; i++) {
    const vertical = i < 6 ? i : i < 8 ? i + 1 : size - 15 + i;
    const horizontal = i < 8 ? size - i - 1 : i < 9 ? 15 - i : 15 - i - 1;
    cells.push([vertical * size + 8, 8 * size + horizontal]);
  }
  return cells;
}

/**
 * Bit-sliced scoring: each module is one byte whose bit p is its colour under
 * mask p, so one pass over the symbol scores all eight masks. Per symbol size
 * (one version), worked out once: the flips (bit p set where mask p inverts a
 * data module) and the format modules with their byte (bit p: the format bit
 * written for mask p).
 */
interface Layout {
  flips: Uint8Array;
  format: { cell: number; byte: number }[];
}
const layouts = new Map<number, Layout>();

function layoutOf(m: Matrix): Layout {
  let layout = layouts.get(m.size);
  if (!layout) {
    const { size, reservedBit } = m; // the same for every symbol of one version
    const flips = new Uint8Array(size * size);
    for (let i = 0, k = 0; i < size; i++) for (let j = 0; j < size; j++, k++) if (!reservedBit[k]) MASKS.forEach((mask, p) => (flips[k]! |= mask(i, j) ? 1 << p : 0));
    const format = formatCells(size).flatMap(([vertical, horizontal], b) => {
      let byte = 0;
      for (let p = 0; p < 8; p++) byte |= ((formatBits(p) >> b) & 1) << p;
      return [{ cell: vertical, byte }, { cell: horizontal, byte }];
    });
    layout = { flips, format };
    layouts.set(size, layout);
  }
  return layout;
}

/** Turns a symbol encoded under mask 0 into the same symbol under `mask`: data modules and format information. */
function remask(m: Matrix, mask: QRCodeMaskPattern): void {
  const { data } = m;
  const { flips, format } = layoutOf(m);
  for (let k = 0; k < data.length; k++) data[k] = data[k]! ^ ((flips[k]! ^ (flips[k]! >> mask)) & 1);
  for (const { cell, byte } of format) data[cell] = (byte >> mask) & 1;
}

/** The mask with the lowest penalty N1 + N2 + N3 + N4, scored as `qrcode`'s getBestMask scores it. */
export function bestMask(m: Matrix): QRCodeMaskPattern {
  const { size, data } = m;
  const { flips, format } = layoutOf(m);
  // `data` carries mask 0: a module's colour under mask p is data ^ flip0 ^ flipP.
  const g = new Uint8Array(size * size);
  for (let k = 0; k < g.length; k++) g[k] = ((data[k]! ^ flips[k]!) & 1 ? 0xff : 0) ^ flips[k]!;
  for (const { cell, byte } of format) g[cell] = byte;
  // Histograms of per-mask bit sets; totals per mask are read off them at the end.
  const counts = { runs: new Uint32Array(256), runStarts: new Uint32Array(256), finders: new Uint32Array(256), blocks: new Uint32Array(256), dark: new Uint32Array(256) };
  for (let a = 0; a < size; a++) {
    scoreLine(g, a * size, 1, size, counts); // row a
    scoreLine(g, a, size, size, counts); // column a
  }
  for (let k = 0; k < g.length; k++) counts.dark[g[k]!]!++;
  for (let i = 0; i < size - 1; i++) {
    for (let j = 0, k = i * size; j < size - 1; j++, k++) {
      const v = g[k]!;
      counts.blocks[~(v ^ g[k + 1]!) & ~(v ^ g[k + size]!) & ~(v ^ g[k + size + 1]!) & 0xff]!++; // N2: one colour
    }
  }
  let best: QRCodeMaskPattern = 0;
  let lowest = Infinity;
  for (let p = 0; p < 8; p++) {
    const total = (h: Uint32Array) => {
      let n = 0;
      for (let v = 1; v < 256; v++) if ((v >> p) & 1) n += h[v]!;
      return n;
    };
    const n1 = total(counts.runs) + 2 * total(counts.runStarts); // a run of L ≥ 5 scores 3 + (L − 5): L − 4 windows of 5, plus 2
    const n4 = Math.abs(Math.ceil((total(counts.dark) * 100) / (size * size) / 5) - 10);
    const score = n1 + total(counts.blocks) * 3 + total(counts.finders) * 40 + n4 * 10;
    if (score < lowest) {
      lowest = score;
      best = p as QRCodeMaskPattern;
    }
  }
  return best;
}

/** N1 (windows of 5 alike, and where such runs start) and N3 (1011101 next to 4 light modules) along one row or column. */
function scoreLine(g: Uint8Array, start: number, step: number, size: number, counts: { runs: Uint32Array; runStarts: Uint32Array; finders: Uint32Array }): void {
  let prev = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let window5 = 0;
  // The last 11 modules, oldest first.
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0, c8 = 0, c9 = 0, c10 = 0; // prettier-ignore
  for (let b = 0, k = start; b < size; b++, k += step) {
    const cur = g[k]!;
    const same = b === 0 ? 0 : ~(cur ^ prev) & 0xff;
    const alike5 = same & s1 & s2 & s3; // modules b−4 … b one colour
    counts.runs[alike5]!++;
    counts.runStarts[alike5 & ~window5]!++;
    window5 = alike5;
    s3 = s2;
    s2 = s1;
    s1 = same;
    prev = cur;
    c0 = c1; c1 = c2; c2 = c3; c3 = c4; c4 = c5; c5 = c6; c6 = c7; c7 = c8; c8 = c9; c9 = c10; c10 = cur; // prettier-ignore
    if (b >= 10) {
      const dark1011101then4Light = c0 & ~c1 & c2 & c3 & c4 & ~c5 & c6 & ~c7 & ~c8 & ~c9 & ~c10;
      const light4then1011101 = ~c0 & ~c1 & ~c2 & ~c3 & c4 & ~c5 & c6 & c7 & c8 & ~c9 & c10;
      counts.finders[(dark1011101then4Light | light4then1011101) & 0xff]!++;
    }
  }
}
