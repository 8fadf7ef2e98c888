/**
 * The QR picture the wallet shows: SVG (crisp at any size), level M as the
 * protocol assumes (version 8, docs/protocol.md §1.5). The token is all QR
 * alphanumeric characters ("KP1:" + base45), so it is handed over as one
 * alphanumeric segment: the library's automatic segmentation would find the
 * same segment but costs about 3 ms of CPU per token (bench/issuer.bench.ts).
 */
import QRCode from "qrcode";

export function qrSvg(token: string): Promise<string> {
  return QRCode.toString([{ data: token, mode: "alphanumeric" }], { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}
