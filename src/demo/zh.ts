/**
 * The Chinese slice of the demo (`fusionrec demo --lang zh`): shop and video items with Chinese
 * titles in four tastes, and simulated users who shop and watch in Chinese, so the dashboard shows
 * Chinese interests, labels (segmented by jieba) and explanations. Invented for the demo. Drawn
 * from its own random stream and appended after the English demo, which stays exactly as it is.
 */
import { seededRandom } from '../core/rng.ts';
import type { Event, Item, User } from '../core/types.ts';

interface ZhTheme {
  id: string;
  label: string;
  shopCategory: string;
  /** [title, leaf category, tags] */
  shop: [string, string, string[]][];
  /** [title, caption, minutes] */
  video: [string, string, number][];
}

const ZH_THEMES: ZhTheme[] = [
  {
    id: 'zh-kitchen',
    label: '厨房烹饪',
    shopCategory: '厨房用品',
    shop: [
      ['不粘炒锅 32厘米 燃气电磁炉通用', '炒锅', ['炒锅', '不粘锅', '厨具']],
      ['铸铁平底锅 煎牛排专用', '平底锅', ['平底锅', '铸铁', '煎锅']],
      ['德式不锈钢菜刀 切片刀', '刀具', ['菜刀', '刀具', '不锈钢']],
      ['竹制砧板 加厚 双面可用', '砧板', ['砧板', '竹制', '厨具']],
      ['电饭煲 4升 智能预约', '电饭煲', ['电饭煲', '小家电', '煮饭']],
    ],
    video: [
      ['十分钟学会宫保鸡丁', '炒锅里翻炒的鸡丁和花生', 10],
      ['家常红烧肉的做法', '砂锅里炖着红亮的五花肉', 15],
      ['新手如何开锅养锅', '铁锅在火上冒着青烟', 8],
    ],
  },
  {
    id: 'zh-outdoor',
    label: '户外徒步',
    shopCategory: '运动户外',
    shop: [
      ['防水登山鞋 男款 耐磨防滑', '登山鞋', ['登山鞋', '徒步', '防水']],
      ['双层防雨帐篷 三到四人', '帐篷', ['帐篷', '露营', '防雨']],
      ['碳纤维登山杖 伸缩折叠', '登山杖', ['登山杖', '徒步', '轻量']],
      ['户外冲锋衣 三合一 防风保暖', '冲锋衣', ['冲锋衣', '防风', '保暖']],
      ['40升登山背包 带防雨罩', '背包', ['背包', '登山', '徒步']],
    ],
    video: [
      ['徒步武功山 两天一夜全记录', '山脊上的徒步队伍和云海', 25],
      ['露营新手装备清单', '草地上搭好的帐篷和炉具', 12],
      ['如何挑选一双合脚的登山鞋', '一排登山鞋摆在木桌上', 9],
    ],
  },
  {
    id: 'zh-tea',
    label: '中国茶',
    shopCategory: '茶饮冲调',
    shop: [
      ['明前西湖龙井 绿茶 250克', '绿茶', ['龙井', '绿茶', '春茶']],
      ['云南普洱熟茶 七子饼', '普洱', ['普洱', '熟茶', '茶饼']],
      ['安溪铁观音 清香型', '乌龙茶', ['铁观音', '乌龙茶', '清香']],
      ['宜兴紫砂壶 手工 西施壶', '茶具', ['紫砂壶', '茶具', '手工']],
      ['白瓷盖碗茶具套装', '茶具', ['盖碗', '茶具', '白瓷']],
    ],
    video: [
      ['功夫茶的冲泡步骤', '紫砂壶和小茶杯摆在茶盘上', 11],
      ['龙井茶的采摘与炒制', '茶园里采茶的手和竹篓', 18],
      ['普洱茶怎么存放', '一排茶饼放在木架上', 7],
    ],
  },
  {
    id: 'zh-fitness',
    label: '健身运动',
    shopCategory: '运动健身',
    shop: [
      ['加厚瑜伽垫 防滑 185厘米', '瑜伽垫', ['瑜伽垫', '瑜伽', '防滑']],
      ['可调节哑铃 一对 20公斤', '哑铃', ['哑铃', '力量训练', '家用']],
      ['专业跑步鞋 缓震透气', '跑鞋', ['跑鞋', '跑步', '缓震']],
      ['智能运动手环 心率监测', '手环', ['手环', '心率', '运动']],
      ['乳清蛋白粉 香草味 2磅', '蛋白粉', ['蛋白粉', '增肌', '营养']],
    ],
    video: [
      ['二十分钟居家燃脂训练', '客厅里跳操的教练', 20],
      ['新手跑步入门 配速怎么定', '清晨公园跑道上的跑者', 13],
      ['哑铃全身力量训练', '健身房里举哑铃的人', 16],
    ],
  },
];

