// Binding a WeChat user to a member record: one tap with the WeChat phone number, or an invite code.
const { showError } = require('../../utils/api');

const INVITE_RE = /^[0-9A-Za-z\s-]{4,16}$/;

function createLoginPage({ api, wx }) {
  return {
    data: { inviteCode: '', name: '', busy: false, mode: 'phone' },

    onLoad() {
      // Already bound on this phone? Go straight home.
      api.login().then(
        (session) => session.bound && wx.reLaunch({ url: '/pages/home/index' }),
        (err) => showError(wx, err),
      );
    },

    showInvite() {
      this.setData({ mode: 'invite' });
    },

    showPhone() {
      this.setData({ mode: 'phone' });
    },

    onPhoneNumber(event) {
      const code = event.detail && event.detail.code;
      if (!code) {
        wx.showToast({ title: '未授权手机号，可改用邀请码绑定', icon: 'none' });
        return Promise.resolve();
      }
      return this.bindWith(() => api.bindWithPhone(code));
    },

    onInviteInput(event) {
      this.setData({ inviteCode: event.detail.value });
    },

    onNameInput(event) {
      this.setData({ name: event.detail.value });
    },

    onInviteSubmit() {
      const inviteCode = this.data.inviteCode.trim();
      const name = this.data.name.trim();
      if (!INVITE_RE.test(inviteCode)) {
        wx.showToast({ title: '请输入支部书记发放的邀请码', icon: 'none' });
        return Promise.resolve();
      }
      if (!name) {
        wx.showToast({ title: '请输入您的姓名', icon: 'none' });
        return Promise.resolve();
      }
      return this.bindWith(() => api.bindWithInvite(inviteCode, name));
    },

    bindWith(action) {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true });
      return action()
        .then(() => {
          wx.showToast({ title: '绑定成功', icon: 'success' });
          wx.reLaunch({ url: '/pages/home/index' });
        })
        .catch((err) => showError(wx, err))
        .then(() => this.setData({ busy: false }));
    },
  };
}

module.exports = { createLoginPage };
