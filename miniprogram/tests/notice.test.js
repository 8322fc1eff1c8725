// 通知 as a member sees it: the logic against a fake server (opening, 确认收到 once, late, the attachment,
// a withdrawn notice), and the page's own WXML in each state, saved as phone screenshots.
const { createNoticePage, noticeView } = require('../pages/notice/logic');
const { createFakeWx, mountPage } = require('./fake-wx');
const { renderWithComponents: render, textOf, find, componentTexts } = require('./render');
const { saveScreen } = require('./screen');
const { ApiError, NetworkError } = require('../utils/api');
const config = require('../config');

const NOW = new Date('2026-11-24T03:00:00Z');
const NOTICE = {
  id: 5,
  title: '明天下午三点召开支部党员大会',
  body: '时间：11月25日（周三）15:00\n地点：项目部三楼会议室\n议程：学习党的二十届四中全会精神；讨论发展对象。\n请准时参加，不能参加的请向支部书记请假。',
  org_name: '第三项目部党支部',
  sent_at: '2026-11-24T01:30:00+00:00',
  ack_required: true,
  ack_deadline: '2026-11-25T04:00:00+00:00',
  acked_at: null,
  ack_late: false,
  attachment: { kind: 'pdf', name: '会议议程.pdf', url: 'http://x/api/notices/5/attachment' },
};

function fakeApi({ get = NOTICE, ack = { acked_at: '2026-11-24T03:00:00+00:00', late: false }, file = '/tmp/agenda.pdf' } = {}) {
  const answer = (value) => (value instanceof Error ? Promise.reject(value) : Promise.resolve(value));
  return {
    get: jest.fn(() => answer(get)),
    post: jest.fn((path) => (path.endsWith('/ack') ? answer(ack) : answer({ subscriptions: [] }))),
    download: jest.fn(() => answer(file)),
  };
}

function phone() {
  const wx = createFakeWx({ handler: () => ({}) });
  Object.assign(wx, {
    opened: [],
    previewed: [],
    asked: [],
    openDocument: (options) => wx.opened.push(options),
    previewImage: (options) => wx.previewed.push(options),
    requestSubscribeMessage: (options) => {
      wx.asked.push(options.tmplIds);
      options.success({ [options.tmplIds[0]]: 'accept' });
    },
  });
  return wx;
}

async function openNotice({ api = fakeApi(), wx = phone(), now = NOW } = {}) {
  const page = mountPage(createNoticePage({ api, wx, now: () => now }));
  await page.onLoad({ id: '5' });
  return { page, api, wx };
}

const stateText = (comp) => componentTexts(comp, 'page-state__text');

describe('the notice page', () => {
  test('opening shows the notice, who sent it and when in Beijing time, and what is asked', async () => {
    const { page, api } = await openNotice();
    expect(api.get).toHaveBeenCalledWith('/api/notices/5', { retry: false });
    expect(page.data.state).toBe('ready');
    expect(page.data.notice).toMatchObject({
      title: NOTICE.title,
      org: '第三项目部党支部',
      sentAt: '2026-11-24 09:30',
      ackRequired: true,
      acked: false,
      ackText: '请在 2026-11-25 12:00 前确认收到',
      overdue: false,
      attachment: { kind: 'pdf', name: '会议议程.pdf' },
    });
  });

  test('确认收到 is sent once and the page says when', async () => {
    const { page, api, wx } = await openNotice();
    await Promise.all([page.onAck(), page.onAck()]);
    expect(api.post.mock.calls.filter(([path]) => path.endsWith('/ack'))).toHaveLength(1);
    expect(page.data.notice).toMatchObject({ acked: true, ackText: '已于 2026-11-24 11:00 确认收到' });
    expect(wx.toasts[0]).toMatchObject({ title: '已确认收到' });
    await page.onAck();
    expect(api.post).toHaveBeenCalledTimes(1);
  });

  test('after the deadline it may still be acknowledged, marked late', async () => {
    const later = new Date('2026-11-26T00:00:00Z');
    const api = fakeApi({ ack: { acked_at: '2026-11-26T00:00:00+00:00', late: true } });
    const { page } = await openNotice({ api, now: later });
    expect(page.data.notice.overdue).toBe(true);
    await page.onAck();
    expect(page.data.notice).toMatchObject({ acked: true, overdue: false, ackText: '已于 2026-11-26 08:00 确认收到（逾期）' });
  });

  test('a failed acknowledgement says why and leaves the button', async () => {
    const { page, wx } = await openNotice({ api: fakeApi({ ack: new NetworkError() }) });
    await page.onAck();
    expect(page.data.notice.acked).toBe(false);
    expect(page.data.acking).toBe(false);
    expect(wx.toasts).toHaveLength(1);
  });

  test('the attachment: a PDF in the reader, a picture in the viewer, both downloaded with the session', async () => {
    const { page, api, wx } = await openNotice();
    await page.onOpenAttachment();
    expect(api.download).toHaveBeenCalledWith('/api/notices/5/attachment');
    expect(wx.opened).toEqual([{ filePath: '/tmp/agenda.pdf', fileType: 'pdf', showMenu: true }]);
    const picture = await openNotice({ api: fakeApi({ get: { ...NOTICE, attachment: { kind: 'image', name: '场地.jpg', url: 'u' } }, file: '/tmp/p.jpg' }) });
    await picture.page.onOpenAttachment();
    expect(picture.wx.previewed).toEqual([{ urls: ['/tmp/p.jpg'], current: '/tmp/p.jpg' }]);
  });

  test('a notice withdrawn or not mine says so; a bad id asks nothing', async () => {
    const { page } = await openNotice({ api: fakeApi({ get: new ApiError(404, 'not_found', '通知不存在') }) });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '没有找到这条通知，可能已撤回' });
    const api = fakeApi();
    const bad = mountPage(createNoticePage({ api, wx: phone() }));
    await bad.onLoad({ id: 'x' });
    expect(api.get).not.toHaveBeenCalled();
  });

  test('开启通知提醒 asks WeChat for the notice template straight from the tap', async () => {
    const { page, wx } = await openNotice();
    expect(page.data.canSubscribe).toBe(Boolean(config.subscribeTemplates.notice));
    page.onSubscribe();
    expect(wx.asked).toEqual([[config.subscribeTemplates.notice]]);
  });

  test('a notice without a receipt shows no button', () => {
    expect(noticeView({ ...NOTICE, ack_required: false, attachment: null }, NOW)).toMatchObject({ ackRequired: false, ackText: '', attachment: null });
  });
});

