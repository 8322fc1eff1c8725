// 我的: the member's record, which reminders they will receive (消息提醒) with a tap to allow one more,
// and the loading and error states. Logic against a fake `wx`; each state rendered from the page's WXML.
const fs = require('fs');
const path = require('path');
const simulate = require('miniprogram-simulate');
const { createProfilePage, remindersFrom } = require('../pages/profile/logic');
const { ApiError, NetworkError } = require('../utils/api');
const { createFakeWx, mountPage } = require('./fake-wx');
const { saveScreen } = require('./screen');

const PAGE = path.join(__dirname, '../pages/profile');
const ME = {
  name: '张三',
  gender: '男',
  branch: { name: '甲一支部' },
  group: { name: '第一党小组' },
  status_label: '正式党员',
  join_date: '2005-07-01',
  full_member_date: '2006-07-01',
  phone: '138****5678',
  id_card: '110105********002X',
  dues_category_label: '在职',
  dues_base_fen: 500000,
};

function purpose(name, title, templateId, remaining) {
  return {
    purpose: name,
    title,
    template_id: templateId,
    remaining,
    status_label: remaining > 0 ? `还可提醒 ${remaining} 次` : '未开启',
    last_choice: remaining > 0 ? 'accept' : null,
    last_choice_at: remaining > 0 ? '2026-12-01T08:00:00+00:00' : null,
    refused_at: null,
  };
}

const SUBSCRIBED = {
  subscriptions: [
    purpose('meeting_reminder', '会议提醒', 'demo_meeting_reminder', 2),
    purpose('dues_reminder', '党费缴纳提醒', 'demo_dues_reminder', 0),
  ],
};
const NONE = { subscriptions: SUBSCRIBED.subscriptions.map((item) => ({ ...item, remaining: 0, status_label: '未开启' })) };

// A server answering GET /api/me and GET /api/me/subscriptions from `answers` (a value, or an Error to throw).
function fakeApi(answers) {
  const answer = (value) => (value instanceof Error ? Promise.reject(value) : Promise.resolve(value));
  return {
    get: jest.fn((url) => answer(typeof answers[url] === 'function' ? answers[url]() : answers[url])),
    post: jest.fn(() => Promise.resolve(NONE)),
    logout: jest.fn(() => Promise.resolve()),
    unbind: jest.fn(() => Promise.resolve()),
  };
}

// The fake phone's subscribe dialog: answers each template as `choice`, and notes whether it was asked from the tap.
function withDialog(wx, choice) {
  wx.dialogs = [];
  wx.requestSubscribeMessage = (options) => {
    wx.dialogs.push({ tmplIds: options.tmplIds, duringTap: wx.inTap === true });
    const answer = { errMsg: 'requestSubscribeMessage:ok' };
    options.tmplIds.forEach((id) => {
      answer[id] = choice;
    });
    setTimeout(() => options.success(answer), 0);
  };
  wx.navigateTo = (options) => {
    wx.navigated = (wx.navigated || []).concat(options.url);
  };
  return wx;
}

function tap(wx, page, handler, dataset) {
  wx.inTap = true;
  try {
    return page[handler]({ currentTarget: { dataset } });
  } finally {
    wx.inTap = false;
  }
}

const pageState = simulate.load(path.join(__dirname, '../components/page-state/index'));

function renderProfile(data) {
  const template = fs.readFileSync(path.join(PAGE, 'index.wxml'), 'utf8');
  const page = simulate.load({ template, usingComponents: { 'page-state': pageState }, data });
  const comp = simulate.render(page);
  comp.attach(document.createElement('parent'));
  return comp;
}

const text = (comp, selector) => comp.querySelectorAll(selector).map((node) => node.dom.textContent.trim());
// what the shared page-state component shows (its own nodes sit inside the component)
const stateShown = (comp) => {
  const state = comp.querySelector('.state');
  return state ? text(state, '.page-state__text') : [];
};

