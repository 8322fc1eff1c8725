/**
 * @jest-environment node
 *
 * 通知 against a live server: the OpenAPI document holds everything the notice page reads, and members of a
 * branch read and acknowledge a notice through the mini-program's own client and page logic, with
 * wx.login, the phone number and the subscribe dialog answered by the WeChat emulator's simulated phone.
 *
 * Started by tests/notices/test_notice_end_to_end.py with `-t ^<phase>`:
 *   "the document"       CONTRACT_SERVER only.
 *   "before the notice"  each member binds and taps 开启通知提醒 twice (a notice and one reminder).
 *   (the driver: the secretary sends a notice asking for a receipt to the branch through the admin pages)
 *   "after the notice"   every member finds the push on their phone and the notice in 消息 (通知 1 unread);
 *                        the first member opens it and taps 确认收到 — a third of the branch.
 *   (the driver: the secretary reminds the rest; only the two others are pushed again)
 *   "after the reminder" the two others have a second push, the first still one.
 * Environment: CONTRACT_SERVER, CONTRACT_EMULATOR, CONTRACT_TEMPLATES ({"notice": id}),
 * CONTRACT_NOTICE ({"members": [{user, phone, name}, …], "notice": {id, title}}).
 */
jest.mock('../config', () => ({
  apiBase: process.env.CONTRACT_SERVER,
  subscribeTemplates: JSON.parse(process.env.CONTRACT_TEMPLATES || '{}'),
}));

const { createClient } = require('../utils/api');
const { createInboxPage } = require('../pages/inbox/logic');
const { createNoticePage } = require('../pages/notice/logic');
const { mountPage } = require('./fake-wx');
const { contractProblems } = require('./openapi-check');

const SERVER = process.env.CONTRACT_SERVER;
const EMULATOR = process.env.CONTRACT_EMULATOR;
const world = JSON.parse(process.env.CONTRACT_NOTICE || '{}');

// What the notice page reads and sends (pages/notice/logic.js), and the inbox's badges per kind.
const NOTICE_CONTRACT = [
  {
    method: 'get',
    path: '/api/notices/{}',
    status: '200',
    response: {
      id: 'integer',
      title: 'string',
      body: 'string',
      org_name: 'string',
      sent_at: 'string',
      ack_required: 'boolean',
      ack_deadline: 'string',
      acked_at: 'string',
      ack_late: 'boolean',
      attachment: 'object',
      'attachment.kind': 'string',
      'attachment.name': 'string',
    },
  },
  { method: 'post', path: '/api/notices/{}/ack', status: '200', response: { acked_at: 'string', late: 'boolean' } },
  { method: 'get', path: '/api/inbox', query: ['limit'], status: '200', response: { by_kind: 'object', unread: 'integer' } },
];

async function phone(path, body) {
  const res = await fetch(EMULATOR + path, {
    method: body ? 'POST' : 'GET',
    headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

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
    setTabBarBadge: () => {},
    removeTabBarBadge: () => {},
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

async function pushesOf(who) {
  const { openid } = await phone(`/_phone/openid?user=${encodeURIComponent(who.user)}`);
  return (await phone(`/_phone/messages?openid=${openid}`)).map((m) => m.page);
}

const query = (url) => Object.fromEntries(new URLSearchParams(url.split('?')[1] || ''));

describe('the document', () => {
  test('the server documents every path and field the notice page and the inbox badges rely on', async () => {
    const document = await (await fetch(`${SERVER}/api/openapi.json`)).json();
    expect(contractProblems(document, NOTICE_CONTRACT)).toEqual([]);
  });
});

describe('before the notice', () => {
  test('each member binds and taps 开启通知提醒 twice', async () => {
    for (const who of world.members) {
      const { wx, api } = await boundMember(who);
      const page = mountPage(createNoticePage({ api, wx }));
      expect(page.data.canSubscribe).toBe(true);
      await page.onSubscribe();
      await page.onSubscribe();
      expect(wx.dialogs).toHaveLength(2);
    }
  });
});

describe('after the notice', () => {
  test('every member was pushed and finds it in 消息; the first opens it and taps 确认收到', async () => {
    const page = `pages/notice/index?id=${world.notice.id}`;
    for (const [index, who] of world.members.entries()) {
      expect(await pushesOf(who)).toEqual([page]);
      const { wx, api } = await boundMember(who);
      const inbox = mountPage(createInboxPage({ api, wx }));
      await inbox.onShow();
      const row = inbox.data.items.findIndex((item) => item.kind === 'notice');
      expect(inbox.data.items[row]).toMatchObject({ kindLabel: '通知', title: world.notice.title, unread: true });
      expect(inbox.data.kinds).toEqual([{ kind: 'notice', label: '通知', count: 1 }]);
      if (index > 0) continue;

      inbox.onOpen({ currentTarget: { dataset: { index: row } } });
      const notice = mountPage(createNoticePage({ api, wx }));
      await notice.onLoad(query(wx.navigated.pop()));
      expect(notice.data).toMatchObject({ state: 'ready', notice: { title: world.notice.title, ackRequired: true, acked: false } });
      await notice.onAck();
      expect(notice.data.notice).toMatchObject({ acked: true });
      await notice.onAck(); // a second tap changes nothing
      const again = mountPage(createNoticePage({ api, wx }));
      await again.onLoad({ id: String(world.notice.id) });
      expect(again.data.notice.acked).toBe(true);
    }
  });
});

describe('after the reminder', () => {
  test('the two who had not acknowledged were pushed again, the one who had was not', async () => {
    const page = `pages/notice/index?id=${world.notice.id}`;
    const counts = [];
    for (const who of world.members) counts.push((await pushesOf(who)).filter((p) => p === page).length);
    expect(counts).toEqual([1, 2, 2]);
  });
});
