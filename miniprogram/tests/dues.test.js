// 党费 pages against a fake server: choosing months oldest first, the total, paying without trusting
// WeChat's success, cancel, a closed order, the relative's 代缴 view, history and receipt.
const { choicesFrom, totalFen, orderFrom, pollDelay, duesPathFor, LONG_WAIT_MS } = require('../pages/dues/logic');
const { createDuesHistoryPage, paymentRow } = require('../pages/dues-history/logic');
const { createDuesReceiptPage, receiptView } = require('../pages/dues-receipt/logic');
const { createHomePage } = require('../pages/home/logic');
const { yuan, fenFromYuan } = require('../utils/money');
const { monthLabel, monthsText } = require('../utils/dues');
const { ApiError, NetworkError } = require('../utils/api');
const { mountPage } = require('./fake-wx');
const { ME, PAID_UP, CREATED, pending, paidOrder, manualTimers, flush, phone, fakeApi, opened } = require('./dues-fakes');

const tap = (page, index) => page.onToggleMonth({ currentTarget: { dataset: { index } } });
const ordersPolled = (api) => api.get.mock.calls.filter(([path]) => path.startsWith('/api/dues/orders/')).length;

describe('money and months', () => {
  test('fen read as yuan with two decimals; typed yuan become integer fen without floats', () => {
    expect([yuan(0), yuan(5), yuan(1500), yuan(123456), yuan(-50), yuan(1.5), yuan(null)]).toEqual(['0.00', '0.05', '15.00', '1234.56', '-0.50', '', '']);
    expect(fenFromYuan('0.29')).toEqual({ fen: 29 }); // 0.29 * 100 is 28.999… as a float
    expect(fenFromYuan('1.1')).toEqual({ fen: 110 });
    expect(fenFromYuan(' 20 ')).toEqual({ fen: 2000 });
    expect(fenFromYuan('')).toEqual({ fen: 0 });
    for (const bad of ['1.234', '-5', 'abc', '1e3', '1,5', '.5', '1 0']) expect(fenFromYuan(bad).error).toMatch('请输入正确的金额');
    expect(fenFromYuan('100000').error).toBe('金额不能超过 99999.99 元');
  });

  test('months read as members say them; a run of months is shown as a range', () => {
    expect(monthLabel('2027-01')).toBe('2027年1月');
    expect(monthsText(['2026-12', '2026-11', '2027-01'])).toBe('2026年11月—2027年1月（3个月）');
    expect(monthsText(['2026-08', '2026-10'])).toBe('2026年8月、2026年10月');
    expect(monthsText(['2026-08'])).toBe('2026年8月');
  });
});

