// The phone-screenshot hook (screen.js): what it saves is the page as the phone would show it.
const fs = require('fs');
const os = require('os');
const path = require('path');
const simulate = require('miniprogram-simulate');
const { saveScreen, screenHtml, rpxToPx } = require('./screen');

const ROOT = path.join(__dirname, '..');
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
const settingsOf = (page) => JSON.parse(fs.readFileSync(path.join(ROOT, 'pages', page, 'index.json'), 'utf8'));
const titleOf = (page) => settingsOf(page).navigationBarTitleText || APP.window.navigationBarTitleText;
// the official compiler mixes up the templates of two components loaded by path in one file
const loadComponent = (where, tag) => simulate.load(path.join(ROOT, where), tag, { compiler: 'simulate' });

function render(template, data, usingComponents = {}) {
  const comp = simulate.render(simulate.load({ template, usingComponents, data }));
  comp.attach(document.createElement('parent'));
  return comp;
}

const bodyOf = (html) => html.slice(html.indexOf('<body>'));
const stylesOf = (html) => html.slice(0, html.indexOf('<body>')).replace(/\/\*[\s\S]*?\*\//g, '');

test('750rpx is the width of the phone: 375 pixels', () => {
  expect(rpxToPx('width: 750rpx; margin: -24rpx 1rpx .5rpx 28RPX')).toBe('width: 375px; margin: -12px 0.5px 0.25px 14px');
  expect(rpxToPx('border: 1px solid #eee')).toBe('border: 1px solid #eee');
});

test('without SCREENS_DIR nothing is written', () => {
  const saved = process.env.SCREENS_DIR;
  delete process.env.SCREENS_DIR;
  try {
    expect(saveScreen(render('<view>你好</view>', {}), 'home', 'sample')).toBeNull();
  } finally {
    if (saved !== undefined) process.env.SCREENS_DIR = saved;
  }
});

test('a tab page is framed with its title and the tab bar, a page opened from another with a back arrow', () => {
  const home = bodyOf(screenHtml(render('<view class="page">你好</view>', {}), 'home', 'sample'));
  expect(home).toContain(`<span class="phone__title">${titleOf('home')}</span>`);
  const [first, ...others] = APP.tabBar.list;
  expect(first.pagePath).toBe('pages/home/index');
  expect(home).toContain(`<div class="phone__tab" style="color:${APP.tabBar.selectedColor}">${first.text}</div>`);
  for (const tab of others) expect(home).toContain(`<div class="phone__tab" style="color:${APP.tabBar.color}">${tab.text}</div>`);
  expect(home).not.toContain('phone__back');

  const form = bodyOf(screenHtml(render('<view>表单</view>', {}), 'meeting-new', 'form'));
  expect(form).toContain(`<span class="phone__title">${titleOf('meeting-new')}</span>`);
  expect(form).toContain('<span class="phone__back">‹</span>');
  expect(form).not.toContain('phone__tab');
});

test("the page's styles come with it: app.wxss and its own, `page` its root, rpx in px", () => {
  const html = screenHtml(render('<view class="page">你好</view>', {}), 'meeting-new', 'form');
  const styles = stylesOf(html);
  expect(html).toContain('<style>/* app.wxss */');
  expect(html).toContain('<style>/* pages/meeting-new/index.wxss */');
  expect(styles).toMatch(/\n\.wx-page \{/); // app.wxss's `page {`
  expect(styles).not.toMatch(/(^|[\s,}])page\s*\{/);
  expect(styles).not.toMatch(/\d+rpx/);
  expect(bodyOf(html)).toContain('<div class="wx-page"><wx-view class="page">你好</wx-view></div>');
});

test("a component's content and styles come with the classes simulate prefixed", () => {
  const pageState = loadComponent('components/page-state/index', 'page-state');
  const html = screenHtml(render('<page-state state="error" message="网络不给力"/>', {}, { 'page-state': pageState }), 'meetings', 'error');
  expect(bodyOf(html)).toContain('<wx-view class="page-state--page-state__text">网络不给力</wx-view>');
  expect(bodyOf(html)).toContain('<page-state data-wx-host="page-state">');
  expect(stylesOf(html)).toMatch(/\.page-state--page-state__retry\{[^}]*font-size:15px/);
  // and on its own, as a component test renders it
  const alone = simulate.render(pageState, { state: 'error' });
  alone.attach(document.createElement('parent'));
  expect(screenHtml(alone, 'meetings', 'error')).toMatch(/<page-state[^>]*><wx-view[^>]*class="page-state--page-state page-state--page-state--error"/);
});

test('built-in elements keep what the template said: placeholders, values, switches, button types', () => {
  const template = `<input class="a" placeholder="请输入姓名" /><input value="{{name}}" /><input password value="1234" />
    <switch checked="{{on}}" color="#c62828" bindchange="x" /><switch checked="{{!on}}" />
    <button type="primary" loading="{{true}}" bindtap="go">绑定</button><button disabled="{{false}}">取消</button>
    <image src="https://example.cn/a.png" mode="aspectFit" /><camera mode="scanCode" />`;
  const body = bodyOf(screenHtml(render(template, { name: '张三', on: true }), 'login', 'form'));
  expect(body).toContain('<wx-input placeholder="请输入姓名" class="a"><span class="wx-placeholder">请输入姓名</span></wx-input>');
  expect(body).toContain('<wx-input value="张三">张三</wx-input>');
  expect(body).toContain('<wx-input password value="1234">••••</wx-input>');
  expect(body).toContain('<wx-switch checked color="#c62828"><span class="wx-switch" style="--wx-switch-on:#c62828"></span></wx-switch>');
  expect(body).toContain('<wx-switch><span class="wx-switch"></span></wx-switch>');
  expect(body).toContain('<wx-button type="primary" loading><i class="wx-loading"></i>绑定</wx-button>');
  expect(body).toContain('<wx-button>取消</wx-button>');
  expect(body).toContain('<span class="wx-stand-in">图片 https://example.cn/a.png</span>');
  expect(body).toContain('<wx-camera mode="scanCode"><span class="wx-stand-in">扫码取景框</span></wx-camera>');
  expect(body).not.toMatch(/bindchange|bindtap/);
});

test("a page that draws its own navigation bar keeps only WeChat's capsule over it", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'custom-nav-'));
  try {
    fs.copyFileSync(path.join(ROOT, 'app.json'), path.join(root, 'app.json'));
    fs.mkdirSync(path.join(root, 'pages', 'poster'), { recursive: true });
    fs.writeFileSync(path.join(root, 'pages', 'poster', 'index.json'), JSON.stringify({ navigationStyle: 'custom' }));
    const body = bodyOf(screenHtml(render('<view>自定义</view>', {}), 'poster', 'ready', { root }));
    expect(body).not.toContain('phone__nav');
    expect(body).toContain('phone__capsule--over');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a question the page asked (wx.showModal) is drawn over the first screen, its text escaped', () => {
  const modal = { title: '还有 6 题未作答', content: '未作答的题不得分。<b>确定</b>现在交卷吗？', confirmText: '交卷', cancelText: '继续作答' };
  const body = bodyOf(screenHtml(render('<view>试卷</view>', {}), 'quiz-take', 'confirm', { modal }));
  expect(body).toContain('<div class="phone__mask"><div class="wx-modal" role="dialog"><div class="wx-modal__title">还有 6 题未作答</div>');
  expect(body).toContain('<div class="wx-modal__content">未作答的题不得分。&lt;b&gt;确定&lt;/b&gt;现在交卷吗？</div>');
  expect(body).toContain('<span class="wx-modal__button wx-modal__button--cancel">继续作答</span><span class="wx-modal__button wx-modal__button--confirm">交卷</span>');
  const alone = bodyOf(screenHtml(render('<view>试卷</view>', {}), 'quiz-take', 'notice', { modal: { title: '答案还没有保存', showCancel: false } }));
  expect(alone).not.toContain('wx-modal__button--cancel');
  expect(alone).toContain('wx-modal__button--confirm">确定</span>');
  expect(bodyOf(screenHtml(render('<view>试卷</view>', {}), 'quiz-take', 'plain'))).not.toContain('phone__mask');
});
