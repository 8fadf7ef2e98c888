/**
 * 업종 (industry type), R-F1 / R-O2: the mandatory high-risk types, events
 * (R-F9), or "기타 / other" with a sub-type.
 */
export const INDUSTRIES = {
  club: "클럽 / club",
  room_salon: "룸살롱 / room salon",
  colatec: "콜라텍 / colatec",
  danran_bar: "단란주점 / danran bar",
  hunting_pocha: "헌팅포차 / hunting pocha",
  gamseong_pub: "감성주점 / gamseong pub",
  karaoke: "노래연습장 / karaoke",
  indoor_group_exercise: "실내 집단운동 / indoor group exercise",
  standing_concert: "실내 스탠딩공연장 / indoor standing concert hall",
  large_academy: "대형학원(300인 이상) / large academy (300+)",
  pc_bang: "PC방(수도권) / PC bang (capital area)",
  door_to_door_sales: "방문판매 홍보관 / door-to-door sales hall",
  logistics_centre: "물류센터 / logistics centre",
  buffet: "뷔페 / buffet",
  event: "행사 / event",
  other: "기타 / other",
} as const;

export type Industry = keyof typeof INDUSTRIES;
export const INDUSTRY_CODES = Object.keys(INDUSTRIES) as [Industry, ...Industry[]];
