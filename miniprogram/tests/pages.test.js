const { createLoginPage } = require('../pages/login/logic');
const { createHomePage } = require('../pages/home/logic');
const { createProfilePage } = require('../pages/profile/logic');
const { ApiError } = require('../utils/api');
const { createFakeWx, mountPage } = require('./fake-wx');

function fakeApi(overrides) {
  return {
    login: jest.fn().mockResolvedValue({ bound: false }),
    bindWithPhone: jest.fn().mockResolvedValue({ bound: true }),
    bindWithInvite: jest.fn().mockResolvedValue({ bound: true }),
    get: jest.fn(),
    logout: jest.fn().mockResolvedValue(),
    unbind: jest.fn().mockResolvedValue(),
    ...overrides,
  };
}

describe('login page', () => {
  test('one tap with the WeChat phone number binds and goes home', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi();
    const page = mountPage(createLoginPage({ api, wx }));
    await page.onPhoneNumber({ detail: { code: 'phone-code' } });
    expect(api.bindWithPhone).toHaveBeenCalledWith('phone-code');
    expect(wx.relaunched).toEqual(['/pages/home/index']);
    expect(page.data.busy).toBe(false);
  });

  test('refusing the phone permission suggests the invite code', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi();
    const page = mountPage(createLoginPage({ api, wx }));
    await page.onPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } });
    expect(api.bindWithPhone).not.toHaveBeenCalled();
    expect(wx.toasts[0].title).toContain('邀请码');
  });

  test('invite code and name are checked before anything is sent', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi();
    const page = mountPage(createLoginPage({ api, wx }));
    page.onInviteInput({ detail: { value: 'ABCD2345' } });
    await page.onInviteSubmit();
    expect(wx.toasts[0].title).toBe('请输入您的姓名');
    page.onNameInput({ detail: { value: ' 张三 ' } });
    await page.onInviteSubmit();
    expect(api.bindWithInvite).toHaveBeenCalledWith('ABCD2345', '张三');
  });

  test('a refused invite code shows the server message and stays on the page', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi({
      bindWithInvite: jest.fn().mockRejectedValue(new ApiError(400, 'invite_code_used', '该邀请码已使用过，请联系支部书记重新发放')),
    });
    const page = mountPage(createLoginPage({ api, wx }));
    page.setData({ inviteCode: 'ABCD2345', name: '张三' });
    await page.onInviteSubmit();
    expect(wx.toasts[0].title).toBe('该邀请码已使用过，请联系支部书记重新发放');
    expect(wx.relaunched).toEqual([]);
    expect(page.data.busy).toBe(false);
  });
});

describe('home page', () => {
  test('empty states until the features exist', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi({
      get: jest.fn().mockResolvedValue({
        member_name: '张三',
        branch_name: '甲一支部',
        next_meeting: null,
        unpaid_dues_fen: 0,
        unread_newspapers: 0,
        open_quizzes: 0,
      }),
    });
    const page = mountPage(createHomePage({ api, wx }));
    await page.onShow();
    expect(page.data.greeting).toBe('张三同志，您好');
    expect(page.data.cards.map((c) => [c.title, c.empty, c.emptyText])).toEqual([
      ['下次会议', true, '近期没有会议安排'],
      ['待缴党费', true, '党费已缴清'],
      ['手机报', true, '没有未读的手机报'],
      ['学习答题', true, '暂无进行中的答题'],
    ]);
  });

  test('unpaid dues are shown in yuan', async () => {
    const wx = createFakeWx({ handler: () => ({}) });
    const api = fakeApi({ get: jest.fn().mockResolvedValue({ member_name: '张三', unpaid_dues_fen: 4550 }) });
    const page = mountPage(createHomePage({ api, wx }));
    await page.onShow();
    expect(page.data.cards[1]).toMatchObject({ empty: false, text: '45.50 元' });
  });
});

describe('profile page', () => {
  test('shows the masked record and unbinds only after confirmation', async () => {
    const wx = createFakeWx({ handler: () => ({}), modalAnswers: [false, true] });
    const api = fakeApi({
      get: jest.fn().mockResolvedValue({
        name: '张三',
        gender: '男',
        branch: { name: '甲一支部' },
        group: null,
        status_label: '正式党员',
        id_card: '110105********002X',
        dues_category_label: '在职',
        dues_base_fen: 500000,
      }),
    });
    const page = mountPage(createProfilePage({ api, wx }));
    await page.onShow();
    expect(page.data.rows.find((r) => r.label === '身份证号').value).toBe('110105********002X');
    expect(page.data.rows.find((r) => r.label === '月缴费基数').value).toBe('5000.00 元');
    await page.onUnbind();
    expect(api.unbind).not.toHaveBeenCalled();
    await page.onUnbind();
    expect(api.unbind).toHaveBeenCalledTimes(1);
    expect(wx.relaunched).toEqual(['/pages/login/index']);
  });
});
