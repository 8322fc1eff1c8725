// Where a check-in code or a meeting id comes from when a page opens.
//
// - WeChat's own 扫一扫 on the projected code opens us with `options.q`: the encoded HTTPS link
//   `<checkin_link_prefix>?c=M7.<signed>` (扫普通链接二维码打开小程序).
// - Our in-app scanner (wx.scanCode) returns the same link as text, or a bare `M7.<signed>` from an
//   older screen.
// - The printed poster's mini-program code passes `scene=m=7`; lists, shares and reminders pass `id=7`.

const CODE_RE = /^[MU]\d+\.[\w.-]+$/;

function queryParam(url, name) {
  const query = url.split('#')[0].split('?')[1] || '';
  for (const pair of query.split('&')) {
    const [key, value] = pair.split('=');
    if (key === name && value !== undefined) return decodeURIComponent(value);
  }
  return null;
}

// The check-in code inside scanned text (a link or a bare code), or null if it is not one of ours.
function checkinCodeFrom(text) {
  const raw = String(text || '').trim();
  const candidate = /^https?:\/\//i.test(raw) ? queryParam(raw, 'c') : raw;
  return candidate && CODE_RE.test(candidate) ? candidate : null;
}

// The meeting a live meeting code names (M7.… → 7); null for a member's personal code or junk.
function meetingIdFromCode(code) {
  const match = /^M(\d+)\./.exec(code || '');
  return match ? Number(match[1]) : null;
}

// {id, code} from a page's options: `id`, a poster's `scene`, or WeChat's scanner link in `q`.
function meetingTarget(options) {
  const opts = options || {};
  if (opts.q) {
    const code = checkinCodeFrom(decodeURIComponent(opts.q));
    return { id: meetingIdFromCode(code), code };
  }
  if (opts.id && /^\d+$/.test(String(opts.id))) return { id: Number(opts.id), code: null };
  const scene = /^m=(\d+)$/.exec(decodeURIComponent(opts.scene || ''));
  return { id: scene ? Number(scene[1]) : null, code: null };
}

module.exports = { checkinCodeFrom, meetingIdFromCode, meetingTarget };
