// The 党费 pages' templates as a member sees them, in every state, with the data their logic produced
// from the fake server (so what is rendered is what the page would really show). Each state is saved as
// a phone screenshot.
const { renderWithComponents: render, componentTexts, texts } = require('./render');
const { saveScreen } = require('./screen');
const { mountPage } = require('./fake-wx');
const { ME, PAID_UP, pending, paidOrder, manualTimers, flush, phone, fakeApi, opened } = require('./dues-fakes');
const { createDuesHistoryPage } = require('../pages/dues-history/logic');
const { createDuesReceiptPage } = require('../pages/dues-receipt/logic');
const { ApiError, NetworkError } = require('../utils/api');
const { LONG_WAIT_MS } = require('../pages/dues/logic');

const text = (comp, selector) => {
  const node = comp.querySelector(selector);
  return node ? node.dom.textContent.replace(/\s+/g, ' ').trim() : undefined;
};
const tap = (page, index) => page.onToggleMonth({ currentTarget: { dataset: { index } } });
const stateText = (comp) => componentTexts(comp, 'page-state__text');

describe('党费', () => {
  test('loading and error with 重新加载', async () => {
    const loading = render('dues', { state: 'loading', phase: 'choose' });
    expect(stateText(loading)).toHaveLength(1);
    expect(loading.querySelector('.pay')).toBeUndefined();
    saveScreen(loading, 'dues', 'loading');
    const { page } = await opened({ api: fakeApi({ me: () => Promise.reject(new NetworkError()) }) });
    const failed = render('dues', page.data);
    expect(stateText(failed)).toEqual(['网络不给力，请检查网络后重试']);
    expect(componentTexts(failed, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(failed, 'dues', 'error');
  });

  test('paid up on the server’s word: 党费已缴清 and nothing to pay', async () => {
    const { page } = await opened({ api: fakeApi({ me: PAID_UP }) });
    const comp = render('dues', page.data);
    expect(stateText(comp)).toEqual(['党费已缴清，已缴至 2026年12月']);
    expect(comp.querySelector('.pay__button')).toBeUndefined();
    saveScreen(comp, 'dues', 'empty');
  });

  test('what I owe, the months to choose, the months that cannot be paid, and the total', async () => {
    const { page } = await opened();
    const fresh = render('dues', page.data);
    expect(text(fresh, '.owed__amount')).toBe('45.00');
    expect(text(fresh, '.paid-up')).toBe('已缴至 2026年7月');
    expect(texts(fresh, '.month .item__title')).toEqual(['2026年8月', '2026年9月', '2026年10月', '2026年11月预缴', '2026年12月预缴']);
    expect(text(fresh, '.blocked')).toBe('2025年1月 · 12.00 元超过补缴期限，请联系支部处理');
    expect(text(fresh, '.pay__hint')).toBe('请先选择要缴纳的月份');
    tap(page, 2);
    page.onExtraInput({ detail: { value: '10' } });
    const chosen = render('dues', page.data);
    expect(texts(chosen, '.month--checked .item__title')).toEqual(['2026年8月', '2026年9月', '2026年10月']);
    expect(text(chosen, '.pay__total')).toBe('合计55.00元');
    expect(text(chosen, '.pay__button')).toBe('支付');
    expect(chosen.querySelector('.pay__hint')).toBeUndefined();
    expect(text(chosen, '.proxy__make')).toBe('请人代缴');
    saveScreen(chosen, 'dues', 'choose');
    page.onExtraInput({ detail: { value: '1.234' } });
    const wrong = render('dues', page.data);
    expect(text(wrong, '.extra__error')).toBe('请输入正确的金额，最多两位小数');
    saveScreen(wrong, 'dues', 'extra-invalid');
  });

  test('the server’s refusal is shown on the page', async () => {
    const { page } = await opened({ api: fakeApi({ post: { '/api/dues/orders': new ApiError(422, 'refused', '2026年8月的党费须先缴纳') } }) });
    tap(page, 0);
    await page.onPay();
    const comp = render('dues', page.data);
    expect(text(comp, '.refusal')).toBe('2026年8月的党费须先缴纳');
    saveScreen(comp, 'dues', 'refused');
  });

  test('waiting for the server after WeChat’s sheet, then told plainly when it takes long', async () => {
    const clock = { t: 0 };
    const { page, timers } = await opened({ api: fakeApi({ orders: [pending] }), clock });
    tap(page, 2);
    await page.onPay();
    await flush();
    const waiting = render('dues', page.data);
    expect(text(waiting, '.outcome__title')).toBe('正在确认支付结果…');
    expect(waiting.querySelector('.paid')).toBeUndefined();
    expect(waiting.querySelector('.pay')).toBeUndefined();
    expect(waiting.querySelector('.waiting__long')).toBeUndefined();
    expect(waiting.querySelector('.waiting__history')).toBeUndefined();
    saveScreen(waiting, 'dues', 'waiting');
    clock.t = LONG_WAIT_MS;
    await timers.fireNext();
    const long = render('dues', page.data);
    expect(text(long, '.waiting__long')).toContain('请勿重复支付');
    expect(text(long, '.waiting__history')).toBe('查看缴费记录');
    saveScreen(long, 'dues', 'waiting-long');
    page.onUnload();
  });

  test('paid: the amount, the months and the time the server confirmed', async () => {
    const { page } = await opened({ api: fakeApi({ orders: [paidOrder] }) });
    tap(page, 2);
    await page.onPay();
    await flush();
    const comp = render('dues', page.data);
    expect(text(comp, '.outcome__title')).toBe('缴费成功');
    expect(text(comp, '.outcome__amount')).toBe('45.00 元');
    expect(text(comp, '.paid__months')).toBe('2026年8月—2026年10月（3个月）');
    saveScreen(comp, 'dues', 'paid');
  });

  test('a closed order: no money taken, choose again', async () => {
    const { page } = await opened({ api: fakeApi({ orders: [{ ...pending, status: 'closed' }] }) });
    tap(page, 0);
    await page.onPay();
    await flush();
    const comp = render('dues', page.data);
    expect(text(comp, '.outcome__title')).toBe('订单已关闭');
    expect(text(comp, '.closed .btn')).toBe('重新选择');
    saveScreen(comp, 'dues', 'closed');
  });

  test('money taken after the months were paid otherwise: not dues, refunded, do not pay again', async () => {
    const unapplied = { ...pending, status: 'unapplied', paid_at: '2026-12-01T02:05:00+00:00' };
    const { page } = await opened({ api: fakeApi({ orders: [unapplied] }) });
    tap(page, 2);
    await page.onPay();
    await flush();
    const comp = render('dues', page.data);
    expect(text(comp, '.outcome__title')).toBe('已收款，未计入党费');
    expect(text(comp, '.unapplied .hint')).toContain('原路退回');
    expect(comp.querySelector('.paid')).toBeUndefined();
    saveScreen(comp, 'dues', 'unapplied');
  });

  test('请人代缴: the share button once the token is made, and the relative’s view', async () => {
    const made = { token: 'tok1', expires_at: '2026-12-08T02:00:00+00:00', member_name: '张三' };
    const { page } = await opened({ api: fakeApi({ post: { '/api/dues/proxy-tokens': made } }) });
    await page.onMakeProxy();
    const share = render('dues', page.data);
    expect(text(share, '.proxy__share')).toBe('发给亲友');
    expect(share.querySelector('.proxy__make')).toBeUndefined();
    saveScreen(share, 'dues', 'proxy-share');
    const relative = await opened({ api: fakeApi({ me: { ...ME, member_name: '张三' } }), options: { token: 'tok1' } });
    tap(relative.page, 0);
    const view = render('dues', relative.page.data);
    expect(text(view, '.for-whom')).toBe('您正在为 张三 代缴党费');
    expect(view.querySelector('.proxy__make')).toBeUndefined();
    expect(view.querySelector('.history')).toBeUndefined();
    saveScreen(view, 'dues', 'for-relative');
  });
});

describe('缴费记录', () => {
  const PAYMENTS = {
    items: [
      { id: 31, paid_at: '2026-12-01T02:05:00+00:00', amount_fen: 5500, extra_fen: 1000, channel: 'wechat', months: ['2026-08', '2026-09', '2026-10'], payer_name: '李四', refunded_fen: 1500 },
      { id: 30, paid_at: '2026-07-01T01:30:00+00:00', amount_fen: 1500, extra_fen: 0, channel: 'cash', months: ['2026-07'], payer_name: '王书记', refunded_fen: 0 },
    ],
  };

  async function loaded(get) {
    const page = mountPage(createDuesHistoryPage({ api: { get, member: () => ({ name: '张三' }) }, wx: phone() }));
    await page.onLoad();
    return render('dues-history', page.data);
  }

  test('each payment with its refund and 代缴人', async () => {
    const comp = await loaded(jest.fn().mockResolvedValue(PAYMENTS));
    expect(texts(comp, '.payment__months')).toEqual(['2026年8月—2026年10月（3个月）', '2026年7月']);
    expect(texts(comp, '.payment__amount')).toEqual(['55.00 元', '15.00 元']);
    expect(texts(comp, '.payment__refund')).toEqual(['已退款 15.00 元']);
    expect(texts(comp, '.payment__payer')).toEqual(['代缴人：李四']);
    saveScreen(comp, 'dues-history', 'list');
  });

  test('money that covered nothing: said so, no receipt offered', async () => {
    const unapplied = { ...PAYMENTS.items[1], id: 32, status: 'unapplied', channel: 'wechat', payer_name: '张三' };
    const comp = await loaded(jest.fn().mockResolvedValue({ items: [unapplied, PAYMENTS.items[0]] }));
    expect(texts(comp, '.payment__note--unapplied')).toEqual(['已收款，未计入党费：所选月份已由另一笔缴费缴清，党委将原路退回这笔钱']);
    expect(texts(comp, '.payment__open')).toEqual(['收据 ›']);
    saveScreen(comp, 'dues-history', 'unapplied');
  });

  test('loading, empty and error', async () => {
    saveScreen(render('dues-history', { state: 'loading' }), 'dues-history', 'loading');
    const empty = await loaded(jest.fn().mockResolvedValue({ items: [] }));
    expect(stateText(empty)).toEqual(['还没有缴费记录']);
    saveScreen(empty, 'dues-history', 'empty');
    const failed = await loaded(jest.fn().mockRejectedValue(new NetworkError()));
    expect(componentTexts(failed, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(failed, 'dues-history', 'error');
  });
});

describe('党费收据', () => {
  const RECEIPT = {
    receipt_no: 'DF2026120100031',
    member_name: '张三',
    branch: '第一党支部',
    months: ['2026-08', '2026-09', '2026-10'],
    amount_fen: 5500,
    extra_fen: 1000,
    channel: 'wechat',
    paid_at: '2026-12-01T02:05:00+00:00',
    payer_name: '张三',
  };

  async function loaded(get, id = '31') {
    const page = mountPage(createDuesReceiptPage({ api: { get }, wx: phone() }));
    await page.onLoad({ id });
    return render('dues-receipt', page.data);
  }

  test('a receipt a member can show: big amount, months, Beijing time, number', async () => {
    const comp = await loaded(jest.fn().mockResolvedValue(RECEIPT));
    expect(text(comp, '.receipt__amount')).toBe('55.00');
    expect(text(comp, '.receipt__months')).toBe('2026年8月—2026年10月（3个月）');
    expect(text(comp, '.receipt__paid-at')).toBe('2026-12-01 10:05');
    expect(text(comp, '.receipt__no')).toBe('DF2026120100031');
    expect(comp.querySelector('.receipt__payer')).toBeUndefined();
    saveScreen(comp, 'dues-receipt', 'receipt');
  });

  test('paid by a relative: 代缴人 shown', async () => {
    const comp = await loaded(jest.fn().mockResolvedValue({ ...RECEIPT, payer_name: '李四' }));
    expect(text(comp, '.receipt__payer')).toBe('李四');
    saveScreen(comp, 'dues-receipt', 'proxy');
  });

  test('loading and error', async () => {
    saveScreen(render('dues-receipt', { state: 'loading' }), 'dues-receipt', 'loading');
    const failed = await loaded(jest.fn().mockRejectedValue(new ApiError(404, 'not_found', '没有找到这笔缴费')));
    expect(stateText(failed)).toEqual(['没有找到这笔缴费']);
    expect(failed.querySelector('.receipt')).toBeUndefined();
    saveScreen(failed, 'dues-receipt', 'error');
  });
});
