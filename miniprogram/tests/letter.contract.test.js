/**
 * @jest-environment node
 *
 * 书记信箱 against a live server: the OpenAPI document holds everything the letter pages read
 * (tests/letter-contract.js), and a member writes an anonymous letter through the mini-program's own client
 * and page logic, then reads the reply, with wx.login, the phone number and the subscribe dialog answered by
 * the WeChat emulator's simulated phone.
 *
 * Started by tests/mailbox/test_letter_end_to_end.py with `-t ^<phase>`:
 *   "the document"       CONTRACT_SERVER only.
 *   "the letter"         the member binds, writes an anonymous letter to their secretary, allowing the push.
 *   (the driver: the secretary takes it on and replies through the admin pages, without seeing the name)
 *   "the reply"          the member finds the push on their phone, opens it from 消息 and reads the reply.
 * Environment: CONTRACT_SERVER, CONTRACT_EMULATOR, CONTRACT_TEMPLATES ({"letter_reply": id}),
 * CONTRACT_LETTER ({"member": {user, phone, name}, "reply"?: text}).
 */
jest.mock('../config', () => ({
  apiBase: process.env.CONTRACT_SERVER,
  subscribeTemplates: JSON.parse(process.env.CONTRACT_TEMPLATES || '{}'),
}));

const { createClient } = require('../utils/api');
const { createInboxPage } = require('../pages/inbox/logic');
const { createLetterNewPage } = require('../pages/letter-new/logic');
const { createLetterPage } = require('../pages/letter/logic');
const { mountPage } = require('./fake-wx');
const { contractProblems } = require('./openapi-check');
const { LETTER_CONTRACT } = require('./letter-contract');

const SERVER = process.env.CONTRACT_SERVER;
const EMULATOR = process.env.CONTRACT_EMULATOR;
const world = JSON.parse(process.env.CONTRACT_LETTER || '{}');

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
    redirectTo: ({ url }) => wx.navigated.push(url),
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
  test('the server documents every path, parameter and field the letter pages rely on', async () => {
    const document = await (await fetch(`${SERVER}/api/openapi.json`)).json();
    expect(contractProblems(document, LETTER_CONTRACT)).toEqual([]);
  });
});

describe('the letter', () => {
  test('the member writes an anonymous letter to their secretary and allows the reply to be pushed', async () => {
    const { wx, api } = await boundMember(world.member);
    const page = mountPage(createLetterNewPage({ api, wx }));
    await page.onLoad({});
    expect(page.data).toMatchObject({ state: 'ready', addressee: 'secretary' });
    expect(page.data.note).toContain('仅用于处理恶意信件');
    page.onSubject({ detail: { value: '夜班就餐' } });
    page.onBody({ detail: { value: '夜班结束食堂已关门，能否安排加餐？' } });
    page.onAnonymous({ detail: { value: ['yes'] } });
    await page.onSend();
    expect(page.data.problem).toBe('');
    expect(wx.dialogs).toEqual([[JSON.parse(process.env.CONTRACT_TEMPLATES).letter_reply]]);
    expect(wx.navigated).toHaveLength(1);
    const letter = mountPage(createLetterPage({ api, wx }));
    await letter.onLoad(query(wx.navigated[0]));
    expect(letter.data.letter).toMatchObject({ subject: '夜班就餐', anonymous: true, statusLabel: '待受理' });
  });
});

describe('the reply', () => {
  test('the member gets the push, opens the reply from 消息 and reads it', async () => {
    const { openid } = await phone(`/_phone/openid?user=${encodeURIComponent(world.member.user)}`);
    const messages = await phone(`/_phone/messages?openid=${openid}`);
    expect(messages).toHaveLength(1);
    expect(messages[0].page).toMatch(/^pages\/letter\/index\?id=\d+$/);

    const { wx, api } = await boundMember(world.member);
    const inbox = mountPage(createInboxPage({ api, wx }));
    await inbox.onShow();
    const index = inbox.data.items.findIndex((item) => item.kind === 'letter');
    expect(inbox.data.items[index]).toMatchObject({ kindLabel: '信箱回复', title: '回复：夜班就餐', unread: true });
    inbox.onOpen({ currentTarget: { dataset: { index } } });
    expect(wx.navigated.pop()).toBe(`/${messages[0].page}`);

    const letter = mountPage(createLetterPage({ api, wx }));
    await letter.onLoad(query(messages[0].page));
    expect(letter.data.letter).toMatchObject({ statusLabel: '已回复', reply: world.reply });
    expect((await api.get('/api/inbox/unread')).unread).toBe(0);
  });
});