describe('choosing months', () => {
  test('payable months oldest first, then the months ahead; months past the limit listed with their reason', () => {
    const { choices, blocked } = choicesFrom(ME);
    expect(choices.map((c) => c.month)).toEqual(['2026-08', '2026-09', '2026-10', '2026-11', '2026-12']);
    expect(blocked).toEqual([{ key: 'bill-7', label: '2025年1月', amount: '12.00', reason: '超过补缴期限，请联系支部处理' }]);
    expect(totalFen(choices, 3, 250)).toBe(4750);
    expect(orderFrom(choices, 4, 0, null)).toEqual({ bill_ids: [11, 12, 13], ahead_months: 1, extra_fen: 0, for_token: null });
  });

  test('the page opens with what is owed, nothing chosen and 支付 not offered', async () => {
    const { page, api } = await opened();
    expect(api.get).toHaveBeenCalledWith('/api/dues/me', { retry: false });
    expect(page.data).toMatchObject({ state: 'ready', owedText: '45.00', paidUpText: '已缴至 2026年7月', totalText: '0.00', canPay: false });
    expect(page.data.rows.map((r) => `${r.label}${r.checked ? '✓' : ''}`)).toEqual(['2026年8月', '2026年9月', '2026年10月', '2026年11月', '2026年12月']);
  });

  test('months are chosen in order: a later month brings the earlier ones, unticking one drops the later ones', async () => {
    const { page, wx } = await opened();
    tap(page, 0);
    expect(page.data.rows.map((r) => r.checked)).toEqual([true, false, false, false, false]);
    expect(page.data).toMatchObject({ totalText: '15.00', canPay: true });
    tap(page, 2); // cannot skip September: it comes along
    expect(page.data.rows.map((r) => r.checked)).toEqual([true, true, true, false, false]);
    expect(page.data.totalText).toBe('45.00');
    expect(wx.toasts.pop().title).toContain('已同时选中之前的月份');
    tap(page, 1); // unticking September lets October go too
    expect(page.data.rows.map((r) => r.checked)).toEqual([true, false, false, false, false]);
    tap(page, 0);
    expect(page.data).toMatchObject({ totalText: '0.00', canPay: false });
  });

  test('自愿多交 adds to the total; a wrong amount is explained and stops 支付', async () => {
    const { page } = await opened();
    tap(page, 2);
    page.onExtraInput({ detail: { value: '5.5' } });
    expect(page.data).toMatchObject({ totalText: '50.50', extraError: '', canPay: true });
    page.onExtraInput({ detail: { value: '5.555' } });
    expect(page.data).toMatchObject({ totalText: '45.00', extraError: '请输入正确的金额，最多两位小数', canPay: false });
  });

  test('nothing owed on the server’s word is 党费已缴清; owing something is never shown as paid up', async () => {
    const { page } = await opened({ api: fakeApi({ me: PAID_UP }) });
    expect(page.data).toMatchObject({ state: 'empty', stateMessage: '党费已缴清，已缴至 2026年12月' });
    // a month past the limit is still owed, though none can be paid here
    const onlyBlocked = { ...PAID_UP, owed_fen: 1200, bills: [ME.bills[3]] };
    const second = await opened({ api: fakeApi({ me: onlyBlocked }) });
    expect(second.page.data).toMatchObject({ state: 'ready', owedText: '12.00', paidUp: false });
    expect(second.page.data.blocked).toHaveLength(1);
    // paid up with months offered ahead: paid up, and the months can be chosen
    const ahead = await opened({ api: fakeApi({ me: { ...PAID_UP, ahead: ME.ahead } }) });
    expect(ahead.page.data).toMatchObject({ state: 'ready', paidUp: true });
    expect(ahead.page.data.rows).toHaveLength(2);
  });

  test('a failed load is an error with 重新加载, and the retry loads', async () => {
    const me = jest.fn().mockRejectedValueOnce(new NetworkError()).mockResolvedValue(ME);
    const { page } = await opened({ api: fakeApi({ me }) });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
    await page.onRetry();
    expect(page.data.state).toBe('ready');
  });
});

