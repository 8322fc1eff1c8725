const { checkinCodeFrom, meetingIdFromCode, meetingTarget } = require('../utils/links');
const subscribe = require('../utils/subscribe');
const config = require('../config');

const CODE = 'M7.Ijci.aGVsbG8.c2lnbmF0dXJl_-';
const LINK = `https://dw.example.cn/m/checkin?c=${CODE}`;

test('a scanned link and a bare code give the same check-in code', () => {
  expect(checkinCodeFrom(LINK)).toBe(CODE);
  expect(checkinCodeFrom(` ${CODE} `)).toBe(CODE);
  expect(checkinCodeFrom('https://other.example.cn/?x=1')).toBeNull();
  expect(checkinCodeFrom('随便一段文字')).toBeNull();
});

test("WeChat's scanner link, a poster's scene and a plain id all name the meeting", () => {
  expect(meetingTarget({ q: encodeURIComponent(LINK) })).toEqual({ id: 7, code: CODE });
  expect(meetingTarget({ scene: encodeURIComponent('m=12') })).toEqual({ id: 12, code: null });
  expect(meetingTarget({ id: '5' })).toEqual({ id: 5, code: null });
  expect(meetingTarget({ id: '5; drop' })).toEqual({ id: null, code: null });
  expect(meetingIdFromCode('U3.abc')).toBeNull();
});

test('asking for reminders tells the server exactly what the member chose', async () => {
  const posted = [];
  const api = { post: (path, body) => posted.push([path, body]) && Promise.resolve({}) };
  const tmpl = config.subscribeTemplates.meeting_reminder;
  const wx = { requestSubscribeMessage: ({ tmplIds, success }) => success({ errMsg: 'ok', [tmplIds[0]]: 'accept' }) };
  await expect(subscribe.askFor({ wx, api, purposes: ['meeting_reminder'] })).resolves.toEqual({
    accepted: ['meeting_reminder'],
  });
  expect(posted).toEqual([['/api/me/subscriptions', { results: { [tmpl]: 'accept' } }]]);
  const refusing = { requestSubscribeMessage: ({ fail }) => fail({ errMsg: 'requestSubscribeMessage:fail' }) };
  await expect(subscribe.askFor({ wx: refusing, api, purposes: ['meeting_reminder'] })).resolves.toEqual({
    accepted: [],
  });
  expect(posted).toHaveLength(1);
});
