/**
 * @jest-environment node
 *
 * Contract test: the mini-program's own API client, in node, against a live server and the WeChat
 * emulator (wx.login and getPhoneNumber answered by the emulator). Started by
 * tests/test_miniprogram_contract.py, which passes the addresses and the prepared members.
 */
const { createClient } = require('../utils/api');
const { createMeetingPage } = require('../pages/meeting/logic');
const { mountPage } = require('./fake-wx');
const { beijingParts } = require('../utils/time');

const SERVER = process.env.CONTRACT_SERVER;
const EMULATOR = process.env.CONTRACT_EMULATOR;
const member = JSON.parse(process.env.CONTRACT_MEMBERS || '{}');

async function emulator(path, body) {
  const res = await fetch(EMULATOR + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

// The parts of `wx` the client uses, backed by real HTTP and the emulator's simulated phone.
function nodeWx(user) {
  const storage = {};
  return {
    toasts: [],
    getStorageSync: (key) => storage[key],
    setStorageSync: (key, value) => {
      storage[key] = value;
    },
    removeStorageSync: (key) => {
      delete storage[key];
    },
    login: ({ success, fail }) => emulator('/_phone/login', { user }).then(success, fail),
    request: ({ url, method, data, header, success, fail }) => {
      fetch(url, { method, headers: header, body: method === 'GET' ? undefined : JSON.stringify(data) })
        .then(async (res) => success({ statusCode: res.status, data: await res.json().catch(() => null) }))
        .catch(fail);
    },
    showModal: ({ success }) => success({ confirm: false }),
    showToast(options) {
      this.toasts.push(options);
    },
  };
}

test('bind with the WeChat phone number, read the profile and the home page', async () => {
  const wx = nodeWx('contract-phone-user');
  const api = createClient({ wx, baseUrl: SERVER });
  expect(await api.login()).toMatchObject({ bound: false });
  const { code } = await emulator('/_phone/phone_code', { user: 'contract-phone-user', phone: member.phone.phone });
  expect(await api.bindWithPhone(code)).toMatchObject({ bound: true, member: { name: member.phone.name } });
  const me = await api.get('/api/me');
  expect(me.name).toBe(member.phone.name);
  expect(me.id_card).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
  const home = await api.get('/api/home');
  expect(home).toMatchObject({ member_name: member.phone.name, features: ['meetings', 'dues', 'newspaper', 'study'] });
  expect(home).not.toHaveProperty('unpaid_dues_fen'); // no dues feature yet, so no figure pretending there is
});

test('bind with an invite code; a dead session is renewed by logging in again; logout stays logged out', async () => {
  const wx = nodeWx('contract-invite-user');
  const api = createClient({ wx, baseUrl: SERVER });
  await api.bindWithInvite(member.invite.code.toLowerCase(), member.invite.name);
  wx.setStorageSync('edangwu.token', 'no-longer-a-session');
  const renewed = createClient({ wx, baseUrl: SERVER });
  const me = await renewed.get('/api/me'); // 401 token_invalid → wx.login → bound → retried
  expect(me.name).toBe(member.invite.name);
  expect(renewed.hasToken()).toBe(true);
  expect(await renewed.logout()).toEqual({ serverNotified: true }); // the server revokes this token
  expect(renewed.hasToken()).toBe(false);
  await expect(renewed.get('/api/me')).rejects.toMatchObject({ code: 'signed_out' }); // no silent login
  await renewed.login(); // the member's own tap on 登录
  expect((await renewed.get('/api/me')).name).toBe(member.invite.name);
});

test('the member who bound by phone checks in to a meeting once', async () => {
  const api = createClient({ wx: nodeWx('contract-phone-user'), baseUrl: SERVER });
  await api.login();
  const meeting = await api.get(`/api/meetings/${member.meeting.id}`);
  expect(meeting).toMatchObject({ title: '主题党日', my_attendance: null });
  const first = await api.post(`/api/meetings/${meeting.id}/checkin`, { code: member.meeting.code });
  expect(first).toMatchObject({ ok: true, already: false, message: '签到成功' });
  const again = await api.post(`/api/meetings/${meeting.id}/checkin`, { code: member.meeting.code });
  expect(again.message).toMatch(/^已于 \d\d:\d\d 签到$/);
});

test("a scan of the projected link with WeChat's own scanner opens the meeting and checks in", async () => {
  const wx = nodeWx('contract-phone-user');
  const api = createClient({ wx, baseUrl: SERVER });
  await api.login();
  const { linked } = member;
  expect(linked.link).toMatch(/^https:\/\/.+\/m\/checkin\?c=M\d+\.[\w.-]+$/);
  // What WeChat hands the page: the scanned link, URL-encoded, in options.q; the phone is at the venue.
  wx.getLocation = ({ success }) => success({ latitude: linked.latitude, longitude: linked.longitude, accuracy: 20 });
  const page = mountPage(createMeetingPage({ api, wx }));
  page.onLoad({ q: encodeURIComponent(linked.link) });
  await page.onShow();
  expect(page.data).toMatchObject({ state: 'ready', checkedIn: true, canScan: false });
  expect(page.data.statusText).toMatch(/^已签到 · \d{4}-\d\d-\d\d \d\d:\d\d$/);
  const meeting = await api.get(`/api/meetings/${linked.id}`);
  expect(meeting.my_attendance.status).toBe('present');
});

test('refusals arrive as the server error shape with a Chinese message', async () => {
  const api = createClient({ wx: nodeWx('contract-stranger'), baseUrl: SERVER });
  const err = await api.bindWithInvite('WRONG234', '无名氏').catch((e) => e);
  expect(err).toMatchObject({ status: 400, code: 'invite_code_invalid', message: '邀请码或姓名不正确，请核对后重试' });
});

test('a secretary schedules a meeting from the phone and opens it in secretary mode', async () => {
  const wx = nodeWx('contract-secretary');
  const api = createClient({ wx, baseUrl: SERVER });
  await api.login();
  const { code } = await emulator('/_phone/phone_code', { user: 'contract-secretary', phone: member.secretary.phone });
  await api.bindWithPhone(code);
  const options = await api.get('/api/meetings/options');
  expect(options.branch.name).toBe('甲一支部');
  expect(options.groups.map((g) => g.name)).toEqual(['第一党小组']);
  expect(options.kinds.map((k) => k.label)).toContain('主题党日');
  const tomorrow = beijingParts(new Date(Date.now() + 24 * 3600 * 1000)).day;
  const created = await api.post('/api/meetings', {
    kind: 'theme_day',
    title: '书记安排的主题党日',
    organiser_id: options.branch.id,
    participant_ids: [],
    day: tomorrow,
    starts: '09:00',
    ends: '11:00',
    place: '项目部会议室',
    geo_lat: 39.909,
    geo_lng: 116.3978,
    geo_radius_m: 200,
  });
  expect(created).toMatchObject({ title: '书记安排的主题党日', organiser: '甲一支部', needs_location: true });
  expect(created.starts_at).toBe(`${tomorrow}T01:00:00+00:00`);
  const opened = await api.get(`/api/meetings/${created.id}`);
  expect(opened).toMatchObject({ can_scan_members: true, place: '项目部会议室' });
});

test('an ordinary member is told, in Chinese, that only the secretary schedules meetings', async () => {
  const api = createClient({ wx: nodeWx('contract-phone-user'), baseUrl: SERVER });
  await api.login();
  const err = await api.get('/api/meetings/options').catch((e) => e);
  expect(err).toMatchObject({ status: 403, code: 'not_secretary', message: '只有支部书记可以安排会议' });
});

test("secretary mode's live list shows the member who checked in, and is refused to that member", async () => {
  const secretary = createClient({ wx: nodeWx('contract-secretary'), baseUrl: SERVER });
  await secretary.login(); // bound by phone while scheduling a meeting above
  const live = await secretary.get(`/api/meetings/${member.meeting.id}/arrivals`, { retry: false });
  expect(live).toMatchObject({ expected: 2, arrived: 1, present: 1, late: 0, leave: 0, not_arrived: 1 });
  expect(live.arrivals).toEqual([
    expect.objectContaining({ name: member.phone.name, status: 'present', status_label: '已到', method_label: '扫会议码' }),
  ]);
  expect(live.arrivals[0].checked_in_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*\+00:00$/);
  expect(live.not_arrived_names).toEqual([member.secretary.name]);
  const ordinary = createClient({ wx: nodeWx('contract-phone-user'), baseUrl: SERVER });
  await ordinary.login();
  const err = await ordinary.get(`/api/meetings/${member.meeting.id}/arrivals`).catch((e) => e);
  expect(err).toMatchObject({ status: 403, message: '只有本支部书记或上级党组织管理员可以查看签到情况' });
});

test('my attendance over a year, through the real client', async () => {
  const api = createClient({ wx: nodeWx('contract-phone-user'), baseUrl: SERVER });
  await api.login();
  const mine = await api.get(`/api/me/attendance?year=${member.attendance.year}`);
  expect(mine).toMatchObject({ year: member.attendance.year, expected: 2, present: 1, absent: 1, attended: 1, rate: 0.5 });
  expect(mine.meetings.map((m) => m.status_label).sort()).toEqual(['已到', '缺席']);
  const err = await api.get('/api/me/attendance?year=1999').catch((e) => e);
  expect(err).toMatchObject({ status: 422, code: 'invalid_input', fields: { year: ['应在 2000 到 2100 之间'] } });
});