describe('paying', () => {
  test('支付 sends the chosen bills, months ahead and extra; WeChat gets the server’s parameters', async () => {
    const { page, api, wx } = await opened();
    tap(page, 3);
    page.onExtraInput({ detail: { value: '10' } });
    await page.onPay();
    expect(api.post).toHaveBeenCalledWith('/api/dues/orders', { bill_ids: [11, 12, 13], ahead_months: 1, extra_fen: 1000, for_token: null });
    expect(wx.payments[0]).toMatchObject(CREATED.payment);
  });

  test("WeChat's success is not trusted: the page waits until the server says paid", async () => {
    const api = fakeApi({ orders: [pending, pending, paidOrder] });
    const { page, wx, timers } = await opened({ api });
    tap(page, 2);
    await page.onPay();
    await flush();
    expect(page.data.phase).toBe('waiting');
    expect(wx.toasts.filter((t) => t.icon === 'success')).toEqual([]);
    expect(ordersPolled(api)).toBe(1);
    expect(api.get).toHaveBeenLastCalledWith('/api/dues/orders/D20261201A1', { retry: false });
    expect(await timers.fireNext()).toBe(1000);
    expect(page.data.phase).toBe('waiting');
    expect(await timers.fireNext()).toBe(2000); // backing off
    expect(page.data).toMatchObject({ phase: 'paid' });
    expect(page.data.order).toMatchObject({ amountText: '45.00', monthsText: '2026年8月—2026年10月（3个月）', paidAtText: '2026-12-01 10:05' });
    expect(wx.toasts.pop()).toMatchObject({ title: '缴费成功', icon: 'success' });
    expect(timers.pending).toEqual([]);
  });

  test('after paying, the dues reminder is asked for from the modal’s confirm', async () => {
    const wx = phone();
    wx.showModal = (options) => {
      wx.modals.push(options);
      options.success({ confirm: true });
    };
    const api = fakeApi({ orders: [paidOrder] });
    const { page } = await opened({ api, wx });
    tap(page, 0);
    await page.onPay();
    await flush();
    expect(wx.modals[0].title).toBe('党费提醒');
    expect(wx.subscribeAsked).toEqual([['demo_dues_reminder']]);
    await flush();
    expect(api.post).toHaveBeenCalledWith('/api/me/subscriptions', { results: { demo_dues_reminder: 'accept' } });
  });

  test('a cancel in WeChat goes back to the choice with nothing marked paid and nothing polled', async () => {
    const { page, api, wx, timers } = await opened({ wx: phone({ payment: 'cancel' }) });
    tap(page, 1);
    await page.onPay();
    expect(page.data).toMatchObject({ phase: 'choose', paying: false, canPay: true, totalText: '30.00' });
    expect(page.data.rows.map((r) => r.checked)).toEqual([true, true, false, false, false]);
    expect(wx.toasts.pop()).toMatchObject({ title: '已取消支付', icon: 'none' });
    expect(ordersPolled(api)).toBe(0);
    expect(timers.pending).toEqual([]);
  });

  test('a failed payment sheet says so and tells the member not to pay twice', async () => {
    const { page } = await opened({ wx: phone({ payment: 'fail' }) });
    tap(page, 0);
    await page.onPay();
    expect(page.data.phase).toBe('choose');
    expect(page.data.refusal).toContain('不要重复支付');
  });

  test('the server’s refusal is shown in its own words and no payment sheet opens', async () => {
    const refusal = new ApiError(422, 'dues_order_refused', '2026年8月的党费须先缴纳');
    const { page, wx } = await opened({ api: fakeApi({ post: { '/api/dues/orders': refusal } }) });
    tap(page, 0);
    await page.onPay();
    expect(page.data).toMatchObject({ refusal: '2026年8月的党费须先缴纳', paying: false, phase: 'choose' });
    expect(wx.payments).toEqual([]);
    tap(page, 1); // a new choice clears the old refusal
    expect(page.data.refusal).toBe('');
  });

  test('a closed order says no money was taken and 重新选择 loads afresh', async () => {
    const api = fakeApi({ orders: [{ ...pending, status: 'closed' }] });
    const { page } = await opened({ api });
    tap(page, 0);
    await page.onPay();
    await flush();
    expect(page.data.phase).toBe('closed');
    await page.onBackToChoice();
    expect(page.data).toMatchObject({ phase: 'choose', state: 'ready', totalText: '0.00' });
    expect(api.get.mock.calls.filter(([p]) => p === '/api/dues/me')).toHaveLength(2);
  });

  test('money that arrived after the months were paid otherwise is never shown as 缴费成功', async () => {
    const unapplied = { ...pending, status: 'unapplied', paid_at: '2026-12-01T02:05:00+00:00', months: ['2026-08'] };
    const wx = phone();
    const { page } = await opened({ api: fakeApi({ orders: [unapplied] }), wx });
    tap(page, 0);
    await page.onPay();
    await flush();
    expect(page.data.phase).toBe('unapplied');
    expect(page.data.order).toMatchObject({ status: 'unapplied', amountText: '45.00', paidAtText: '2026-12-01 10:05' });
    expect(wx.toasts.map((t) => t.title)).not.toContain('缴费成功');
    expect(wx.modals).toEqual([]); // no reminder offered for a payment that paid nothing
  });

  test('the wait stops while hidden, resumes on show, says plainly when it takes long, and survives lost answers', async () => {
    const api = fakeApi({ orders: [pending, new NetworkError(), pending, paidOrder] });
    const clock = { t: 0 };
    const { page, timers } = await opened({ api, clock });
    tap(page, 0);
    await page.onPay();
    await flush();
    expect(timers.pending).toHaveLength(1);
    page.onHide();
    expect(timers.pending).toEqual([]);
    const polledWhileHidden = ordersPolled(api);
    clock.t = LONG_WAIT_MS + 1;
    await page.onShow();
    await flush();
    expect(ordersPolled(api)).toBe(polledWhileHidden + 1); // asked at once on return (a lost answer)
    expect(page.data).toMatchObject({ phase: 'waiting', waitingLong: true });
    await timers.fireNext(); // pending
    expect(page.data.phase).toBe('waiting');
    await timers.fireNext(); // paid
    expect(page.data.phase).toBe('paid');
  });

  test('the backoff grows to a ceiling', () => {
    expect([0, 1, 2, 3, 4, 5, 20].map(pollDelay)).toEqual([1000, 2000, 3000, 5000, 8000, 10000, 10000]);
  });
});

