/**
 * @jest-environment node
 *
 * Reminders that arrive, end to end: the mini-program's own client, profile page and utils/subscribe.js,
 * in node, against a live server and the WeChat emulator. wx.requestSubscribeMessage is the emulator's
 * simulated phone (/_phone/subscribe), so WeChat's quota holds what the member tapped. Started by
 * tests/subscriptions/test_subscribe_contract.py in two phases: "before the reminder" (bind, tap 开启),
 * then the server's day-before job runs, then "after the reminder" (read the phone's messages and 我的).
 */
jest.mock('../config', () => ({
  apiBase: process.env.CONTRACT_SERVER,
  subscribeTemplates: JSON.parse(process.env.CONTRACT_TEMPLATES || '{}'),
}));

const { createClient } = require('../utils/api');
const { createProfilePage } = require('../pages/profile/logic');
const { mountPage } = require('./fake-wx');

const SERVER = process.env.CONTRACT_SERVER;
const EMULATOR = process.env.CONTRACT_EMULATOR;
const world = JSON.parse(process.env.CONTRACT_SUBSCRIBERS || '{}');

async function phone(path, body) {
  const res = await fetch(EMULATOR + path, {
    method: body ? 'POST' : 'GET',
    headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

// The parts of `wx` the client and the profile page use, backed by real HTTP and the emulator's phone.
function nodeWx(user) {
  const storage = {};
  const wx = {
    toasts: [],
    dialogs: [],
    inTap: false,
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
    // The member taps 允许 in WeChat's dialog; WeChat shows it only when asked from the tap itself.
    requestSubscribeMessage: ({ tmplIds, success, fail }) => {
      wx.dialogs.push({ tmplIds, duringTap: wx.inTap });
      phone('/_phone/subscribe', { user, template_ids: tmplIds, accept: true }).then(success, fail);
    },
    showModal: ({ success }) => success({ confirm: false }),
    showToast: (options) => wx.toasts.push(options),
    reLaunch: () => {},
    navigateTo: () => {},
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
  const page = mountPage(createProfilePage({ api, wx }));
  await page.onShow();
  return { wx, api, page };
}

function tapSubscribe(wx, page, purpose) {
  wx.inTap = true;
  try {
    return page.onSubscribe({ currentTarget: { dataset: { purpose } } });
  } finally {
    wx.inTap = false;
  }
}

const meetingLine = (page) => page.data.reminders.find((item) => item.purpose === 'meeting_reminder');

describe('before the reminder', () => {
  test('the member taps 开启 and then 再订阅 on 我的: each tap asks WeChat and is recorded', async () => {
    const { wx, page } = await boundMember(world.subscriber);
    expect(page.data.state).toBe('ready');
    expect(meetingLine(page)).toMatchObject({ title: '会议提醒', status: '未开启', action: '开启' });
    await tapSubscribe(wx, page, 'meeting_reminder');
    expect(meetingLine(page)).toMatchObject({ status: '还可提醒 1 次', action: '再订阅' });
    await tapSubscribe(wx, page, 'meeting_reminder');
    expect(meetingLine(page).status).toBe('还可提醒 2 次');
    const template = JSON.parse(process.env.CONTRACT_TEMPLATES).meeting_reminder;
    expect(wx.dialogs).toEqual([
      { tmplIds: [template], duringTap: true },
      { tmplIds: [template], duringTap: true },
    ]);
    expect(wx.toasts.map((toast) => toast.title)).toEqual(['已开启提醒', '已开启提醒']);
  });

  test('a member who never taps reads 未开启 on 我的', async () => {
    const { page } = await boundMember(world.bystander);
    expect(meetingLine(page)).toMatchObject({ status: '未开启', action: '开启' });
  });
});

describe('after the reminder', () => {
  test('the member who tapped finds the reminder on their phone, and one consent left', async () => {
    const { openid } = await phone(`/_phone/openid?user=${encodeURIComponent(world.subscriber.user)}`);
    const messages = await phone(`/_phone/messages?openid=${openid}`);
    expect(messages).toHaveLength(1);
    expect(messages[0].data.thing1).toBe(world.meeting.title);
    expect(messages[0].page).toBe(`pages/home/index?meeting=${world.meeting.id}`);
    const { page } = await boundMember(world.subscriber);
    expect(meetingLine(page)).toMatchObject({ status: '还可提醒 1 次', action: '再订阅' });
  });

  test('the member who did not tap got nothing, and 我的 says the reminder is off', async () => {
    const { openid } = await phone(`/_phone/openid?user=${encodeURIComponent(world.bystander.user)}`);
    expect(await phone(`/_phone/messages?openid=${openid}`)).toEqual([]);
    const { page } = await boundMember(world.bystander);
    expect(meetingLine(page)).toMatchObject({ status: '未开启', action: '开启' });
  });
});