describe('loading and reading', () => {
  test('the record and each reminder with what is left of it', async () => {
    const api = fakeApi({ '/api/me': ME, '/api/me/subscriptions': SUBSCRIBED });
    const page = mountPage(createProfilePage({ api, wx: createFakeWx({ handler: () => ({}) }) }));
    expect(page.data.state).toBe('loading');
    await page.onShow();
    expect(page.data.state).toBe('ready');
    expect(page.data.rows.find((row) => row.label === '所在支部').value).toBe('甲一支部');
    expect(page.data.reminders).toEqual([
      { purpose: 'meeting_reminder', title: '会议提醒', status: '还可提醒 2 次', note: '', on: true, action: '再订阅', actionLabel: '再订阅会议提醒' },
      { purpose: 'dues_reminder', title: '党费缴纳提醒', status: '未开启', note: '', on: false, action: '开启', actionLabel: '开启党费缴纳提醒' },
    ]);
    // the list does not raise its own "retry?" question on a bad network: the record's request already may
    expect(api.get).toHaveBeenCalledWith('/api/me/subscriptions', { retry: false });
  });

  test('a failure shows the error with a retry, and the retry loads the page', async () => {
    let fail = true;
    const api = fakeApi({
      '/api/me': ME,
      '/api/me/subscriptions': () => (fail ? new NetworkError() : SUBSCRIBED),
    });
    const page = mountPage(createProfilePage({ api, wx: createFakeWx({ handler: () => ({}) }) }));
    await page.onShow();
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
    fail = false;
    const retried = page.onRetry();
    expect(page.data.state).toBe('loading');
    await retried;
    expect(page.data.state).toBe('ready');
  });

  test('a member who is not bound is left to the client, which takes them to bind', async () => {
    const notBound = Object.assign(new Error('请先绑定党员身份'), { code: 'not_bound' });
    const page = mountPage(
      createProfilePage({ api: fakeApi({ '/api/me': notBound, '/api/me/subscriptions': notBound }), wx: createFakeWx({ handler: () => ({}) }) }),
    );
    await page.onShow();
    expect(page.data.state).toBe('loading');
  });
});

describe('开启 and 再订阅', () => {
  test('the dialog is asked for from the tap itself, the answer recorded, the list read again', async () => {
    const wx = withDialog(createFakeWx({ handler: () => ({}) }), 'accept');
    let listed = NONE;
    const api = fakeApi({ '/api/me': ME, '/api/me/subscriptions': () => listed });
    api.post = jest.fn(() => {
      listed = SUBSCRIBED;
      return Promise.resolve(SUBSCRIBED);
    });
    const page = mountPage(createProfilePage({ api, wx }));
    await page.onShow();
    expect(page.data.reminders[0]).toMatchObject({ status: '未开启', action: '开启' });
    await tap(wx, page, 'onSubscribe', { purpose: 'meeting_reminder' });
    expect(wx.dialogs).toEqual([{ tmplIds: ['demo_meeting_reminder'], duringTap: true }]);
    expect(api.post).toHaveBeenCalledWith('/api/me/subscriptions', { results: { demo_meeting_reminder: 'accept' } });
    expect(wx.toasts).toEqual([{ title: '已开启提醒', icon: 'success' }]);
    expect(wx.toasts[0].title.length).toBeLessThanOrEqual(7);
    expect(page.data.reminders[0]).toMatchObject({ status: '还可提醒 2 次', action: '再订阅' });
  });

  test('a member who says no is told it stays off, and nothing else changes', async () => {
    const wx = withDialog(createFakeWx({ handler: () => ({}) }), 'reject');
    const api = fakeApi({ '/api/me': ME, '/api/me/subscriptions': NONE });
    const page = mountPage(createProfilePage({ api, wx }));
    await page.onShow();
    await tap(wx, page, 'onSubscribe', { purpose: 'dues_reminder' });
    expect(api.post).toHaveBeenCalledWith('/api/me/subscriptions', { results: { demo_dues_reminder: 'reject' } });
    expect(wx.toasts).toEqual([{ title: '未开启，可随时再点开启', icon: 'none' }]);
    expect(page.data.reminders[1].status).toBe('未开启');
  });

  test('when the list cannot be read again the member is told, and the page keeps what it showed', async () => {
    const wx = withDialog(createFakeWx({ handler: () => ({}) }), 'accept');
    let broken = false;
    const api = fakeApi({
      '/api/me': ME,
      '/api/me/subscriptions': () => (broken ? new ApiError(500, 'server_error', '服务器出错了，请稍后再试') : SUBSCRIBED),
    });
    const page = mountPage(createProfilePage({ api, wx }));
    await page.onShow();
    broken = true;
    await tap(wx, page, 'onSubscribe', { purpose: 'meeting_reminder' });
    expect(wx.toasts.map((toast) => toast.title)).toEqual(['已开启提醒', '服务器出错了，请稍后再试']);
    expect(page.data.state).toBe('ready');
    expect(page.data.reminders[0].status).toBe('还可提醒 2 次');
  });
});