const ZH_NAMES = [
  '小明',
  '小红',
  '阿伟',
  '丽丽',
  '大鹏',
  '婷婷',
  '志强',
  '晓燕',
  '建国',
  '思思',
  '浩然',
  '雨涵',
];
const DAY = 24 * 3600 * 1000;

function pick<T>(rng: () => number, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)]!;
}

/** Items, users and events of the Chinese slice; deterministic for a seed and `now`. */
export function chineseSlice(opts: { seed: number; now: number; days: number; users?: number }): {
  items: Item[];
  users: User[];
  events: Event[];
} {
  // its own stream: the English demo's draws are untouched
  const rng = seededRandom(opts.seed ^ 0x7a68);
  const { now } = opts;
  const created = () => now - Math.floor(rng() * 60) * DAY - Math.floor(rng() * DAY);
  const items: Item[] = [];
  const byTheme = new Map<string, { shop: Item[]; video: Item[] }>();
  for (const t of ZH_THEMES) {
    const shop = t.shop.map(
      ([title, leaf, tags], k): Item => ({
        id: `shop-${t.id}-${k + 1}`,
        scenario: 'shop',
        title,
        description: `${title}。适合喜欢${t.label}的人。`,
        category: [t.shopCategory, leaf],
        tags,
        attributes: { price: Math.round(20 + rng() * 800) + 0.9, theme: t.id, lang: 'zh' },
        createdAt: created(),
        available: true,
      }),
    );
    const video = t.video.map(
      ([title, caption, minutes], k): Item => ({
        id: `video-${t.id}-${k + 1}`,
        scenario: 'video',
        title,
        description: `${title}（${minutes}分钟）`,
        category: ['视频', t.label],
        attributes: { minutes, theme: t.id, lang: 'zh' },
        image: { caption },
        createdAt: created(),
        available: true,
      }),
    );
    items.push(...shop, ...video);
    byTheme.set(t.id, { shop, video });
  }
  const users: User[] = [];
  const events: Event[] = [];
  const start = Math.floor(now / DAY) * DAY - opts.days * DAY;
  let n = 0;
  const count = opts.users ?? ZH_NAMES.length;
  for (let i = 0; i < count; i++) {
    const first = ZH_THEMES[i % ZH_THEMES.length]!;
    let second = pick(rng, ZH_THEMES);
    while (second.id === first.id) second = pick(rng, ZH_THEMES);
    const id = `zh-u${String(i + 1).padStart(2, '0')}`;
    users.push({
      id,
      attributes: {
        name: ZH_NAMES[i % ZH_NAMES.length]!,
        tastes: `${first.label} + ${second.label}`,
        lang: 'zh',
      },
    });
    const actions = 15 + Math.floor(rng() * 20);
    for (let a = 0; a < actions; a++) {
      const theme = rng() < 0.7 ? first : second;
      const scenario = rng() < 0.6 ? 'shop' : 'video';
      const item = pick(rng, byTheme.get(theme.id)![scenario]);
      const ts = Math.min(
        now,
        start + Math.floor(rng() * opts.days) * DAY + (12 + Math.floor(rng() * 10)) * 3600_000,
      );
      const context = { device: rng() < 0.8 ? 'mobile' : 'desktop', session: `${id}-s${a % 5}` };
      const emit = (type: string, dt = 0) =>
        events.push({
          id: `demo-zh-e${++n}`,
          user: id,
          item: item.id,
          scenario,
          type,
          ts: Math.min(now, ts + dt),
          context,
        });
      emit('view');
      if (scenario === 'shop' && rng() < 0.3) emit('purchase', 120_000);
      if (scenario === 'video' && rng() < 0.5) emit('complete', 600_000);
    }
  }
  return { items, users, events };
}
