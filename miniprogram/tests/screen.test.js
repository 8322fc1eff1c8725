// The phone-screenshot hook (screen.js): what it saves is the page as the phone would show it.
const fs = require('fs');
const os = require('os');
const path = require('path');
const simulate = require('miniprogram-simulate');
const { saveScreen, screenHtml, rpxToPx } = require('./screen');

const ROOT = path.join(__dirname, '..');
const card = simulate.load(path.join(ROOT, 'components/attention-card/index'));

function renderTemplate(page, data, usingComponents = {}) {
  const template = fs.readFileSync(path.join(ROOT, 'pages', page, 'index.wxml'), 'utf8');
  const comp = simulate.render(simulate.load({ template, usingComponents, data }));
  comp.attach(document.createElement('parent'));
  return comp;
}

const homeData = {
  loading: false,
  greeting: '张三同志，您好',
  branch: '甲一支部',
  cards: [
    { key: 'meeting', title: '下次会议', empty: true, emptyText: '近期没有会议安排' },
    { key: 'dues', title: '待缴党费', empty: false, text: '45.50 元' },
  ],
};

test('750rpx is the width of the phone: 375 pixels', () => {
  expect(rpxToPx('width: 750rpx; margin: -24rpx 1rpx .5rpx 28RPX')).toBe('width: 375px; margin: -12px 0.5px 0.25px 14px');
  expect(rpxToPx('border: 1px solid #eee')).toBe('border: 1px solid #eee');
});

test('without SCREENS_DIR nothing is written', () => {
  const saved = process.env.SCREENS_DIR;
  delete process.env.SCREENS_DIR;
  try {
    expect(saveScreen(renderTemplate('home', homeData, { 'attention-card': card }), 'home', 'sample')).toBeNull();
  } finally {
    if (saved !== undefined) process.env.SCREENS_DIR = saved;
  }
});

test('a tab page is saved with its title, its tab bar and the styles of the page and its components', () => {
  const html = screenHtml(renderTemplate('home', homeData, { 'attention-card': card }), 'home', 'sample');
  expect(html).toContain('<span class="phone__title">电子党务</span>');
  expect(html).toMatch(/<div class="phone__tab" style="color:#b71c1c">首页<\/div>/);
  expect(html).not.toContain('<span class="phone__back">');
  // app.wxss's `page` is the page's root, in px
  expect(html).toMatch(/\.wx-page \{[^}]*font-size: 15px/);
  // the card component's wxss carries the prefix simulate gave its classes in the DOM
  expect(html).toMatch(/\.main--card\{[^}]*border-radius:8px/);
  expect(html).toContain('<wx-view class="main--card__title">下次会议</wx-view>');
  expect(html).toContain('45.50 元');
  const css = html.replace(/<body>[\s\S]*$/, '').replace(/\/\*[\s\S]*?\*\//g, '');
  expect(css).not.toMatch(/\d+rpx/);
});

test('a form keeps what the template said about its fields: placeholders, a switched-on switch', () => {
  const comp = renderTemplate('meeting-new', {
    ready: true,
    kindLabels: ['主题党日'],
    kindIndex: 0,
    scopeLabels: ['全支部'],
    scopeIndex: 0,
    day: '2026-11-25',
    starts: '09:00',
    ends: '10:00',
    useLocation: true,
    locationText: '39.90900, 116.39780',
    radiusLabels: ['200 米内'],
    radiusIndex: 0,
  });
  const html = screenHtml(comp, 'meeting-new', 'form');
  expect(html).toContain('<span class="phone__title">安排会议</span>');
  expect(html).toContain('<span class="phone__back">‹</span>');
  expect(html).not.toContain('<div class="phone__tabbar"');
  expect(html).toContain('<span class="wx-placeholder">如：十一月主题党日</span>');
  expect(html).toContain('<wx-switch checked color="#c62828"><span class="wx-switch" style="--wx-switch-on:#c62828"></span></wx-switch>');
  expect(html).not.toMatch(/bindchange|bindtap/);
});

test('a component rendered on its own brings its own styles', () => {
  const pageState = simulate.load(path.join(ROOT, 'components/page-state/index'), 'page-state', { compiler: 'simulate' });
  const comp = simulate.render(pageState, { state: 'error' });
  comp.attach(document.createElement('parent'));
  const html = screenHtml(comp, 'page-state', 'error');
  expect(html).toContain('重新加载');
  expect(html).toMatch(/\.page-state--page-state__retry\{[^}]*width:160px/);
});

test('saveScreen writes one HTML file per page and state, and refuses names that are not file names', () => {
  const dir = process.env.SCREENS_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'screens-'));
  const saved = process.env.SCREENS_DIR;
  process.env.SCREENS_DIR = dir;
  try {
    const comp = renderTemplate('home', homeData, { 'attention-card': card });
    const file = saveScreen(comp, 'home', 'sample');
    expect(file).toBe(path.join(dir, 'home--sample.html'));
    expect(fs.readFileSync(file, 'utf8')).toContain('"test":"saveScreen writes one HTML file');
    expect(() => saveScreen(comp, 'home', '../up')).toThrow(/lower-case words/);
  } finally {
    if (saved === undefined) delete process.env.SCREENS_DIR;
  }
});
