/**
 * A seeded generator of demo data: a catalog across shop, music, video and news built from
 * ten tastes (src/demo/catalog.json), and simulated users whose tastes span scenarios. The same seed
 * and `now` always give the same data.
 */
import { seededRandom } from '../core/rng.ts';
import type { Event, Item, Scenario, User } from '../core/types.ts';
import { THEMES, type Theme } from './catalog.ts';
import { chineseSlice } from './zh.ts';

const DEMO_SCENARIOS: Scenario[] = [
  {
    id: 'shop',
    kind: 'ecommerce',
    name: 'Shop',
    eventWeights: { view: 1, click: 1, cart: 3, purchase: 5, like: 3, dislike: -3 },
    allowRepeats: false,
  },
  {
    id: 'music',
    kind: 'music',
    name: 'Music',
    eventWeights: { play: 1, complete: 2, like: 4, skip: -1.5, dislike: -4 },
    allowRepeats: true,
  },
  {
    id: 'video',
    kind: 'video',
    name: 'Video',
    eventWeights: { view: 1, complete: 3, like: 4, skip: -1, dislike: -3 },
    allowRepeats: false,
  },
  {
    id: 'news',
    kind: 'news',
    name: 'News',
    eventWeights: { click: 1, view: 1, share: 3, like: 3, dislike: -3 },
    allowRepeats: false,
  },
];

export interface DemoOptions {
  seed?: number;
  users?: number;
  /** epoch ms the simulated activity ends at (defaults to the current time) */
  now?: number;
  /** days of simulated activity */
  days?: number;
  /** `zh` adds a Chinese slice (shop and video items with Chinese titles, and their users) */
  lang?: 'en' | 'zh';
}

export interface DemoData {
  scenarios: Scenario[];
  items: Item[];
  users: User[];
  events: Event[];
}

const NAMES = [
  'Ava',
  'Ben',
  'Chloe',
  'Diego',
  'Elif',
  'Farah',
  'Gus',
  'Hana',
  'Ivan',
  'Jade',
  'Kofi',
  'Lena',
  'Mateo',
  'Nora',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sami',
  'Tara',
  'Uma',
  'Viktor',
  'Wen',
  'Xavi',
  'Yara',
  'Zoe',
];
const DEVICES = ['mobile', 'desktop', 'tv', 'tablet'] as const;
const HOUR_OF_SCENARIO: Record<string, number[]> = {
  shop: [12, 13, 19, 20, 21],
  music: [7, 8, 17, 18, 22],
  video: [19, 20, 21, 22, 23],
  news: [6, 7, 8, 12],
};
const DAY = 24 * 3600 * 1000;

function pick<T>(rng: () => number, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)]!;
}

function weightedPick<T>(rng: () => number, entries: readonly (readonly [T, number])[]): T {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let r = rng() * total;
  for (const [v, w] of entries) {
    r -= w;
    if (r <= 0) return v;
  }
  return entries[entries.length - 1]![0];
}

function themeItems(theme: Theme, rng: () => number, now: number): Item[] {
  const created = () => now - Math.floor(rng() * 60) * DAY - Math.floor(rng() * DAY);
  const items: Item[] = [];
  theme.shop.forEach(({ name, leaf, tags, caption, visualTags }, k) => {
    items.push({
      id: `shop-${theme.id}-${k + 1}`,
      scenario: 'shop',
      title: name,
      description: `${name}. ${leaf} for people into ${theme.label.toLowerCase()}.`,
      category: [theme.shopCategory, leaf],
      tags,
      attributes: { price: Math.round(5 + rng() * 400) + 0.99, theme: theme.id },
      image: { caption, visualTags },
      createdAt: created(),
      available: true,
    });
  });
  theme.music.forEach(({ title, artist, genre, mood, tempo, instruments }, k) => {
    items.push({
      id: `music-${theme.id}-${k + 1}`,
      scenario: 'music',
      title: `${title} - ${artist}`,
      description: `${title} by ${artist}: a ${mood} ${genre} track at ${tempo} bpm.`,
      category: ['Music', genre],
      tags: [genre, mood],
      attributes: { artist, theme: theme.id },
      audio: { descriptors: { genre, mood, tempo, instruments } },
      createdAt: created(),
      available: true,
    });
  });
  theme.video.forEach(({ title, caption, visualTags, minutes }, k) => {
    items.push({
      id: `video-${theme.id}-${k + 1}`,
      scenario: 'video',
      title,
      description: `${title} (${minutes} min).`,
      category: ['Video', theme.label],
      tags: visualTags.slice(0, 2),
      attributes: { minutes, theme: theme.id },
      image: { caption, visualTags },
      createdAt: created(),
      available: true,
    });
  });
  theme.news.forEach(({ headline, lede }, k) => {
    items.push({
      id: `news-${theme.id}-${k + 1}`,
      scenario: 'news',
      title: headline,
      description: lede,
      category: ['News', theme.newsSection],
      tags: [theme.newsSection.toLowerCase(), theme.label.toLowerCase()],
      attributes: { theme: theme.id },
      createdAt: created(),
      available: true,
    });
  });
  return items;
}

