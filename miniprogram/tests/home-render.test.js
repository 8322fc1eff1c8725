// Renders the home page's own WXML with its components, as the member sees it, in each state.
const { cardsFrom, todosFrom, entriesFrom } = require('../pages/home/logic');
const { renderWithComponents, textOf, find } = require('./render');
const { saveScreen } = require('./screen');

const NOW = new Date('2026-11-24T00:00:00Z');
const HOME = {
  member_name: '张三',
  branch_name: '甲一支部',
  features: ['meetings'],
  next_meeting: { id: 7, title: '十一月主题党日', starts_at: '2026-11-24T01:00:00+00:00' },
  todos: [
    { action: 'checkin', meeting: { id: 7, title: '十一月主题党日', starts_at: '2026-11-24T01:00:00+00:00', place: '三楼会议室' } },
    { action: 'leave_pending', meeting: { id: 8, title: '党小组会', starts_at: '2026-11-25T06:30:00+00:00', place: '' } },
  ],
};

function ready(home, extra = {}) {
  return {
    state: 'ready',
    greeting: `${home.member_name}同志，您好`,
    branch: home.branch_name,
    entries: entriesFrom(home),
    todos: todosFrom(home, NOW),
    cards: cardsFrom(home, NOW),
    ...extra,
  };
}

afterEach(() => {
  delete global.getApp;
});

test('loading: the greeting block and 加载中, nothing pretended', () => {
  const comp = renderWithComponents('home', { state: 'loading' });
  expect(textOf(comp, '.greeting')).toBe('欢迎使用电子党务');
  expect(textOf(comp, '.page-state__text')).toBe('加载中…');
  expect(find(comp, '.grid')).toBeNull();
  saveScreen(comp, 'home', 'loading');
});

test('error: the reason and 重新加载', () => {
  const comp = renderWithComponents('home', { state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
  expect(textOf(comp, '.page-state__text')).toBe('网络不给力，请检查网络后重试');
  expect(textOf(comp, '.page-state__retry')).toBe('重新加载');
  saveScreen(comp, 'home', 'error');
});

test('ready: quick entries, to-dos and the next meeting; no card for features not there', () => {
  const comp = renderWithComponents('home', ready(HOME));
  expect(textOf(comp, '.greeting')).toBe('张三同志，您好');
  expect(comp.querySelectorAll('.entry__label').map((e) => e.dom.textContent)).toEqual(['扫码签到', '会议', '签到码', '我的出勤']);
  expect(comp.querySelectorAll('.todo').map((t) => t.dom.textContent.replace(/\s+/g, ''))).toEqual([
    '十一月主题党日今天09:00·三楼会议室待签到',
    '党小组会明天14:30请假待审批',
  ]);
  expect([...comp.dom.querySelectorAll('.main--card__title')].map((c) => c.textContent)).toEqual(['下次会议']);
  expect(comp.dom.textContent).not.toContain('党费');
  saveScreen(comp, 'home', 'ready');
});

test('nothing to do: says so plainly', () => {
  const comp = renderWithComponents('home', ready({ ...HOME, todos: [], next_meeting: null }));
  expect(textOf(comp, '.todo-none')).toBe('今明两天没有需要您处理的事项');
  expect(textOf(comp, '.card__empty')).toBe('近期没有会议安排');
  saveScreen(comp, 'home', 'empty');
});

test('features that have landed: their entries and cards', () => {
  const home = { ...HOME, features: ['meetings', 'dues', 'study', 'newspaper'], unpaid_dues_fen: 4550 };
  const comp = renderWithComponents('home', ready(home));
  expect(comp.querySelectorAll('.entry__label').map((e) => e.dom.textContent)).toContain('手机报');
  expect([...comp.dom.querySelectorAll('.main--card__title')].map((c) => c.textContent)).toEqual(['下次会议', '待缴党费']);
  expect(comp.dom.textContent).toContain('45.50 元');
  saveScreen(comp, 'home', 'all-features');
});

test('offline with the last home kept: the banner and the stale note', () => {
  global.getApp = () => ({ watchNetwork: (listener) => (listener(false), () => {}) });
  const comp = renderWithComponents('home', ready(HOME, { stale: true }));
  expect(textOf(comp, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
  expect(textOf(comp, '.stale')).toBe('网络不给力，显示的是上次加载的内容，下拉可刷新');
  saveScreen(comp, 'home', 'offline');
});
