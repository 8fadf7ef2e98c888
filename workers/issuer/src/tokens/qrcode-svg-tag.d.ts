/** `qrcode`'s own SVG renderer (what `QRCode.toString(…, { type: "svg" })` calls), drawing a symbol already made. */
declare module "qrcode/lib/renderer/svg-tag.js" {
  import type { QRCode, QRCodeToStringOptions } from "qrcode";
  export function render(qrData: QRCode, options?: QRCodeToStringOptions): string;
}