describe('the notice page, drawn', () => {
  test('loading', () => {
    const comp = render('notice', { state: 'loading', notice: null });
    expect(stateText(comp)).toEqual(['加载中…']);
    saveScreen(comp, 'notice', 'loading');
  });

  test('a notice asking for a receipt, with its PDF', async () => {
    const { page } = await openNotice();
    const comp = render('notice', page.data);
    expect(textOf(comp, '.notice-head__title')).toBe(NOTICE.title);
    expect(textOf(comp, '.notice-head__tag')).toBe('需回执');
    expect(textOf(comp, '.notice-head__meta')).toBe('第三项目部党支部 · 2026-11-24 09:30');
    expect(textOf(comp, '.attachment__name')).toBe('会议议程.pdf');
    expect(textOf(comp, '.ack__text')).toBe('请在 2026-11-25 12:00 前确认收到');
    expect(textOf(comp, '.ack__button')).toBe('确认收到');
    saveScreen(comp, 'notice', 'ack-required');
  });

  test('acknowledged', async () => {
    const { page } = await openNotice();
    await page.onAck();
    const comp = render('notice', page.data);
    expect(find(comp, '.ack__button')).toBeNull();
    expect(textOf(comp, '.ack__text')).toBe('已于 2026-11-24 11:00 确认收到');
    saveScreen(comp, 'notice', 'acked');
  });

  test('past the deadline', async () => {
    const { page } = await openNotice({ now: new Date('2026-11-26T00:00:00Z') });
    const comp = render('notice', page.data);
    expect(textOf(comp, '.ack__hint')).toBe('已过截止时间，仍可确认，将标记为逾期');
    saveScreen(comp, 'notice', 'overdue');
  });

  test('withdrawn', async () => {
    const { page } = await openNotice({ api: fakeApi({ get: new ApiError(404, 'not_found', '通知不存在') }) });
    const comp = render('notice', page.data);
    expect(stateText(comp)).toEqual(['没有找到这条通知，可能已撤回']);
    saveScreen(comp, 'notice', 'withdrawn');
  });
});

describe('消息 with notices', () => {
  test('notices beside the newspaper, with the unread of each kind on top', () => {
    const rows = [
      { id: 61, kind: 'notice', kindLabel: '通知', title: '明天下午三点召开支部党员大会', subtitle: '第三项目部党支部 · 需回执', cover: '', when: '今天 09:30', unread: true, url: '/pages/notice/index?id=5' },
      { id: 58, kind: 'newspaper', kindLabel: '手机报', title: '安全生产月特刊', subtitle: '第 37 期 · 集团公司党委', cover: '', when: '昨天 18:05', unread: true, url: '/pages/news-issue/index?id=12' },
    ];
    const kinds = [
      { kind: 'notice', label: '通知', count: 1 },
      { kind: 'newspaper', label: '手机报', count: 1 },
    ];
    const comp = render('inbox', { state: 'ready', items: rows, unread: 2, kinds, more: 'end', canSubscribe: false });
    expect(textOf(comp, '.kind-badge--notice')).toBe('通知 1');
    expect(textOf(comp, '.kind-badge--newspaper')).toBe('手机报 1');
    saveScreen(comp, 'inbox', 'with-notices');
  });
});