describe('请人代缴', () => {
  test('the member makes a token and shares this page with it', async () => {
    const made = { token: 'tok/1', expires_at: '2026-12-08T02:00:00+00:00', member_name: '张三' };
    const { page, api } = await opened({ api: fakeApi({ post: { '/api/dues/proxy-tokens': made } }) });
    expect(page.onShareAppMessage().path).toBe('/pages/dues/index');
    await page.onMakeProxy();
    expect(api.post).toHaveBeenCalledWith('/api/dues/proxy-tokens', {});
    expect(page.data.proxy).toEqual({ token: 'tok/1', memberName: '张三', expiresText: '2026-12-08 10:00' });
    expect(page.onShareAppMessage()).toEqual({ title: '请帮张三缴纳党费', path: '/pages/dues/index?token=tok%2F1&name=%E5%BC%A0%E4%B8%89' });
  });

  test("the relative sees whose dues these are and pays them with the token; no reminder is asked", async () => {
    const wx = phone();
    const api = fakeApi({ me: { ...ME, member_name: '张三' }, orders: [paidOrder] });
    const { page } = await opened({ api, wx, options: { token: 'tok/1', name: '%E5%BC%A0%E4%B8%89' } });
    expect(api.get).toHaveBeenCalledWith(duesPathFor('tok/1'), { retry: false });
    expect(duesPathFor('tok/1')).toBe('/api/dues/me?for_token=tok%2F1');
    expect(page.data).toMatchObject({ forToken: 'tok/1', ownerName: '张三' });
    tap(page, 0);
    await page.onPay();
    await flush();
    expect(api.post).toHaveBeenCalledWith('/api/dues/orders', { bill_ids: [11], ahead_months: 0, extra_fen: 0, for_token: 'tok/1' });
    expect(page.data.phase).toBe('paid');
    expect(wx.modals).toEqual([]);
  });

  test("an answer that does not name whose dues they are is not offered for paying", async () => {
    const { page, api } = await opened({ options: { token: 'tok/1' } });
    expect(page.data).toMatchObject({ state: 'error', rows: [] });
    expect(page.data.stateMessage).toContain('代缴链接');
    expect(api.post).not.toHaveBeenCalled();
  });
});

