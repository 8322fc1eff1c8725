// 政治生日贺卡 as a member sees it: opened from the greeting in 消息, from 我的 without a card, and when it
// cannot be shown. Each state is saved as a phone screenshot.
const { renderWithComponents: render, textOf, texts, componentTexts } = require('./render');
const { saveScreen } = require('./screen');
const { mountPage } = require('./fake-wx');
const { createBirthdayCardPage, MY_BIRTHDAY_PATH } = require('../pages/birthday-card/logic');
const { kindOf } = require('../utils/inbox');
const { ApiError, NetworkError } = require('../utils/api');

const CARD = { id: 7, name: '张建国', join_date: '2005-07-01', years: 21, greeted_on: '2026-07-01', line: '廿载风雨同舟，信念愈加坚定' };

function fakeApi(answers) {
  const calls = [];
  return {
    calls,
    get(path, options) {
      calls.push([path, options]);
      const answer = answers[path];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
}

async function open(answers, options) {
  const api = fakeApi(answers);
  const wx = { switched: [], switchTab: ({ url }) => wx.switched.push(url) };
  const page = mountPage(createBirthdayCardPage({ api, wx }));
  await page.onLoad(options);
  return { page, api, wx };
}

const stateText = (comp) => componentTexts(comp, 'page-state__text');

test('the greeting in 消息 opens this page with its id', () => {
  expect(kindOf('birthday')).toMatchObject({ label: '政治生日' });
  expect(kindOf('birthday').page(7)).toBe('/pages/birthday-card/index?id=7');
});

test('the card: 您的第N个政治生日, the join date, the years and a line', async () => {
  const { page, api, wx } = await open({ '/api/birthday-greetings/7': CARD }, { id: '7' });
  expect(api.calls).toEqual([['/api/birthday-greetings/7', { retry: false }]]);
  const comp = render('birthday-card', page.data);
  expect(textOf(comp, '.greeting__headline')).toBe('您的第21个政治生日');
  expect(textOf(comp, '.greeting__to')).toBe('张建国同志：');
  expect(texts(comp, '.fact__value')).toEqual(['2005年7月1日', '21 年']);
  expect(textOf(comp, '.greeting__line')).toBe('廿载风雨同舟，信念愈加坚定');
  expect(textOf(comp, '.greeting__from')).toBe('2026年7月1日 · 党组织祝您政治生日快乐');
  expect(textOf(comp, '.back')).toBe('返回消息');
  page.onBack();
  expect(wx.switched).toEqual(['/pages/inbox/index']);
  saveScreen(comp, 'birthday-card', 'card');
});

test('from 我的 without a card yet: when the next political birthday comes', async () => {
  const mine = { join_date: '2016-12-20', next_birthday: '2026-12-20', years_in_party: 9, greeting: null };
  const { page } = await open({ [MY_BIRTHDAY_PATH]: mine }, {});
  const comp = render('birthday-card', page.data);
  expect(page.data.card).toBeNull();
  expect(textOf(comp, '.upcoming__next')).toBe('2026年12月20日');
  saveScreen(comp, 'birthday-card', 'upcoming');
});

test('no join date in the register: what to do about it', async () => {
  const nothing = { join_date: null, next_birthday: null, years_in_party: null, greeting: null };
  const { page } = await open({ [MY_BIRTHDAY_PATH]: nothing }, {});
  const comp = render('birthday-card', page.data);
  expect(stateText(comp)).toEqual(['党员名册中还没有您的入党日期，请联系支部书记补充']);
  saveScreen(comp, 'birthday-card', 'empty');
});

test('another member’s card, or a mangled link, is not found; a network failure offers 重新加载', async () => {
  const missing = new ApiError(404, 'not_found', '贺卡不存在');
  let { page } = await open({ '/api/birthday-greetings/8': missing }, { id: '8' });
  expect(stateText(render('birthday-card', page.data))).toEqual(['没有找到这张贺卡']);
  ({ page } = await open({}, { id: 'x' }));
  expect(page.data.stateMessage).toBe('没有找到这张贺卡');
  ({ page } = await open({ '/api/birthday-greetings/7': new NetworkError() }, { id: '7' }));
  const comp = render('birthday-card', page.data);
  expect(page.data.state).toBe('error');
  saveScreen(comp, 'birthday-card', 'error');
});

test('loading', () => {
  const comp = render('birthday-card', { state: 'loading', card: null, upcoming: null });
  expect(stateText(comp)).toEqual(['加载中…']);
  saveScreen(comp, 'birthday-card', 'loading');
});
