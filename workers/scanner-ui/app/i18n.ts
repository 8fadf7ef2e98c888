/** Korean first, English beside it (toggle in the header, remembered on the device). */
const en: Record<string, string> = {
  brand: "KI-Pass entry log",
  "nav.scan": "Scan", "nav.dashboard": "Hourly counts", "nav.staff": "Staff & devices", "nav.register": "Register", "nav.login": "Log in", "nav.approver": "Approvals", "nav.logout": "Log out",
  "home.title": "Electronic entry log for facilities",
  "home.body": "Register your facility, log in, and scan visitors' QR codes. You see only visitor counts by hour — never who visited.",
  "login.title": "Log in", "login.id": "ID", "login.password": "Password", "login.submit": "Log in",
  "register.title": "Register a facility", "register.terms": "Terms", "register.agree": "I agree to the terms of use and the handling of facility information.",
  "register.phone": "Manager's mobile phone", "register.sendCode": "Send code", "register.code": "6-digit code", "register.verify": "Verify", "register.verified": "Phone verified.",
  "register.name": "Business name", "register.number": "Business registration number", "register.noNumber": "I have no business registration number (approval by the local government is needed)",
  "register.rep": "Representative", "register.bizPhone": "Business phone", "register.industry": "Industry type", "register.industryDetail": "Sub-type (for other)",
  "register.eventFrom": "Event from", "register.eventTo": "Event to",
  "register.sido": "Province / city (시·도)", "register.choose": "Choose", "register.sigungu": "District (시·군·구)", "register.address": "Address", "register.addressDetail": "Detailed address (floor, entrance)",
  "register.loginId": "Login ID", "register.password": "Password (8+ characters)", "register.submit": "Register",
  "register.verifyFirst": "Verify your phone first.",
  "register.badNumber": "The check digit does not match: please check the number.",
  "register.done": "Registered. You can log in now.", "register.pending": "Registered. Your facility can scan once the local government approves it.",
  "staff.title": "Staff and entrance devices", "staff.add": "Add staff / device", "staff.description": "Description (e.g. main entrance)", "staff.remove": "Remove", "staff.none": "No staff accounts yet.",
  "scan.start": "Start scanning", "scan.camera": "Camera", "scan.rear": "Rear", "scan.front": "Front", "scan.exit": "Exit",
  "scan.ready": "Hold the QR code in front of the camera", "scan.ok": "Verified", "scan.expired": "This QR code has expired. Please show a new one.",
  "scan.used": "This QR code was already used at another facility.", "scan.invalid": "This is not a valid entry QR code.",
  "scan.noCamera": "The camera could not be opened. Allow camera access.", "scan.suspended": "This facility cannot scan right now (pending or suspended).", "scan.loggedOut": "This device is no longer signed in.",
  "scan.unavailable": "The QR code cannot be checked right now. Please scan again in a moment.",
  "scan.collectionStopped": "The electronic entry log is not running now (collection suspended or ended).",
  "scan.notYetValid": "The QR code's time is wrong. Check the clock on the visitor's phone.",
  "login.loggedOut": "This device was signed out. Please log in again.",
  "dash.title": "Visitors by hour", "dash.day": "Day", "dash.total": "Total", "dash.range": "Date range", "dash.from": "From", "dash.to": "To", "dash.show": "Show",
  "dash.only": "Only counts exist here: the registry never shows a facility who visited (R-F8).",
  "approver.title": "Facilities awaiting approval", "approver.approve": "Approve", "approver.reject": "Reject", "approver.reason": "Reason for rejecting", "approver.none": "Nothing is waiting.",
  "approver.needReason": "Enter a reason to reject this facility.",
  "report.title": "A facility registered under your business number", "report.noCode": "This report link is not valid. Open the link from your text message as it is.",
  "report.submit": "I did not register this — report it", "report.registeredAt": "registered",
  "report.explain": "If you did not register this facility, report it. It is suspended at once and reviewed by its local government.",
  "error.network": "No network. Check Wi-Fi or mobile data.",
  "error.server": "The server has a temporary problem. Please try again in a moment.",
  "register.later": "Registered. You can log in now; scanning works within a minute.",
  "applied.later": "Recorded. Scanners follow within a minute.",
  "error.config": "The entry log server cannot be reached. Check the internet connection and try again.", "error.retry": "Try again",
  "nav.paper": "Paper log", "paper.consentTitle": "Consent form (form 1), printable", "paper.logTitle": "Paper entry log, printable",
  "paper.consentLink": "Consent form (form 1)", "paper.logLink": "Paper entry log", "paper.day": "Date of the log",
  "paper.dayHint": "Destroy the sheet the day after the 4 weeks from this date (every entry is then 4 weeks old)", "paper.facility": "Facility name", "paper.print": "Print (A4)",
};

let lang: "ko" | "en" = localStorage.getItem("kp-lang") === "en" ? "en" : "ko";
const ko: Record<string, string> = {};

export function language(): "ko" | "en" {
  return lang;
}

export function setLanguage(next: "ko" | "en"): void {
  lang = next;
  localStorage.setItem("kp-lang", next);
  document.documentElement.lang = next;
}

/** Korean text lives in the markup and page code (the source of truth); English comes from the table above. */
export function t(key: string, korean: string): string {
  ko[key] = korean;
  return lang === "en" ? (en[key] ?? korean) : korean;
}