describe('history and receipt', () => {
  const PAYMENTS = {
    items: [
      { id: 31, paid_at: '2026-12-01T02:05:00+00:00', amount_fen: 5500, extra_fen: 1000, channel: 'wechat', months: ['2026-08', '2026-09', '2026-10'], payer_name: '李四', refunded_fen: 1500 },
      { id: 30, paid_at: '2026-06-30T16:30:00+00:00', amount_fen: 1500, extra_fen: 0, channel: 'cash', months: ['2026-07'], payer_name: '王书记', refunded_fen: 1500 },
      { id: 29, paid_at: '2026-06-01T01:00:00+00:00', amount_fen: 1500, extra_fen: 0, channel: 'wechat', months: ['2026-06'], payer_name: '张三', refunded_fen: 0 },
    ],
  };

  test('each payment with its months, Beijing time, channel, 代缴人 and refunds; a tap opens its receipt', async () => {
    const wx = phone();
    const api = { get: jest.fn().mockResolvedValue(PAYMENTS), member: () => ({ id: 5, name: '张三' }) };
    const page = mountPage(createDuesHistoryPage({ api, wx }));
    await page.onLoad();
    expect(api.get).toHaveBeenCalledWith('/api/dues/payments', { retry: false });
    expect(page.data.payments[0]).toMatchObject({
      amountText: '55.00',
      monthsText: '2026年8月—2026年10月（3个月）',
      extraText: '含自愿多交 10.00 元',
      when: '2026-12-01 10:05',
      channel: '微信支付',
      payer: '代缴人：李四',
      refund: '已退款 15.00 元',
    });
    // the secretary who recorded cash is no 代缴人, nor am I on my own payment
    expect(page.data.payments[1]).toMatchObject({ when: '2026-07-01 00:30', channel: '现金', payer: '', refund: '已全额退款 15.00 元' });
    expect(page.data.payments[2]).toMatchObject({ payer: '', refund: '' });
    page.open({ currentTarget: { dataset: { id: 31 } } });
    expect(wx.navigated).toEqual(['/pages/dues-receipt/index?id=31']);
  });

  test('money that covered nothing says so, is not shown as paid, and has no receipt to open', async () => {
    const wx = phone();
    const unapplied = { ...PAYMENTS.items[2], id: 40, status: 'unapplied' };
    const reversed = { ...PAYMENTS.items[1], id: 41, status: 'reversed', refunded_fen: 1500 };
    const api = { get: jest.fn().mockResolvedValue({ items: [unapplied, reversed] }), member: () => ({ name: '张三' }) };
    const page = mountPage(createDuesHistoryPage({ api, wx }));
    await page.onLoad();
    expect(page.data.payments[0]).toMatchObject({ status: 'unapplied', hasReceipt: false });
    expect(page.data.payments[0].note).toContain('未计入党费');
    expect(page.data.payments[1]).toMatchObject({ status: 'reversed', hasReceipt: true });
    expect(page.data.payments[1].note).toContain('已冲正');
    page.open({ currentTarget: { dataset: { id: 40 } } });
    expect(wx.navigated).toEqual([]);
    page.open({ currentTarget: { dataset: { id: 41 } } });
    expect(wx.navigated).toEqual(['/pages/dues-receipt/index?id=41']);
    expect(paymentRow(PAYMENTS.items[0])).toMatchObject({ status: 'paid', note: '', hasReceipt: true });
  });

  test('no payments is empty; a failure is an error with 重新加载', async () => {
    const api = { get: jest.fn().mockResolvedValueOnce({ items: [] }).mockRejectedValueOnce(new ApiError(500, 'server_error', '服务器出错了')) };
    const page = mountPage(createDuesHistoryPage({ api, wx: phone() }));
    await page.onLoad();
    expect(page.data).toMatchObject({ state: 'empty', stateMessage: '还没有缴费记录' });
    await page.onRetry();
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '服务器出错了' });
    expect(paymentRow({ ...PAYMENTS.items[0], months: [], refunded_fen: 0 })).toMatchObject({ monthsText: '自愿多交', refund: '' });
  });

  const RECEIPT = {
    receipt_no: 'DF2026120100031',
    member_name: '张三',
    branch: '第一党支部',
    months: ['2026-08', '2026-09', '2026-10'],
    amount_fen: 5500,
    extra_fen: 1000,
    channel: 'wechat',
    paid_at: '2026-12-01T02:05:00+00:00',
    payer_name: '李四',
  };

  test('the receipt: amount, months, Beijing time, number, and the payer when someone else paid', async () => {
    const api = { get: jest.fn().mockResolvedValue(RECEIPT) };
    const page = mountPage(createDuesReceiptPage({ api, wx: phone() }));
    await page.onLoad({ id: '31' });
    expect(api.get).toHaveBeenCalledWith('/api/dues/payments/31/receipt', { retry: false });
    expect(page.data.receipt).toMatchObject({ amountText: '55.00', monthsText: '2026年8月—2026年10月（3个月）', paidAt: '2026-12-01 10:05', receiptNo: 'DF2026120100031', payer: '李四', extraText: '10.00 元' });
    expect(receiptView({ ...RECEIPT, payer_name: '张三' }).payer).toBe('');
    expect(receiptView({ ...RECEIPT, channel: 'cash', payer_name: '王书记' }).payer).toBe('');
    expect(receiptView({ ...RECEIPT, payer_name: '张三', by_proxy: true }).payer).toBe('张三'); // the server's flag wins
  });

  test('a receipt without a valid id or one the server refuses is an error, not a spinner', async () => {
    const api = { get: jest.fn().mockRejectedValue(new ApiError(404, 'not_found', '没有找到这笔缴费')) };
    const bad = mountPage(createDuesReceiptPage({ api, wx: phone() }));
    await bad.onLoad({ id: 'x' });
    expect(bad.data).toMatchObject({ state: 'error', stateMessage: '没有找到这张收据' });
    expect(api.get).not.toHaveBeenCalled();
    const missing = mountPage(createDuesReceiptPage({ api, wx: phone() }));
    await missing.onLoad({ id: '99' });
    expect(missing.data).toMatchObject({ state: 'error', stateMessage: '没有找到这笔缴费' });
  });
});

describe('home', () => {
  const HOME = { member_name: '张三', branch_name: '第一党支部', todos: [], next_meeting: null };

  test('the 党费 entry appears only when the server offers dues', async () => {
    for (const [features, shown] of [[['meetings'], false], [['meetings', 'dues'], true]]) {
      const wx = phone();
      const api = { get: jest.fn().mockResolvedValue({ ...HOME, features }) };
      const page = mountPage(createHomePage({ api, wx }));
      await page.onShow();
      expect(page.data.entries.some((e) => e.url === '/pages/dues/index')).toBe(shown);
      if (shown) {
        await page.onEntry({ currentTarget: { dataset: { key: 'dues' } } });
        expect(wx.navigated).toEqual(['/pages/dues/index']);
      }
    }
  });
});
