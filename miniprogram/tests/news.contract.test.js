/**
 * @jest-environment node
 *
 * 手机报 against a live server: the OpenAPI document holds everything the phone reads
 * (tests/news-contract.js), and a member reads a published issue through the mini-program's own client
 * and page logic, with wx.login, the phone number and the subscribe dialog answered by the WeChat
 * emulator's simulated phone.
 *
 * Started by tests/newspaper/test_news_end_to_end.py with `-t ^<phase>`:
 *   "the document"       CONTRACT_SERVER only.
 *   "before the issue"   the reader binds and taps 订阅手机报推送 on 消息; the colleague binds.
 *   (a secretary writes an issue to their branch in the admin, a colleague approves and publishes it; the
 *   driver runs its delivery and push and checks the reader's message in the emulator)
 *   "after the issue"    the reader finds the push on their phone, opens the issue from 消息, reads an
 *                        article to the end, likes it and forwards it; the colleague opens the forward.
 *                        The driver then checks the statistics: one read to the end, one like, one
 *                        forward with one open for the reader.
 * Environment: CONTRACT_SERVER, CONTRACT_EMULATOR, CONTRACT_TEMPLATES ({"newspaper_issue": id}),
 * CONTRACT_NEWS ({"reader": {user, phone, name}, "colleague": {user, phone, name},
 *                 "issue": {id, number, title}}).
 */
jest.mock('../config', () => ({
  apiBase: process.env.CONTRACT_SERVER,
  subscribeTemplates: JSON.parse(process.env.CONTRACT_TEMPLATES || '{}'),
}));

const { createClient } = require('../utils/api');
const { createInboxPage } = require('../pages/inbox/logic');
const { createNewsIssuePage } = require('../pages/news-issue/logic');
const { createNewsArticlePage, MIN_READ_MS } = require('../pages/news-article/logic');
const { mountPage } = require('./fake-wx');
const { contractProblems } = require('./news-contract');

const SERVER = process.env.CONTRACT_SERVER;
const EMULATOR = process.env.CONTRACT_EMULATOR;
const world = JSON.parse(process.env.CONTRACT_NEWS || '{}');

