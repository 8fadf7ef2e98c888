/**
 * What staff and visitors perceive on a successful scan (R-F6): the spoken
 * "인증되었습니다" (speech synthesis with a Korean voice, else the bundled
 * clip), a vibration, and — in the page — a large green confirmation.
 */
const clip = new Audio("verified-ko.wav");

export function announceVerified(lang: "ko" | "en"): void {
  navigator.vibrate?.(200);
  const synth = globalThis.speechSynthesis;
  const voices = synth?.getVoices() ?? [];
  const korean = voices.find((v) => v.lang.toLowerCase().startsWith("ko"));
  if (synth && (korean || lang === "en")) {
    synth.cancel();
    const u = new SpeechSynthesisUtterance(lang === "en" && !korean ? "Verified" : "인증되었습니다");
    try {
      if (korean) u.voice = korean;
    } catch {
      /* a voice object the engine does not accept: the lang below still selects Korean */
    }
    u.lang = korean ? "ko-KR" : "en-US";
    synth.speak(u);
    return;
  }
  clip.currentTime = 0;
  void clip.play().catch(() => undefined);
}

export function announceRefused(): void {
  navigator.vibrate?.([80, 60, 80]);
}
