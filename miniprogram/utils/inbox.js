// The member's inbox (消息), shared by every kind of item that lands in it: newspaper issues and the
// secretaries' notices. A kind the phone does not know yet (an older mini-program meeting a newer
// server) is still listed, but cannot be opened until the mini-program is updated.

const INBOX_PAGE = '/pages/inbox/index';
// The 消息 tab's place in app.json's tabBar (a test holds the two together).
const INBOX_TAB_INDEX = 3;

// What each kind is called on its row, and the page that opens it from the item's `ref_id`.
const KINDS = {
  newspaper: { label: '手机报', page: (refId) => `/pages/news-issue/index?id=${refId}` },
  birthday: { label: '政治生日', page: (refId) => `/pages/birthday-card/index?id=${refId}` },
  letter: { label: '信箱回复', page: (refId) => `/pages/letter/index?id=${refId}` },
  notice: { label: '通知', page: (refId) => `/pages/notice/index?id=${refId}` },
};
const UNKNOWN_KIND = { label: '消息', page: () => '' };

function kindOf(kind) {
  return KINDS[kind] || UNKNOWN_KIND;
}

// The red number on the 消息 tab: the server's unread count, "99+" past 99, nothing at 0. WeChat only
// lets a tab page set it, and refuses quietly elsewhere, so a refusal is not an error.
function showUnreadBadge(wx, unread) {
  const count = Number(unread) || 0;
  const quiet = () => {};
  if (count > 0 && typeof wx.setTabBarBadge === 'function') {
    wx.setTabBarBadge({ index: INBOX_TAB_INDEX, text: count > 99 ? '99+' : String(count), fail: quiet });
  } else if (count <= 0 && typeof wx.removeTabBarBadge === 'function') {
    wx.removeTabBarBadge({ index: INBOX_TAB_INDEX, fail: quiet });
  }
}

module.exports = { INBOX_PAGE, INBOX_TAB_INDEX, KINDS, kindOf, showUnreadBadge };