async function phone(path, body) {
  const res = await fetch(EMULATOR + path, {
    method: body ? 'POST' : 'GET',
    headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

// The parts of `wx` the client and the pages use, backed by real HTTP and the emulator's phone.
function nodeWx(user) {
  const storage = {};
  const wx = {
    toasts: [],
    navigated: [],
    dialogs: [],
    getStorageSync: (key) => storage[key],
    setStorageSync: (key, value) => {
      storage[key] = value;
    },
    removeStorageSync: (key) => {
      delete storage[key];
    },
    login: ({ success, fail }) => phone('/_phone/login', { user }).then(success, fail),
    request: ({ url, method, data, header, success, fail }) => {
      fetch(url, { method, headers: header, body: method === 'GET' ? undefined : JSON.stringify(data) })
        .then(async (res) => success({ statusCode: res.status, data: await res.json().catch(() => null) }))
        .catch(fail);
    },
    requestSubscribeMessage: ({ tmplIds, success, fail }) => {
      wx.dialogs.push(tmplIds);
      phone('/_phone/subscribe', { user, template_ids: tmplIds, accept: true }).then(success, fail);
    },
    showModal: ({ success }) => success({ confirm: false }),
    showToast: (options) => wx.toasts.push(options),
    navigateTo: ({ url }) => wx.navigated.push(url),
    reLaunch: () => {},
    stopPullDownRefresh: () => {},
  };
  return wx;
}

async function boundMember(who) {
  const wx = nodeWx(who.user);
  const api = createClient({ wx, baseUrl: SERVER });
  const session = await api.login();
  if (!session.bound) {
    const { code } = await phone('/_phone/phone_code', { user: who.user, phone: who.phone });
    await api.bindWithPhone(code);
  }
  return { wx, api };
}

const query = (url) => Object.fromEntries(new URLSearchParams(url.split('?')[1] || ''));

describe('the document', () => {
  test('the server documents every path, parameter and field the 消息 and 手机报 pages rely on', async () => {
    const document = await (await fetch(`${SERVER}/api/openapi.json`)).json();
    expect(contractProblems(document)).toEqual([]);
  });
});

describe('before the issue', () => {
  test('the reader taps 订阅手机报推送 on 消息: WeChat is asked and the server counts one push', async () => {
    const { wx, api } = await boundMember(world.reader);
    const inbox = mountPage(createInboxPage({ api, wx }));
    await inbox.onShow();
    expect(inbox.data.state).toMatch(/^(empty|ready)$/);
    await inbox.onSubscribe();
    expect(wx.dialogs).toEqual([[JSON.parse(process.env.CONTRACT_TEMPLATES).newspaper_issue]]);
    expect(inbox.data).toMatchObject({ subscribed: true, subscribeStatus: '已订阅，还可收到 1 次推送' });
  });

  test('the colleague binds and subscribes to nothing', async () => {
    const { api } = await boundMember(world.colleague);
    expect((await api.get('/api/inbox?limit=20')).items).toEqual([]);
  });
});

describe('after the issue', () => {
  test('the reader gets the push, opens the issue from 消息, reads an article to the end, likes and forwards it', async () => {
    const { openid } = await phone(`/_phone/openid?user=${encodeURIComponent(world.reader.user)}`);
    const messages = await phone(`/_phone/messages?openid=${openid}`);
    expect(messages.map((m) => m.page)).toEqual([`pages/news-issue/index?id=${world.issue.id}`]);

    const { wx, api } = await boundMember(world.reader);
    const inbox = mountPage(createInboxPage({ api, wx }));
    await inbox.onShow();
    const index = inbox.data.items.findIndex((item) => item.url === `/pages/news-issue/index?id=${world.issue.id}`);
    expect(inbox.data.items[index]).toMatchObject({ kind: 'newspaper', kindLabel: '手机报', title: world.issue.title, unread: true });
    expect(inbox.data.items[index].subtitle).toContain(`第 ${world.issue.number} 期`);
    expect(inbox.data.unread).toBeGreaterThanOrEqual(1);
    inbox.onOpen({ currentTarget: { dataset: { index } } });

    const issue = mountPage(createNewsIssuePage({ api, wx }));
    await issue.onLoad(query(wx.navigated.pop()));
    expect(issue.data).toMatchObject({ state: 'ready', issue: { numberText: `第 ${world.issue.number} 期`, title: world.issue.title } });
    expect((await api.get('/api/inbox?limit=20')).items.find((item) => item.ref_id === world.issue.id).unread).toBe(false);
    issue.onOpen({ currentTarget: { dataset: { id: issue.data.lead.id } } });

    const clock = { t: 0 };
    const article = mountPage(createNewsArticlePage({ api, wx, now: () => clock.t }));
    await article.onLoad(query(wx.navigated.pop()));
    expect(article.data).toMatchObject({ state: 'ready', liked: false });
    expect(article.data.article.html.length).toBeGreaterThan(0);
    clock.t = MIN_READ_MS;
    article.onReachBottom();
    const likes = article.data.likes;
    await article.onLike();
    expect(article.data).toMatchObject({ liked: true, likes: likes + 1 });
    const card = article.onShareAppMessage({ from: 'button' });
    const forwarded = await card.promise;
    expect(forwarded.path).toMatch(/^\/pages\/news-article\/index\?/);
    expect(query(forwarded.path).share).toBeTruthy();
    world.forwardedPath = forwarded.path;

    await issue.onShow(); // back on the issue: the article is marked read and liked
    expect(issue.data.lead).toMatchObject({ read: true, liked: true });
  });

  test('the colleague opens the forward: the article, counted for the reader', async () => {
    const { wx, api } = await boundMember(world.colleague);
    expect(world.forwardedPath).toBeTruthy(); // the reader's forward, just above
    const article = mountPage(createNewsArticlePage({ api, wx }));
    await article.onLoad(query(world.forwardedPath));
    expect(article.data.state).toBe('ready');
    article.onUnload();
  });
});
