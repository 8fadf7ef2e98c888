/**
 * A camera for Chromium's --use-file-for-fake-video-capture: a Y4M video
 * (YUV 4:2:0) of a QR code drawn large and sharp on white, as a phone screen
 * held 20–30 cm from an entrance tablet would look. Chromium loops it.
 */
import { writeFileSync } from "node:fs";
import QRCode from "qrcode";

const WIDTH = 640;
const HEIGHT = 480;

export function writeQrVideo(path: string, text: string, frames = 10): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  const quiet = 4;
  const scale = Math.floor((HEIGHT - 20) / (size + 2 * quiet));
  const side = (size + 2 * quiet) * scale;
  const left = Math.floor((WIDTH - side) / 2);
  const top = Math.floor((HEIGHT - side) / 2);
  const y = new Uint8Array(WIDTH * HEIGHT).fill(235); // white
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      if (!qr.modules.get(r, c)) continue;
      for (let dy = 0; dy < scale; dy++) {
        const row = (top + (r + quiet) * scale + dy) * WIDTH + left + (c + quiet) * scale;
        y.fill(16, row, row + scale); // black
      }
    }
  }
  const chroma = new Uint8Array((WIDTH / 2) * (HEIGHT / 2)).fill(128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}
