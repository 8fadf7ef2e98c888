/**
 * QR decoding from the camera: the browser's BarcodeDetector where it has
 * one (Android, ChromeOS, macOS), else the bundled jsQR decoder — so every
 * tablet at an entrance can scan, offline from any CDN.
 */
import jsQR from "jsqr";

export interface QrDecoder {
  readonly kind: "barcode-detector" | "jsqr";
  decode(video: HTMLVideoElement): Promise<string | null>;
}

interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
interface BarcodeDetectorStatic {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

export async function createDecoder(): Promise<QrDecoder> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorStatic }).BarcodeDetector;
  const formats: string[] = Detector ? await Detector.getSupportedFormats().catch(() => []) : [];
  if (Detector && formats.includes("qr_code")) {
    const detector = new Detector({ formats: ["qr_code"] });
    return {
      kind: "barcode-detector",
      decode: async (video) => (await detector.detect(video).catch(() => []))[0]?.rawValue ?? null,
    };
  }
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  return {
    kind: "jsqr",
    decode: async (video) => {
      if (video.readyState < 2 || video.videoWidth === 0) return null;
      // Decode at most 800 px wide: enough for a phone-screen QR at 20–30 cm, fast on a tablet.
      const scale = Math.min(1, 800 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      return jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" })?.data ?? null;
    },
  };
}
