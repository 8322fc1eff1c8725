// My profile: the member's own record (ID-card number masked by the server), my attendance, log out, unbind.
const { showError } = require('../../utils/api');

function rowsFrom(member) {
  return [
    ['姓名', member.name],
    ['性别', member.gender],
    ['所在支部', member.branch ? member.branch.name : ''],
    ['党小组', member.group ? member.group.name : '—'],
    ['党员状态', member.status_label],
    ['入党日期', member.join_date || '—'],
    ['转正日期', member.full_member_date || '—'],
    ['手机号', member.phone || '—'],
    ['身份证号', member.id_card || '—'],
    ['党费类别', member.dues_category_label],
    ['月缴费基数', `${(member.dues_base_fen / 100).toFixed(2)} 元`],
  ].map(([label, value]) => ({ label, value }));
}

function createProfilePage({ api, wx }) {
  return {
    data: { rows: [], loading: true },

    onShow() {
      return api
        .get('/api/me')
        .then((member) => this.setData({ rows: rowsFrom(member), loading: false }))
        .catch((err) => {
          this.setData({ loading: false });
          if (err.code !== 'not_bound') showError(wx, err);
        });
    },

    openAttendance() {
      wx.navigateTo({ url: '/pages/attendance/index' });
    },

    onLogout() {
      return api
        .logout()
        .then(() => wx.reLaunch({ url: '/pages/login/index' }))
        .catch((err) => showError(wx, err));
    },

    onUnbind() {
      return new Promise((resolve) =>
        wx.showModal({
          title: '解除绑定',
          content: '解除后这个微信将不再关联您的党员身份，需要重新绑定才能使用。确定吗？',
          confirmText: '解除',
          success: resolve,
          fail: () => resolve({ confirm: false }),
        }),
      ).then((answer) => {
        if (!answer.confirm) return undefined;
        return api
          .unbind()
          .then(() => wx.reLaunch({ url: '/pages/login/index' }))
          .catch((err) => showError(wx, err));
      });
    },
  };
}

module.exports = { createProfilePage, rowsFrom };