describe('what the member sees', () => {
  test('loading: only the loading line', () => {
    const comp = renderProfile({ state: 'loading', rows: [], reminders: [] });
    expect(stateShown(comp)).toEqual(['加载中…']);
    expect(comp.querySelector('.reminders')).toBeUndefined();
    expect(comp.querySelectorAll('.btn')).toHaveLength(0);
    saveScreen(comp, 'profile', 'loading');
  });

  test('error: the reason, a retry, and logout and unbind still there', () => {
    const comp = renderProfile({ state: 'error', stateMessage: '网络不给力，请检查网络后重试', rows: [], reminders: [] });
    expect(stateShown(comp)).toEqual(['网络不给力，请检查网络后重试']);
    expect(comp.querySelector('.state').querySelector('.page-state__retry')).toBeDefined();
    expect(text(comp, '.btn')).toEqual(['退出登录', '解除微信绑定']);
    saveScreen(comp, 'profile', 'error');
  });

  test('ready: the record, each reminder with 还可提醒 N 次 or 未开启 and its tap, attendance, logout', () => {
    const comp = renderProfile({ state: 'ready', rows: require('../pages/profile/logic').rowsFrom(ME), reminders: remindersFrom(SUBSCRIBED) });
    expect(stateShown(comp)).toEqual([]);
    expect(text(comp, '.card__title')).toEqual(['消息提醒']);
    expect(text(comp, '.reminder__title')).toEqual(['会议提醒', '党费缴纳提醒']);
    expect(text(comp, '.reminder__status')).toEqual(['还可提醒 2 次', '未开启']);
    expect(text(comp, '.reminder__action')).toEqual(['再订阅', '开启']);
    expect(comp.querySelector('.reminders__hint').dom.textContent).toContain('未开启的提醒不会发到您的微信');
    expect(text(comp, '.btn')).toEqual(['退出登录', '解除微信绑定']);
    saveScreen(comp, 'profile', 'ready');
  });

  test('reminders off: every kind reads 未开启 and offers 开启', () => {
    const comp = renderProfile({ state: 'ready', rows: [], reminders: remindersFrom(NONE) });
    expect(text(comp, '.reminder__status')).toEqual(['未开启', '未开启']);
    expect(text(comp, '.reminder__action')).toEqual(['开启', '开启']);
    saveScreen(comp, 'profile', 'reminders-off');
  });
});

test('refused: a reminder WeChat would not deliver says why it is off', () => {
  const refused = {
    subscriptions: [{ ...NONE.subscriptions[0], last_choice: 'accept', refused_at: '2026-12-01T01:00:00+00:00' }],
  };
  const comp = renderProfile({ state: 'ready', rows: [], reminders: remindersFrom(refused) });
  expect(text(comp, '.reminder__status')).toEqual(['未开启']);
  expect(text(comp, '.reminder__note')).toEqual(['上次提醒未能送达，请重新开启']);
  expect(text(comp, '.reminder__action')).toEqual(['开启']);
  saveScreen(comp, 'profile', 'refused');
});

describe('made for older members', () => {
  const wxml = fs.readFileSync(path.join(PAGE, 'index.wxml'), 'utf8');
  const wxss = fs.readFileSync(path.join(PAGE, 'index.wxss'), 'utf8');

  test('a bare 开启 says what it turns on to a screen reader', () => {
    expect(wxml).toMatch(/class="reminder__action"[^>]*aria-label="\{\{item.actionLabel\}\}"/);
  });

  test('everything tappable shows it was pressed', () => {
    const tappable = wxml.match(/<[^>]*bindtap=[^>]*>/g);
    expect(tappable.length).toBeGreaterThanOrEqual(4);
    tappable.forEach((tag) => expect(tag).toMatch(/hover-class="pressed"/));
  });

  test('no text under 28rpx and no brand colour repeated', () => {
    const sizes = [...wxss.matchAll(/font-size:\s*(\d+)rpx/g)].map((match) => Number(match[1]));
    expect(sizes.length).toBeGreaterThan(0);
    sizes.forEach((size) => expect(size).toBeGreaterThanOrEqual(28));
    expect(wxss).not.toMatch(/#[0-9a-fA-F]{3,6}\b/);
  });

  test('the page registers the shared page-state component', () => {
    const json = JSON.parse(fs.readFileSync(path.join(PAGE, 'index.json'), 'utf8'));
    expect(json.usingComponents['page-state']).toBe('/components/page-state/index');
  });
});
