// 我的签到码: refreshes before it expires, keeps trying after a failure, stops when hidden, counts down
// and names the member, and keeps the screen on while shown.
const { createMyCodePage } = require('../pages/my-code/logic');
const { NetworkError } = require('../utils/api');
const { createFakeWx, mountPage } = require('./fake-wx');
const { renderWithComponents, texts, componentTexts } = require('./render');
const { saveScreen } = require('./screen');

// a real QR image, so the screenshot shows what the secretary would scan
const QR = require('fs').readFileSync(require('path').join(__dirname, 'fixtures', 'member-code.b64'), 'utf8');
const CODE = { code: 'U1.x', member_name: '周九', qr_png_base64: QR, expires_in: 60 };

// Timers the test runs by hand: `tick()` fires the pending one (if not cleared).
function manualTimers() {
  const timers = { pending: [], cleared: 0 };
  timers.set = (fn, ms) => {
    const timer = { fn, ms, live: true };
    timers.pending.push(timer);
    return timer;
  };
  timers.clear = (timer) => {
    if (timer && timer.live) timers.cleared += 1;
    if (timer) timer.live = false;
  };
  timers.live = () => timers.pending.filter((t) => t.live);
  timers.tick = async () => {
    const [next] = timers.live();
    if (!next) return false;
    next.live = false;
    await next.fn();
    await new Promise((resolve) => setTimeout(resolve, 0));
    return true;
  };
  return timers;
}

function setUp(answers) {
  const wx = createFakeWx({ handler: () => ({}) });
  wx.screen = [];
  wx.setKeepScreenOn = ({ keepScreenOn }) => wx.screen.push(keepScreenOn);
  const api = { get: jest.fn() };
  answers.forEach((answer) => {
    if (answer instanceof Error) api.get.mockRejectedValueOnce(answer);
    else api.get.mockResolvedValueOnce(answer);
  });
  const timers = manualTimers();
  const page = mountPage(createMyCodePage({ api, wx, setTimer: timers.set, clearTimer: timers.clear }));
  return { wx, api, timers, page };
}

const render = (data) => renderWithComponents('my-code', data);

test('shows my name and code, keeps the screen on, and counts down to the next refresh', async () => {
  const { wx, api, timers, page } = setUp([CODE, { ...CODE, qr_png_base64: 'NEXT' }]);
  await page.onShow();
  expect(wx.screen).toEqual([true]);
  expect(api.get).toHaveBeenCalledWith('/api/me/checkin-code', { retry: false });
  expect(page.data).toMatchObject({ state: 'ready', memberName: '周九', image: `data:image/png;base64,${QR}`, countdown: 30 });
  expect(timers.live()[0].ms).toBe(1000);
  await timers.tick();
  expect(page.data.countdown).toBe(29);
  const comp = render(page.data);
  expect(texts(comp, '.name')).toEqual(['周九']);
  expect(texts(comp, '.countdown')).toEqual(['29 秒后自动刷新']);
  saveScreen(comp, 'my-code', 'ready');
  for (let i = 0; i < 29; i += 1) await timers.tick();
  expect(api.get).toHaveBeenCalledTimes(2);
  expect(page.data).toMatchObject({ image: 'data:image/png;base64,NEXT', countdown: 30 });
});

test('a failure before any code shows an error, and it keeps trying by itself', async () => {
  const { api, timers, page } = setUp([new NetworkError(), new NetworkError(), CODE]);
  await page.onShow();
  expect(page.data.state).toBe('error');
  expect(page.data.stateMessage).toBe('网络不给力，请检查网络后重试，5 秒后自动重试');
  const comp = render(page.data);
  expect(componentTexts(comp, 'page-state__retry')).toEqual(['重新加载']);
  saveScreen(comp, 'my-code', 'error');
  for (let i = 0; i < 5; i += 1) await timers.tick();
  expect(api.get).toHaveBeenCalledTimes(2); // failed again: still trying
  for (let i = 0; i < 5; i += 1) await timers.tick();
  expect(api.get).toHaveBeenCalledTimes(3);
  expect(page.data).toMatchObject({ state: 'ready', memberName: '周九' });
});

test('a failure after a code keeps it on screen and says when it retries', async () => {
  const { timers, page } = setUp([CODE, new NetworkError(), CODE]);
  await page.onShow();
  for (let i = 0; i < 30; i += 1) await timers.tick();
  expect(page.data).toMatchObject({ state: 'ready', failed: true, countdown: 5, image: `data:image/png;base64,${QR}` });
  const comp = render(page.data);
  expect(texts(comp, '.failed')).toEqual(['网络不给力，5 秒后重试']);
  saveScreen(comp, 'my-code', 'retrying');
  for (let i = 0; i < 5; i += 1) await timers.tick();
  expect(page.data.failed).toBe(false);
});

test('hidden, it stops refreshing and lets the screen sleep; an answer arriving late schedules nothing', async () => {
  const { wx, api, timers, page } = setUp([CODE]);
  await page.onShow();
  page.onHide();
  expect(timers.live()).toEqual([]);
  expect(wx.screen).toEqual([true, false]);

  let answer;
  api.get.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
  const shown = page.onShow();
  page.onUnload();
  answer(CODE);
  await shown;
  expect(timers.live()).toEqual([]);
  expect(wx.screen).toEqual([true, false, true, false]);
});

test('loading', () => {
  const comp = render({ state: 'loading' });
  expect(componentTexts(comp, 'page-state__text')).toEqual(['加载中…']);
  saveScreen(comp, 'my-code', 'loading');
});