interface Persona {
  user: User;
  tastes: [Theme, number][];
  scenarioUse: [string, number][];
  device: (typeof DEVICES)[number];
}

function persona(i: number, rng: () => number): Persona {
  const first = THEMES[i % THEMES.length]!;
  let second = pick(rng, THEMES);
  while (second.id === first.id) second = pick(rng, THEMES);
  // Every fourth user never reads the news and every fifth never watches video: they arrive in
  // those scenarios cold, known only from their other scenarios.
  const scenarioUse: [string, number][] = [
    ['shop', 0.3 + rng() * 0.3],
    ['music', 0.3 + rng() * 0.4],
    ['video', i % 5 === 4 ? 0 : 0.2 + rng() * 0.3],
    ['news', i % 4 === 3 ? 0 : 0.1 + rng() * 0.2],
  ];
  const name = `${NAMES[i % NAMES.length]}${i >= NAMES.length ? ` ${Math.floor(i / NAMES.length) + 1}` : ''}`;
  return {
    user: {
      id: `u${String(i + 1).padStart(3, '0')}`,
      attributes: { name, tastes: `${first.label} + ${second.label}` },
    },
    tastes: [
      [first, 0.62],
      [second, 0.3],
    ],
    scenarioUse,
    device: pick(rng, DEVICES),
  };
}

/** Builds the whole demo data set in memory; deterministic for a given seed and `now`. */
export function generateDemo(opts: DemoOptions = {}): DemoData {
  const seed = opts.seed ?? 42;
  const now = opts.now ?? Date.now();
  const days = opts.days ?? 30;
  const rng = seededRandom(seed);
  const items = THEMES.flatMap((t) => themeItems(t, rng, now));
  const byThemeScenario = new Map<string, Item[]>();
  for (const it of items) {
    const key = `${it.attributes!.theme}/${it.scenario}`;
    byThemeScenario.set(key, [...(byThemeScenario.get(key) ?? []), it]);
  }
  const personas = Array.from({ length: opts.users ?? 60 }, (_, i) => persona(i, rng));
  const events: Event[] = [];
  let n = 0;
  // days start at UTC midnight, so an event's hour of day is the hour the persona keeps
  const start = Math.floor(now / DAY) * DAY - days * DAY;
  for (const p of personas) {
    const count = 25 + Math.floor(rng() * 35);
    const stamps = Array.from({ length: count }, () => {
      const day = Math.floor(rng() * days);
      return day;
    }).sort((a, b) => a - b);
    let session = 0;
    let lastDay = -1;
    for (const day of stamps) {
      if (day !== lastDay) session++;
      lastDay = day;
      const scenario = weightedPick(rng, p.scenarioUse);
      const offTaste = rng() < 0.1;
      const theme = offTaste ? pick(rng, THEMES) : weightedPick(rng, p.tastes);
      const item = pick(rng, byThemeScenario.get(`${theme.id}/${scenario}`)!);
      const hour = pick(rng, HOUR_OF_SCENARIO[scenario]!);
      let ts = start + day * DAY + hour * 3600_000 + Math.floor(rng() * 3600_000);
      if (ts > now) ts = now - Math.floor(rng() * 3600_000);
      const device = scenario === 'video' && rng() < 0.5 ? 'tv' : rng() < 0.8 ? p.device : pick(rng, DEVICES);
      const context = { device, session: `${p.user.id}-s${session}` };
      const base = { user: p.user.id, item: item.id, scenario, context };
      const emit = (type: string, extra: Partial<Event> = {}, dt = 0) => {
        events.push({ id: `demo-e${++n}`, ...base, type, ts: Math.min(now, ts + dt), ...extra });
      };
      const disliked = offTaste && rng() < 0.5;
      switch (scenario) {
        case 'shop':
          emit('view');
          if (disliked) emit('dislike', {}, 30_000);
          else if (rng() < 0.35) {
            emit('cart', {}, 60_000);
            if (rng() < 0.6) emit('purchase', {}, 120_000);
          }
          break;
        case 'music':
          if (disliked) emit('skip', { value: 5 });
          else {
            emit('play', { value: 1 + Math.floor(rng() ** 2 * 20) });
            if (rng() < 0.25) emit('like', {}, 200_000);
          }
          break;
        case 'video':
          if (disliked) emit('skip', { value: 8 });
          else {
            emit('view');
            if (rng() < 0.5) emit('complete', {}, 600_000);
            if (rng() < 0.2) emit('like', {}, 610_000);
          }
          break;
        default:
          emit('click');
          if (disliked) emit('dislike', {}, 20_000);
          else if (rng() < 0.12) emit('share', {}, 90_000);
      }
    }
  }
  const users = personas.map((p) => p.user);
  if (opts.lang === 'zh') {
    const zh = chineseSlice({ seed, now, days });
    items.push(...zh.items);
    users.push(...zh.users);
    events.push(...zh.events);
  }
  events.sort((a, b) => a.ts - b.ts);
  return { scenarios: DEMO_SCENARIOS, items, users, events };
}
